"""Deny with a reason: the modal a Deny click opens, and what its submission carries.

A click on Deny opens a modal (`views.open` with the click's `trigger_id`) asking why; the reason
is optional, and submitting denies the plan with it: the denial in the thread quotes it and the
audit log keeps it. Where the modal cannot be opened (the trigger expired, a click from an old
client), the click denies at once, as before. Where the clicker may not deny, they are told so
privately without a modal.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from slack_sdk.models.blocks import InputBlock, MarkdownTextObject, PlainTextInputElement, PlainTextObject, SectionBlock
from slack_sdk.models.views import View

from chatops.adapters.slack.mrkdwn import escape, truncate
from chatops.bot.model import Plan

CALLBACK_ID = "chatops.deny_reason"
BLOCK_ID = "reason"
ACTION_ID = "reason"
MAX_REASON = 2000


@dataclass(frozen=True)
class ClickedCard:
    """Where the Deny click came from, carried through the modal in `private_metadata`."""

    plan_id: str
    channel: str
    card_ts: str
    thread_ts: str
    from_home: bool = False

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, text: str) -> ClickedCard | None:
        try:
            data = json.loads(text or "{}")
            return cls(**{key: data[key] for key in ("plan_id", "channel", "card_ts", "thread_ts")},
                       from_home=bool(data.get("from_home")))
        except (ValueError, KeyError, TypeError):
            return None


def deny_modal(plan: Plan, context: ClickedCard) -> dict[str, Any]:
    """The modal asking why (slack_sdk's `View` and blocks: they check Slack's limits)."""
    steps = ", ".join(escape(step.tool) for step in plan.steps[:10])
    return View(
        type="modal", callback_id=CALLBACK_ID, private_metadata=context.dumps(),
        title=PlainTextObject(text="Deny this plan"), submit=PlainTextObject(text="Deny"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=truncate(
                f"*{escape(plan.goal)}*\nsteps: {steps}\nNothing it would change will be run.", 3000))),
            InputBlock(block_id=BLOCK_ID, optional=True,
                       label=PlainTextObject(text="Why? (shown in the thread and kept in the audit log)"),
                       element=PlainTextInputElement(action_id=ACTION_ID, multiline=True, max_length=MAX_REASON)),
        ]).to_dict()


def submitted_reason(view: dict[str, Any]) -> str:
    """The reason typed into the modal ("" when left empty)."""
    value = (((view.get("state") or {}).get("values") or {}).get(BLOCK_ID) or {}).get(ACTION_ID) or {}
    return str(value.get("value") or "").strip()[:MAX_REASON]
