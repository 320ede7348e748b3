"""The agent's entry points in Slack: the Home tab and a new assistant thread.

The Home tab (`views.publish` when someone opens it) shows "Waiting for you": the plans that
person may decide, each with Approve / Deny (the same buttons as on a card; a click there is
decided like one on the card and the card in the thread is edited), and the workspace's recent
threads with the bot. A new assistant thread (`assistant_thread_started`, the older assistant
view and the agent view alike) gets the suggested prompts from the configured tools' examples.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from chatops.adapters.slack.cards import APPROVE_ACTION, DENY_ACTION, slack_date
from chatops.adapters.slack.mrkdwn import escape, truncate
from chatops.bot.model import Plan, Risk

MAX_WAITING = 15  # 3 blocks each, under the Home tab's 100
MAX_THREADS = 10
RISK_WORD = {Risk.read: "read", Risk.write: "write", Risk.danger: "danger"}


def _risk(plan: Plan) -> str:
    ranked = max((step.risk for step in plan.steps), key=lambda r: list(Risk).index(r), default=Risk.read)
    return RISK_WORD[ranked]


def _thread_place(thread_id: str) -> str:
    """`slack:C…:ts` as a channel mention (every reader sees the name)."""
    parts = thread_id.split(":")
    return f"<#{parts[1]}>" if len(parts) >= 3 and parts[1][:1] in "CDG" else ""


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return slack_date(value.timestamp(), "{date_short_pretty} {time}")
    if isinstance(value, str) and value:
        try:
            return slack_date(datetime.fromisoformat(value).timestamp(), "{date_short_pretty} {time}")
        except ValueError:
            return escape(value)
    return ""


def home_view(waiting: list[Plan], threads: list[dict[str, Any]], who_may_approve: Callable[[Plan], str]) -> dict:
    """The Home tab: what waits for this person (with buttons), then recent threads (built with
    slack_sdk's classes, which check Slack's limits)."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="Waiting for you"))]
    if not waiting:
        blocks.append(_context("Nothing waits for your decision."))
    for plan in waiting[:MAX_WAITING]:
        facts = [f"`{_risk(plan)}`", f"asked by {escape(plan.requester.label())}" if plan.requester else "",
                 _thread_place(plan.thread_id),
                 f"expires {_when(plan.expires_at)}" if plan.expires_at else ""]
        steps = ", ".join(escape(step.tool) for step in plan.steps[:5])
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(
            f"*{escape(plan.goal)}*\n{' · '.join(f for f in facts if f)}\nsteps: {steps}", 3000))))
        blocks.append(ActionsBlock(block_id=f"home:{plan.id}", elements=[
            ButtonElement(action_id=APPROVE_ACTION, value=plan.id, style="primary",
                          text=PlainTextObject(text="Approve")),
            ButtonElement(action_id=DENY_ACTION, value=plan.id, style="danger", text=PlainTextObject(text="Deny"))]))
        blocks.append(_context(truncate(escape(who_may_approve(plan)) or "Needs one approval.", 3000)))
    if len(waiting) > MAX_WAITING:
        blocks.append(_context(f"…and {len(waiting) - MAX_WAITING} more"))
    blocks.append(DividerBlock())
    blocks.append(HeaderBlock(text=PlainTextObject(text="Recent threads")))
    lines = [f"{_thread_place(t['id'])} {escape(truncate(t.get('title') or '(untitled)', 120))} · "
             f"{_when(t.get('updated_at'))}" for t in threads[:MAX_THREADS]]
    blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate("\n".join(lines), 3000)))
                  if lines else _context("No threads yet."))
    return {"type": "home", "blocks": [block.to_dict() for block in blocks]}


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])
