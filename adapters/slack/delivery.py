"""The hub's events shown in Slack threads: the sink the adapter adds to the hub.

- `PlanEvent`: the plan card is posted in the thread the first time, and its place (channel, ts)
  is remembered in storage (`remember_ref("slack", "plan_card", plan_id)`), so edits and clicks
  still find it after a restart; a later `PlanEvent` (an expiry) edits it.
- `DecisionEvent` (accepted): who decided and when is added to that remembered place and the card
  redrawn. Refused decisions are not shown here: the clicker alone is told, ephemerally.
- `StepEvent`: the card is redrawn (running → ✓ / ✗ with a short result); output too long for the
  card is uploaded beside it as a file (a snippet).
- `AnswerEvent`: the answer to a plan goes on that plan's card (the card *is* the answer: one
  message per turn); an answer with no plan, and a `NoticeEvent`, are posted in the thread as
  mrkdwn, in sections under Slack's limits (or as a file when even that is too long).

Where Slack streams (`streaming.ThreadStreams`), a turn is one streamed message instead: the
plan as tasks that move as the steps run, the answer as its last text, no card beside it and no
second message repeating it. A plan that waits for a decision ends its stream with the Approve /
Deny buttons; once decided, that message says who decided and the run streams below it. Channels
where Slack refuses streams get the edited card described above.

Every card drawing reads the plan from storage, under a per-plan lock, so edits never go out of
order and the last one is always right. Slack errors are logged; nothing here raises to the hub.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from chatops.adapters.slack import cards
from chatops.adapters.slack.client import error_of
from chatops.adapters.slack.files import upload_text
from chatops.adapters.slack.mrkdwn import split_text, to_mrkdwn, truncate
from chatops.adapters.slack.streaming import MARKDOWN_LIMIT, StreamRefused, ThreadStreams
from chatops.bot.card_records import CardRecords
from chatops.bot.model import (
    AnswerEvent,
    DecisionEvent,
    FollowUp,
    NoticeEvent,
    Outbound,
    PlanEvent,
    PlanStatus,
    StepEvent,
    StepStatus,
    ThreadRef,
)

log = logging.getLogger("chatops.slack.delivery")
PLATFORM = "slack"
MESSAGE_TEXT_LIMIT = cards.MAX_MESSAGE_CHARS - 4000  # room for the fallback text and block JSON
NOTICE_PREFIX = {"info": "", "warning": ":warning: ", "error": ":x: "}


class Delivery:
    def __init__(self, client: AsyncWebClient, cards: CardRecords, *, streaming: bool = True) -> None:
        self.client = client
        self.cards = cards
        self.streams = ThreadStreams(client)
        self.streaming = streaming
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # cards drawn while their plan ran: the plan's final status comes with no event of its own,
        # so they are redrawn at the thread's next event (an answer or the next round's plan)
        self._settling: dict[str, set[str]] = {}

    async def __call__(self, thread: ThreadRef, event: Outbound) -> None:
        if thread.platform != PLATFORM:
            return
        current = getattr(event, "plan_id", None) if not isinstance(event, PlanEvent) else event.id
        if not isinstance(event, StepEvent | DecisionEvent):
            for plan_id in self._settling.get(thread.id, set()) - {current}:
                await self._quietly(self.show_plan(thread, plan_id), "plan", thread)
        await self._quietly(self._deliver(thread, event), event.type, thread)

    @staticmethod
    async def _quietly(work: Awaitable[None], what: str, thread: ThreadRef) -> None:
        try:
            await work
        except SlackApiError as exc:
            log.warning("Slack refused to show a %s event in %s: %s", what, thread.id, error_of(exc))
        except Exception:
            log.exception("could not show a %s event in %s", what, thread.id)

    async def _deliver(self, thread: ThreadRef, event: Outbound) -> None:
        if self.streaming and self.streams.usable(thread):
            try:
                async with self.streams.lock(thread):
                    if await self._stream(thread, event):
                        return
            except StreamRefused:
                pass  # shown below as an edited card; the channel keeps cards from now on
        await self._deliver_card(thread, event)

    # --- a turn as one streamed message ------------------------------------------------------

    async def _stream(self, thread: ThreadRef, event: Outbound) -> bool:
        """Show `event` in the thread's stream; False when it belongs to an edited card (a plan
        shown as a card before, or a notice with no stream open)."""
        if isinstance(event, PlanEvent):
            return await self._stream_plan(thread, event.id)
        if isinstance(event, DecisionEvent):
            ref = await self.cards.where(PLATFORM, event.plan_id)
            if not (ref and ref.get("streamed")):
                return False
            if event.accepted:
                note = cards.DecisionNote(approve=event.decision == "approve", by=event.by, at=time.time(),
                                          steps=tuple(event.steps or ()))
                await self.cards.remember(PLATFORM, event.plan_id, {**ref, "decision": note.to_dict()})
                await self._redraw_decided(event.plan_id)
            elif event.plan_status not in (None, PlanStatus.proposed):
                await self._redraw_decided(event.plan_id)
            return True
        if isinstance(event, StepEvent):
            ref = await self.cards.where(PLATFORM, event.plan_id)
            if not (self.streams.shows(thread, event.plan_id) or (ref and ref.get("streamed"))):
                return False
            plan = await self.cards.plan(event.plan_id)
            if plan is None:
                return True
            await self.streams.show_plan(thread, plan)
            if event.status in (StepStatus.succeeded, StepStatus.failed):
                await self._post_long_output(thread, event)
                await self._upload_step_files(thread, event)
            return True
        if isinstance(event, AnswerEvent):
            if event.plan_id and self.streams.live(thread) is None:
                ref = await self.cards.where(PLATFORM, event.plan_id)
                if ref and not ref.get("streamed"):
                    return False  # that plan is a card: its answer goes beside it, as before
            plan = await self.cards.plan(event.plan_id) if event.plan_id else None
            text = event.text.replace("<!", "<\u200b!")  # data never pings @channel / @here
            feedback = [block for block in (cards.next_steps_block(event.next_steps),
                                            cards.feedback_block(event.plan_id or "")) if block]
            if len(text) > MARKDOWN_LIMIT:
                await self.streams.finish(thread, markdown="_(the whole answer is in the file below)_", plan=plan,
                                          blocks=feedback)
                await self.post_markdown(thread, event.text)
            else:
                await self.streams.finish(thread, markdown=text, plan=plan, blocks=feedback)
            return True
        if isinstance(event, NoticeEvent):
            if self.streams.live(thread) is None:
                return False
            await self.streams.say(thread, f"\n{NOTICE_PREFIX[event.level]}_{event.text.strip()}_\n")
            return True
        return False

    async def _stream_plan(self, thread: ThreadRef, plan_id: str) -> bool:
        async with self._lock(plan_id):
            plan = await self.cards.plan(plan_id)
            if plan is None:
                return True
            ref = await self.cards.where(PLATFORM, plan_id)
            if ref is not None and not ref.get("streamed"):
                return False  # shown as a card before: edited as one
            if ref is not None and ref.get("stopped"):  # an expiry (or a change) after the buttons
                await self._redraw_decided(plan_id, ref=ref, plan=plan)
                return True
            live = await self.streams.show_plan(thread, plan)
            if cards.waits_for_decision(plan):
                blocks = cards.decision_blocks(plan, self.cards.who_may_approve(plan))
                ts = await self.streams.finish(thread, blocks=blocks, plan=plan)
                await self.cards.remember(PLATFORM, plan_id, {"channel": thread.channel, "ts": ts,
                                                              "thread_ts": thread.thread, "streamed": True,
                                                              "stopped": True})
            elif ref is None and live.stream.ts:
                await self.cards.remember(PLATFORM, plan_id, {"channel": thread.channel, "ts": live.stream.ts,
                                                              "thread_ts": thread.thread, "streamed": True})
            return True

    async def _redraw_decided(self, plan_id: str, *, ref: dict[str, Any] | None = None, plan: Any = None) -> None:
        """The message whose stream ended with the buttons, once decided (or expired): the plan,
        who decided it and when, and no buttons; the run streams below it."""
        ref = ref or await self.cards.where(PLATFORM, plan_id)
        plan = plan or await self.cards.plan(plan_id)
        if ref is None or plan is None or not ref.get("stopped"):
            return
        note = cards.DecisionNote.from_dict(ref.get("decision"))
        text, blocks = cards.decided_card(plan, note)
        await self.client.chat_update(channel=ref["channel"], ts=ref["ts"], text=text, blocks=blocks)

    # --- edited cards ----------------------------------------------------------------------------

    async def _deliver_card(self, thread: ThreadRef, event: Outbound) -> None:
        if isinstance(event, PlanEvent):
            await self.show_plan(thread, event.id)
        elif isinstance(event, DecisionEvent):
            if event.accepted:
                note = cards.DecisionNote(approve=event.decision == "approve", by=event.by, at=time.time(),
                                          steps=tuple(event.steps or ()))
                await self.show_plan(thread, event.plan_id, note=note)
            elif event.plan_status not in (None, PlanStatus.proposed):
                # a click on a card that is out of date (it expired while the bot was down):
                # the refusal goes to the clicker alone, the card is brought up to date
                await self.show_plan(thread, event.plan_id)
        elif isinstance(event, StepEvent):
            await self.show_plan(thread, event.plan_id)
            if event.status in (StepStatus.succeeded, StepStatus.failed):
                await self._post_long_output(thread, event)
                await self._upload_step_files(thread, event)
        elif isinstance(event, AnswerEvent):
            if event.plan_id and await self.cards.where(PLATFORM, event.plan_id) is not None:
                await self._answer_on_card(thread, event)  # the card is the answer: one message per turn
            else:
                await self.post_markdown(thread, event.text, feedback=event.plan_id or "",
                                         next_steps=cards.next_steps_block(event.next_steps))
        elif isinstance(event, NoticeEvent):
            running = sorted(self._settling.get(thread.id, ()))
            if running:  # a step's progress, said while its card runs: a line on that card
                await self.show_plan(thread, running[-1], notice=NOTICE_PREFIX[event.level] + event.text.strip())
            else:
                await self.post_markdown(thread, event.text, prefix=NOTICE_PREFIX[event.level])

    async def _answer_on_card(self, thread: ThreadRef, event: AnswerEvent) -> None:
        """Put the answer on its plan's card; one too long for a card goes as a file beside it,
        and the card keeps its opening lines."""
        assert event.plan_id is not None
        text = to_mrkdwn(event.text.replace("<!", "<\u200b!"))  # data never pings @channel / @here
        if len(text) > cards.ANSWER_ON_CARD:
            await upload_text(self.client, channel=thread.channel, thread_ts=thread.thread, filename="answer.md",
                              content=event.text, comment="_(the whole answer is in this file)_")
            text = truncate(text, 1000) + "\n_(the whole answer is in the file below)_"
        await self.show_plan(thread, event.plan_id, answer=text, next_steps=event.next_steps)

    # --- the plan card -------------------------------------------------------------------------

    def _lock(self, plan_id: str) -> asyncio.Lock:
        lock = self._locks.get(plan_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[plan_id] = lock
        return lock

    async def show_plan(self, thread: ThreadRef, plan_id: str, *, note: cards.DecisionNote | None = None,
                        answer: str | None = None, notice: str | None = None,
                        next_steps: list[FollowUp] | None = None) -> None:
        """Post the card, or redraw it where it was posted (recording `note`, the turn's `answer`
        in mrkdwn, or a progress `notice` first when given: later redraws keep them)."""
        async with self._lock(plan_id):
            plan = await self.cards.plan(plan_id)
            if plan is None:
                return
            ref = await self.cards.where(PLATFORM, plan_id)
            if ref is not None and (note is not None or answer is not None or notice is not None):
                ref = {**ref, **({"decision": note.to_dict()} if note is not None else {}),
                       **({"answer": answer} if answer is not None else {}),
                       **({"next_steps": [o.model_dump() for o in next_steps]} if next_steps else {})}
                if notice is not None:
                    ref["notices"] = [*ref.get("notices", []), notice][-cards.MAX_NOTICES:]
                await self.cards.remember(PLATFORM, plan_id, ref)
            shown_note = note or cards.DecisionNote.from_dict((ref or {}).get("decision"))
            offers = [FollowUp.model_validate(o) for o in (ref or {}).get("next_steps", [])]
            text, blocks = cards.plan_card(plan, shown_note, self.cards.who_may_approve(plan),
                                           answer=(ref or {}).get("answer"), notices=(ref or {}).get("notices", ()),
                                           next_steps=offers)
            settling = self._settling.setdefault(thread.id, set())
            if plan.status in (PlanStatus.approved, PlanStatus.running):
                settling.add(plan_id)
            else:
                settling.discard(plan_id)
                if not settling:
                    self._settling.pop(thread.id, None)
            if ref is None:
                response = await self.client.chat_postMessage(channel=thread.channel, thread_ts=thread.thread,
                                                              text=text, blocks=blocks, unfurl_links=False)
                ref = {"channel": response["channel"], "ts": response["ts"], "thread_ts": thread.thread}
                if shown_note is not None:
                    ref["decision"] = shown_note.to_dict()
                await self.cards.remember(PLATFORM, plan_id, ref)
            else:
                await self.client.chat_update(channel=ref["channel"], ts=ref["ts"], text=text, blocks=blocks)

    async def adopt_card(self, plan_id: str, *, channel: str, ts: str, thread_ts: str) -> None:
        """Remember a card a click came from, when storage does not know it (e.g. its post was
        answered after the bot stopped): later edits then go to that message."""
        if not (plan_id and channel and ts):
            return
        async with self._lock(plan_id):
            if await self.cards.plan(plan_id) is None:
                return  # not a plan of ours (hub.decide will say so)
            if await self.cards.where(PLATFORM, plan_id) is None:
                await self.cards.remember(PLATFORM, plan_id,
                                              {"channel": channel, "ts": ts, "thread_ts": thread_ts})

    async def _upload_step_files(self, thread: ThreadRef, event: StepEvent) -> None:
        """Files the step made (a `prometheus_query` chart) uploaded into the thread."""
        if event.status is not StepStatus.succeeded:
            return
        for file, data in await self.cards.step_files(event.id):
            name = str(file.get("name") or "file")
            await self.client.files_upload_v2(channel=thread.channel, thread_ts=thread.thread, filename=name,
                                              title=f"{event.tool}: {name}", content=data)

    async def _post_long_output(self, thread: ThreadRef, event: StepEvent) -> None:
        plan = await self.cards.plan(event.plan_id)
        step = next((s for s in plan.steps if s.id == event.id), None) if plan else None
        output = cards.full_output(step) if step else None
        if step is None or not output:
            return
        label = f"`{step.tool}` {'failed' if step.status is StepStatus.failed else 'output'}"
        # a snippet, never a second text message: the card (or stream) stays the turn's one message
        await upload_text(self.client, channel=thread.channel, thread_ts=thread.thread,
                          filename=f"{step.tool}-{step.id}.txt", content=output,
                          comment=f"{label} ({len(output):,} characters):")

    # --- answers and notices ---------------------------------------------------------------------

    async def post_markdown(self, thread: ThreadRef, markdown: str, *, prefix: str = "",
                            feedback: str | None = None, next_steps: dict[str, Any] | None = None) -> None:
        """`markdown` as mrkdwn sections (or a file past Slack's limits); with `feedback` (a plan
        id, or "") the 👍 / 👎 buttons of an answer under it, after its `next_steps` buttons."""
        text = prefix + to_mrkdwn(markdown)
        if not text.strip():
            return
        if len(text) > MESSAGE_TEXT_LIMIT:
            await upload_text(self.client, channel=thread.channel, thread_ts=thread.thread, filename="answer.md",
                              content=markdown, comment=truncate(text, 1000) + "\n_(the whole answer is in the file)_")
            return
        pieces = split_text(text, cards.MAX_SECTION_TEXT)
        blocks: list[dict[str, Any]] = [cards.section(piece) for piece in pieces[: cards.MAX_BLOCKS - 2]]
        if next_steps is not None:
            blocks.append(next_steps)
        if feedback is not None:
            blocks.append(cards.feedback_block(feedback))
        await self.client.chat_postMessage(channel=thread.channel, thread_ts=thread.thread,
                                           text=truncate(text, 3000), blocks=blocks, unfurl_links=False)
