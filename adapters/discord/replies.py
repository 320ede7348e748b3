"""The hub's events shown in Discord threads (the adapter's hub sink).

A plan is one card (Components V2, `layout.PlanLayout`, with Approve / Deny while it waits;
cards posted as embeds before stay embeds), posted once and edited in place on every later
event about it: the decision, each step's progress and result, expiry. The
card is re-rendered from the stored plan each time and where it was posted is stored too
(`platform_refs`), so the card stays right across restarts. Results longer than the card shows
follow as a .txt file; answers and notices are messages, split or attached past 2,000 characters.
Every call goes through discord.py's HTTP client, which handles rate limits.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections import defaultdict
from typing import Any

import discord

from chatops.adapters.discord.embeds import (
    MESSAGE_LIMIT,
    RESULT_SNIPPET,
    clip,
    full_result_text,
    plan_embed,
    split_message,
)
from chatops.adapters.discord.layout import PlanLayout
from chatops.adapters.discord.people import PLATFORM
from chatops.adapters.discord.views import decision_view, next_steps_view
from chatops.bot.card_records import CardRecords
from chatops.bot.model import (
    AnswerEvent,
    DecisionEvent,
    NoticeEvent,
    Outbound,
    PlanEvent,
    PlanStatus,
    StepEvent,
    StepStatus,
    ThreadRef,
)

log = logging.getLogger("chatops.discord")

SETTLED = (PlanStatus.succeeded, PlanStatus.failed, PlanStatus.denied, PlanStatus.expired, PlanStatus.interrupted)
NOTICE_PREFIX = {"info": "", "warning": "⚠️ ", "error": "❌ "}
MAX_SPLIT_MESSAGES = 3  # longer texts: the start as a message, the whole as a file


class ThreadWriter:
    def __init__(self, client: discord.Client, cards: CardRecords) -> None:
        self.client = client
        self.cards = cards
        self._card_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._shown: dict[str, Any] = {}  # plan id → what its card shows now (skip no-op edits)
        self._unsettled: defaultdict[str, set[str]] = defaultdict(set)  # thread id → plans still moving

    async def deliver(self, thread: ThreadRef, event: Outbound) -> None:
        """The hub sink: every platform's events arrive here; only Discord threads are ours."""
        if thread.platform != PLATFORM:
            return
        channel = self.client.get_partial_messageable(int(thread.thread))
        if isinstance(event, AnswerEvent | PlanEvent):
            # A plan's last change (running → succeeded or failed) comes with no event of its own:
            # the answer or the next round's plan follows it, so refresh the cards still moving.
            for plan_id in sorted(self._unsettled.get(thread.id, set()) - {getattr(event, "id", None)}):
                await self.show_plan(channel, plan_id, thread)
        if isinstance(event, PlanEvent):
            await self.show_plan(channel, event.id, thread)
        elif isinstance(event, DecisionEvent):
            # a refusal is told to the clicker alone, never in the thread; but a card that is out
            # of date (its plan expired while the bot was down) is brought up to date
            if event.accepted or event.plan_status not in (None, PlanStatus.proposed):
                await self.show_plan(channel, event.plan_id, thread)
        elif isinstance(event, StepEvent):
            await self.show_plan(channel, event.plan_id, thread)
            if event.status in (StepStatus.succeeded, StepStatus.failed):
                await self._attach_long_output(channel, event)
                await self._attach_step_files(channel, event)
        elif isinstance(event, AnswerEvent):
            await self.say(channel, event.text, filename="answer.txt", view=next_steps_view(event.next_steps))
        elif isinstance(event, NoticeEvent):
            await self.say(channel, NOTICE_PREFIX[event.level] + event.text, filename="notice.txt")

    async def show_plan(self, channel: discord.PartialMessageable, plan_id: str, thread: ThreadRef) -> None:
        """Post the plan's card, or edit it to show the plan as stored now."""
        async with self._card_locks[plan_id]:
            plan = await self.cards.plan(plan_id)
            if plan is None:
                return
            ref = await self.cards.where(PLATFORM, plan_id)
            who = self.cards.who_may_approve(plan)
            if ref is None or ref.get("v2"):
                layout = PlanLayout(plan, who)
                shown: Any = layout.to_components()
                if self._shown.get(plan_id) != shown:
                    if ref is None:
                        message = await channel.send(view=layout)
                        await self.cards.remember(PLATFORM, plan_id, {"channel": str(channel.id),
                                                                      "message": str(message.id), "v2": True})
                    else:
                        card = self.client.get_partial_messageable(int(ref["channel"]))
                        await card.get_partial_message(int(ref["message"])).edit(view=layout)
                    self._shown[plan_id] = shown
            else:  # a card posted as an embed (before cards were V2): edited as one
                embed, view = plan_embed(plan, who), decision_view(plan)
                shown = (embed.to_dict(), [item.custom_id for item in view.children] if view else [])  # type: ignore[attr-defined]
                if self._shown.get(plan_id) != shown:
                    card = self.client.get_partial_messageable(int(ref["channel"]))
                    await card.get_partial_message(int(ref["message"])).edit(embed=embed, view=view)
                    self._shown[plan_id] = shown
        if plan.status in SETTLED:  # nothing changes it any more: forget it
            self._shown.pop(plan_id, None)
            self._card_locks.pop(plan_id, None)
            self._unsettled[thread.id].discard(plan_id)
            if not self._unsettled[thread.id]:
                del self._unsettled[thread.id]
        else:
            self._unsettled[thread.id].add(plan_id)

    async def _attach_step_files(self, channel: discord.PartialMessageable, event: StepEvent) -> None:
        """Files the step made (a `prometheus_query` chart), attached in the thread."""
        if event.status is not StepStatus.succeeded:
            return
        for file, data in await self.cards.step_files(event.id):
            name = str(file.get("name") or "file")
            await channel.send(f"`{event.tool}`: {name}", file=discord.File(io.BytesIO(data), filename=name))

    async def _attach_long_output(self, channel: discord.PartialMessageable, event: StepEvent) -> None:
        output = full_result_text(event.result, event.error)
        if len(output) <= RESULT_SNIPPET:
            return
        name = f"{event.tool}-{event.id}.txt"
        await channel.send(f"Full output of `{event.tool}` ({len(output):,} characters):",
                           file=discord.File(io.BytesIO(output.encode()), filename=name))

    async def say(self, channel: discord.PartialMessageable, text: str, *, filename: str,
                  view: discord.ui.View | None = None) -> None:
        """A message; past 2,000 characters split at line ends, or past a few messages the start
        with the whole text attached. `view` (an answer's next steps) goes under the last part."""
        text = text.strip() or "(empty)"
        chunks = split_message(text, MESSAGE_LIMIT)
        extra: dict[str, Any] = {"view": view} if view is not None else {}
        if len(chunks) <= MAX_SPLIT_MESSAGES:
            for number, chunk in enumerate(chunks, 1):
                await channel.send(chunk, **(extra if number == len(chunks) else {}))
            return
        head = clip(chunks[0], MESSAGE_LIMIT - 40) + "\n(the whole text is attached)"
        await channel.send(head, file=discord.File(io.BytesIO(text.encode()), filename=filename), **extra)
