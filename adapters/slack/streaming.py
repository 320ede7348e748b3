"""A turn as one streamed Slack message: the plan as tasks, then the answer, then the buttons.

Slack's streaming methods (`chat.startStream` / `appendStream` / `stopStream`, through
slack_sdk's `chat_stream()`) show an agent at work: `plan_update` names the plan, a `task_update`
per step moves pending → in_progress → complete / error with the step's summary as `output` and
where its values came from as `details` (and `sources`, for the addresses among them), and the
answer arrives as `markdown_text` in the same message. Every chunk and block is built with
slack_sdk's own classes, so a wrong field fails in the SDK before it reaches Slack.

Slack refuses streams in some places (an older workspace, a missing scope, a channel stream with
no recipient): the first refusal in a channel is logged once and that channel shows the edited
card from then on (`StreamRefused`), with nothing said to users; a passing fault (`PASSING`)
costs only that turn its stream. A stream that has been open for
`roll_after` seconds is stopped and continued in a new one, before Slack's own time limit ends it;
a stream Slack has already closed is continued the same way.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.blocks.block_elements import UrlSourceElement
from slack_sdk.models.messages.chunk import Chunk, MarkdownTextChunk, PlanUpdateChunk, TaskUpdateChunk
from slack_sdk.web.async_chat_stream import AsyncChatStream
from slack_sdk.web.async_client import AsyncWebClient

from chatops.adapters.slack.cards import short_result
from chatops.adapters.slack.client import error_of
from chatops.adapters.slack.mrkdwn import truncate
from chatops.bot.model import Plan, Step, StepStatus, ThreadRef

log = logging.getLogger("chatops.slack.streaming")

ROLL_AFTER_SECONDS = 240.0  # a new stream well before Slack closes an unstopped one
MARKDOWN_LIMIT = 12_000  # Slack's limit on one `markdown_text`
TITLE_CHARS = 150
OUTPUT_CHARS = 500
ASKERS_KEPT = 1000
TASK_STATUS = {
    StepStatus.proposed: "pending",
    StepStatus.approved: "pending",
    StepStatus.running: "in_progress",
    StepStatus.succeeded: "complete",
    StepStatus.skipped: "complete",
    StepStatus.failed: "error",
    StepStatus.interrupted: "error",
    StepStatus.denied: "error",
    StepStatus.expired: "error",
}
WORDS = {StepStatus.skipped: "skipped", StepStatus.denied: "denied", StepStatus.expired: "expired",
         StepStatus.interrupted: "interrupted (the bot stopped while it ran)"}
PASSING = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
           "team_added_to_org"}  # Slack's codes for faults that pass: try streaming again next time
URL = re.compile(r"https?://[^\s<>\"“”]+")


class StreamRefused(Exception):
    """Slack would not stream in this channel: show the edited card instead."""


def step_title(step: Step) -> str:
    arguments = " ".join(f"{key}={value}" for key, value in step.args.items())
    return truncate(f"{step.tool} {arguments}".strip(), TITLE_CHARS)


def step_output(step: Step) -> str | None:
    """The step's summary as one short text: its result's first line, or why it did not run."""
    if step.status in WORDS:
        return WORDS[step.status]
    if step.status not in (StepStatus.succeeded, StepStatus.failed):
        return None
    text = short_result(step).strip()
    first = text.splitlines()[0] if text else ("done" if step.status is StepStatus.succeeded else "failed")
    mark = "⚠ " if step.outcome == "problem" else ""
    return truncate(mark + first, OUTPUT_CHARS)


def task_chunk(step: Step) -> TaskUpdateChunk:
    """One step as a task: its status, summary (`output`), reason and provenance (`details`), and
    the addresses its values came from (`sources`)."""
    details = " · ".join(part for part in (step.reason, step.provenance or "") if part) or None
    sources = [UrlSourceElement(url=url.rstrip(".,;)"), text=truncate(step.provenance or url, 150))
               for url in URL.findall(step.provenance or "")[:5]] or None
    return TaskUpdateChunk(id=step.id or step.tool, title=step_title(step), status=TASK_STATUS[step.status],
                           details=truncate(details, OUTPUT_CHARS) if details else None,
                           output=step_output(step), sources=sources)


def plan_chunks(plan: Plan) -> list[Chunk]:
    return [PlanUpdateChunk(title=truncate(plan.goal, TITLE_CHARS)), *(task_chunk(step) for step in plan.steps)]


@dataclass
class LiveStream:
    stream: AsyncChatStream
    started: float
    plans: dict[str, Plan] = field(default_factory=dict)  # what this message shows, as last sent
    sent: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # step id → (status, output)


class ThreadStreams:
    """At most one live stream per thread, and the channels where Slack refused streaming."""

    roll_after = ROLL_AFTER_SECONDS

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.team_id = ""
        self.refused: set[str] = set()
        self._live: dict[str, LiveStream] = {}
        self._askers: OrderedDict[str, str] = OrderedDict()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def lock(self, thread: ThreadRef) -> asyncio.Lock:
        """One event at a time per thread's stream (kept while someone holds or waits for it)."""
        lock = self._locks.get(thread.id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[thread.id] = lock
        return lock

    def usable(self, thread: ThreadRef) -> bool:
        return thread.channel not in self.refused

    def asked(self, thread: ThreadRef, user_id: str) -> None:
        """Who spoke last in a thread: the recipient Slack needs for a stream outside a DM."""
        self._askers[thread.id] = user_id
        self._askers.move_to_end(thread.id)
        while len(self._askers) > ASKERS_KEPT:
            self._askers.popitem(last=False)

    def live(self, thread: ThreadRef) -> LiveStream | None:
        return self._live.get(thread.id)

    def shows(self, thread: ThreadRef, plan_id: str) -> bool:
        live = self._live.get(thread.id)
        return live is not None and plan_id in live.plans

    def _recipient(self, thread: ThreadRef, plan: Plan | None) -> dict[str, str]:
        if thread.channel.startswith("D"):
            return {}
        user = self._askers.get(thread.id)
        if not user and plan is not None and plan.requester is not None and plan.requester.platform == "slack":
            user = plan.requester.id
        if not (user and self.team_id):
            raise StreamRefused("no recipient for a channel stream")
        return {"recipient_user_id": user, "recipient_team_id": self.team_id}

    # --- sending -----------------------------------------------------------------------------

    async def show_plan(self, thread: ThreadRef, plan: Plan) -> LiveStream:
        """The plan's tasks as they stand, in the thread's live stream (started if need be)."""
        live = await self._current(thread, plan)
        first = plan.id not in live.plans
        live.plans[plan.id] = plan
        chunks: list[Chunk] = [PlanUpdateChunk(title=truncate(plan.goal, TITLE_CHARS))] if first else []
        for step in plan.steps:
            chunk = task_chunk(step)
            state = (chunk.status, chunk.output)
            if live.sent.get(chunk.id) != state:
                live.sent[chunk.id] = state
                chunks.append(chunk)
        if chunks:
            await self._append(thread, live, chunks)
        return live

    async def say(self, thread: ThreadRef, markdown: str) -> None:
        """Text in the live stream (a notice while the turn runs)."""
        live = self._live.get(thread.id)
        if live is None:
            raise StreamRefused("no live stream")
        await self._append(thread, live, [MarkdownTextChunk(text=truncate(markdown, MARKDOWN_LIMIT))])

    async def finish(self, thread: ThreadRef, *, markdown: str = "", blocks: list[Any] | None = None,
                     plan: Plan | None = None) -> str | None:
        """End the thread's stream (starting one for an answer with no plan before it), with the
        answer as its last text and `blocks` under it; the message's ts."""
        live = self._live.get(thread.id) or await self._current(thread, plan)
        chunks = [MarkdownTextChunk(text=truncate(markdown, MARKDOWN_LIMIT))] if markdown.strip() else None
        self._live.pop(thread.id, None)
        try:
            await live.stream.stop(chunks=chunks, blocks=blocks)
        except (SlackApiError, SlackRequestError) as exc:
            if live.stream.ts is None:  # nothing was shown: Slack refused the stream itself
                raise self._refused(thread, exc) from None
            log.warning("Slack would not stop the stream in %s: %s", thread.id, _error(exc))
            raise StreamRefused("the stream ended early") from None
        return live.stream.ts

    async def _current(self, thread: ThreadRef, plan: Plan | None) -> LiveStream:
        live = self._live.get(thread.id)
        if live is not None and time.monotonic() - live.started < self.roll_after:
            return live
        if live is not None:  # open too long: continued in a new message before Slack closes it
            await self._roll(thread, live)
        return await self._start(thread, plan, live)

    async def _start(self, thread: ThreadRef, plan: Plan | None, before: LiveStream | None) -> LiveStream:
        stream = await self.client.chat_stream(channel=thread.channel, thread_ts=thread.thread,
                                               task_display_mode="plan", **self._recipient(thread, plan))
        live = LiveStream(stream=stream, started=time.monotonic())
        self._live[thread.id] = live
        if before is not None:  # the new message shows the whole plan again
            for shown in before.plans.values():
                live.plans[shown.id] = shown
            chunks: list[Chunk] = [chunk for shown in before.plans.values() for chunk in plan_chunks(shown)]
            for chunk in chunks:
                if isinstance(chunk, TaskUpdateChunk):
                    live.sent[chunk.id] = (chunk.status, chunk.output)
            if chunks:
                await self._append(thread, live, chunks)
        return live

    async def _roll(self, thread: ThreadRef, live: LiveStream) -> None:
        self._live.pop(thread.id, None)
        try:
            await live.stream.stop(chunks=[MarkdownTextChunk(text="_(continued in the next message)_")])
        except (SlackApiError, SlackRequestError) as exc:
            log.info("the stream in %s had already ended: %s", thread.id, _error(exc))

    async def _append(self, thread: ThreadRef, live: LiveStream, chunks: list[Chunk]) -> None:
        try:
            await live.stream.append(chunks=chunks)
        except (SlackApiError, SlackRequestError) as exc:
            if live.stream.ts is None:  # chat.startStream itself was refused
                self._live.pop(thread.id, None)
                raise self._refused(thread, exc) from None
            # Slack closed the stream (its time limit): go on in a new message with everything
            log.info("the stream in %s ended (%s); continuing in a new one", thread.id, _error(exc))
            self._live.pop(thread.id, None)
            fresh = await self._start(thread, next(iter(live.plans.values()), None), live)
            if any(not isinstance(chunk, PlanUpdateChunk | TaskUpdateChunk) for chunk in chunks):
                await fresh.stream.append(chunks=[c for c in chunks if isinstance(c, MarkdownTextChunk)])

    def _refused(self, thread: ThreadRef, exc: Exception) -> StreamRefused:
        """A refusal that will not change by itself (a missing scope, no such method here) turns
        the channel to cards for good; a passing fault only this event."""
        code = _error(exc)
        if code in PASSING:
            log.info("Slack could not start a stream in %s (%s): a card this time", thread.channel, code)
        elif thread.channel not in self.refused:
            self.refused.add(thread.channel)
            log.info("Slack refused a stream in %s (%s): that channel gets edited cards", thread.channel, code)
        return StreamRefused(code)


def _error(exc: Exception) -> str:
    return error_of(exc) if isinstance(exc, SlackApiError) else str(exc)
