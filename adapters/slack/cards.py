"""The plan card: a plan as Block Kit, with Approve / Deny while it waits, redrawn as it moves on.

The card is always drawn from the stored `Plan` (plus who decided and when), never patched, so
that any later event — a step finishing, a decision, an expiry, a click after a restart — redraws
it whole and the last edit is always right. Buttons carry only the plan id (`value`); their
`action_id`s are fixed so that a click is routed without any state in the adapter.

Slack's limits are kept here: at most 50 blocks, 3,000 characters per section text, 40,000 per
message. A step's result is shown in one short line; a longer one is uploaded beside the card as a
file (see `full_output`). Once the turn is answered, the answer is the card's last part, with the
👍 / 👎 buttons under it: one message per turn, never a second one repeating the card.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    ContextActionsBlock,
    ContextBlock,
    DividerBlock,
    FeedbackButtonObject,
    FeedbackButtonsElement,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
)

from chatops.adapters.messages import is_text_output, output_text, step_badge
from chatops.adapters.slack.mrkdwn import escape, truncate
from chatops.bot.model import FollowUp, Plan, PlanStatus, Risk, Step, StepStatus

APPROVE_ACTION = "chatops.approve"
DENY_ACTION = "chatops.deny"
FEEDBACK_ACTION = "chatops.feedback"
NEXT_STEP_ACTION = "chatops.next_step"  # + ".0", ".1", …: an answer's next step; the value is its request
STEPS_ACTION = "chatops.steps"  # the checkboxes that choose which waiting steps an approval covers
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_MESSAGE_CHARS = 40_000
RESULT_CHARS = 200  # a result longer than this goes beside the card
MAX_ARGS_SHOWN = 6
ARG_CHARS = 80

RISK_BADGE = {Risk.read: ":large_green_circle: `read`", Risk.write: ":large_orange_circle: `write`",
              Risk.danger: ":red_circle: `danger`"}
STEP_LINE = {
    StepStatus.proposed: "⏸ waiting for approval",
    StepStatus.approved: "◦ queued",
    StepStatus.running: "⏳ running…",
    StepStatus.skipped: "– skipped",
    StepStatus.denied: "🚫 denied",
    StepStatus.expired: "⌛ expired",
    StepStatus.interrupted: "! interrupted (the bot stopped while it ran)",
}
PLAN_LINE = {
    PlanStatus.proposed: "",
    PlanStatus.approved: "",
    PlanStatus.running: "⏳ Running…",
    PlanStatus.succeeded: "✓ Done.",
    PlanStatus.failed: "✗ A step failed.",
    PlanStatus.interrupted: "! Interrupted.",
    PlanStatus.denied: "",
    PlanStatus.expired: "⌛ *Expired* without a decision: nothing that needed approval was run.",
}


@dataclass(frozen=True)
class DecisionNote:
    """Who decided a plan and when (epoch seconds), shown on the card."""

    approve: bool
    by: str
    at: float
    steps: tuple[int, ...] = ()  # an approval of only these steps (numbers on the card)

    def to_dict(self) -> dict[str, Any]:
        return {"approve": self.approve, "by": self.by, "at": self.at, **({"steps": list(self.steps)} if self.steps
                                                                            else {})}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DecisionNote | None:
        if not data:
            return None
        return cls(approve=bool(data["approve"]), by=str(data["by"]), at=float(data["at"]),
                   steps=tuple(int(n) for n in data.get("steps") or ()))


def slack_date(epoch: float, fmt: str = "{date_short_pretty} at {time}") -> str:
    """A time every reader sees in their own time zone (the fallback is UTC)."""
    fallback = datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M UTC%z")
    return f"<!date^{int(epoch)}^{fmt}|{fallback}>"


def short_result(step: Step) -> str:
    """The whole text a finished step produced (its error, summary or result)."""
    if step.error:
        return step.error
    if step.summary:
        return step.summary
    if step.result is None:
        return ""
    return step.result if isinstance(step.result, str) else json.dumps(step.result, ensure_ascii=False, default=str)


def full_output(step: Step) -> str | None:
    """A finished step's whole output when it is more than its line on the card: every line of a
    program's stdout (and stderr), not its last line; a failure's error above what it printed."""
    if step.status not in (StepStatus.succeeded, StepStatus.failed):
        return None
    output = output_text(step.result) if is_text_output(step.result) else ""
    text = "\n\n".join(part for part in (step.error or "", output) if part) or short_result(step)
    return text if len(text) > RESULT_CHARS or "\n" in text.strip() else None


def _arguments(step: Step) -> str:
    shown = []
    for key, value in list(step.args.items())[:MAX_ARGS_SHOWN]:
        rendered = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        shown.append(f"`{escape(truncate(f'{key}={rendered}', ARG_CHARS)).replace('`', 'ˋ')}`")
    extra = len(step.args) - MAX_ARGS_SHOWN
    if extra > 0:
        shown.append(f"+{extra} more")
    return " ".join(shown)


def _status_line(step: Step) -> str:
    if step.status in (StepStatus.succeeded, StepStatus.failed):
        mark = step_badge(step.status, step.outcome).mark  # ⚠ for a finding, never a green ✓
        text = short_result(step).strip()
        first = text.splitlines()[0] if text else ""
        shown = truncate(first, RESULT_CHARS)
        took = f" ({step.duration_ms:.0f} ms)" if step.duration_ms is not None else ""
        more = " _(full output in the file below)_" if full_output(step) else ""
        return f"{mark} {escape(shown)}{took}{more}" if shown else f"{mark}{took}"
    return STEP_LINE.get(step.status, step.status.value)


def _step_text(number: int, step: Step, limit: int) -> str:
    lines = [f"*{number}. {escape(step.tool)}*  {RISK_BADGE[step.risk]}"]
    arguments = _arguments(step)
    if arguments:
        lines.append(arguments)
    if step.reason:
        lines.append(f"_{escape(truncate(step.reason, 300))}_")
    lines.append(_status_line(step))
    return truncate("\n".join(lines), limit)


# Every block is built through slack_sdk's classes, whose `to_dict()` validates it (lengths,
# counts, required fields): a wrong field fails here, in the SDK, before it reaches Slack.

def _section(text: str) -> dict[str, Any]:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, MAX_SECTION_TEXT))).to_dict()


def _context(text: str) -> dict[str, Any]:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(text, MAX_SECTION_TEXT))]).to_dict()


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section, cut to Slack's 3,000 characters (for answers and notices too)."""
    return _section(text)


def divider() -> dict[str, Any]:
    return DividerBlock().to_dict()


def waits_for_decision(plan: Plan) -> bool:
    return plan.status is PlanStatus.proposed and plan.needs_approval


def decision_line(plan: Plan, note: DecisionNote | None) -> str:
    if note is not None:
        verb = "Approved" if note.approve else "Denied"
        mark = ":white_check_mark:" if note.approve else ":no_entry_sign:"
        only = f" (only step{'s' if len(note.steps) > 1 else ''} {_numbers(note.steps)}; the others skipped)" \
            if note.steps else ""
        return f"{mark} *{verb}*{only} by {escape(note.by)} · {slack_date(note.at)}"
    if plan.status is PlanStatus.denied:
        return ":no_entry_sign: *Denied*"
    return ""


def _numbers(numbers: tuple[int, ...]) -> str:
    shown = [str(n) for n in numbers]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _step_choice(plan: Plan) -> CheckboxesElement | None:
    """Checkboxes, all ticked, when several steps wait: untick some and Approve runs only the
    ticked ones (the others are skipped). Read with the click, from the message's `state`."""
    waiting = [(number, step) for number, step in enumerate(plan.steps, 1) if step.status is StepStatus.proposed]
    if len(waiting) < 2:
        return None
    options = [Option(text=PlainTextObject(text=truncate(f"{number}. {step.tool} "
                                                         + " ".join(f"{k}={v}" for k, v in step.args.items()), 75)),
                      value=step.id) for number, step in waiting[:10]]
    return CheckboxesElement(action_id=STEPS_ACTION, options=options, initial_options=options)


def chosen_steps(body: dict[str, Any]) -> list[str] | None:
    """The steps ticked on the card when Approve was clicked; None when the card had no choice."""
    for block in ((body.get("state") or {}).get("values") or {}).values():
        choice = block.get(STEPS_ACTION)
        if choice is not None:
            return [str(option.get("value")) for option in choice.get("selected_options") or []]
    return None


def _buttons(plan: Plan) -> dict[str, Any]:
    confirm = None
    if any(step.risk is Risk.danger for step in plan.steps):
        confirm = ConfirmObject(
            title=PlainTextObject(text="Run a danger step?"),
            text=MarkdownTextObject(text=truncate(f"This plan has a *danger* step: {escape(plan.goal)}", 300)),
            confirm=PlainTextObject(text="Approve"), deny=PlainTextObject(text="Cancel"), style="danger")
    approve = ButtonElement(action_id=APPROVE_ACTION, value=plan.id, style="primary",
                            text=PlainTextObject(text="Approve"), confirm=confirm)
    deny = ButtonElement(action_id=DENY_ACTION, value=plan.id, style="danger", text=PlainTextObject(text="Deny"))
    choice = _step_choice(plan)
    return ActionsBlock(block_id=f"decide:{plan.id}",
                        elements=[choice, approve, deny] if choice else [approve, deny]).to_dict()


def next_steps_block(offers: list[FollowUp]) -> dict[str, Any] | None:
    """An answer's next steps as buttons: a click posts the button's request in the thread as the
    clicker's message (`value`, up to Slack's 2,000 characters), planned like anything typed."""
    if not offers:
        return None
    return {"type": "actions", "block_id": "next_steps", "elements": [
        {"type": "button", "action_id": f"{NEXT_STEP_ACTION}.{index}", "value": offer.request[:2000],
         "text": {"type": "plain_text", "text": truncate(f"▶ {offer.label}", 75), "emoji": True}}
        for index, offer in enumerate(offers[:5])]}


def feedback_block(plan_id: str = "") -> dict[str, Any]:
    """👍 / 👎 under an answer (`context_actions` with `feedback_buttons`, built with slack_sdk's
    classes); the value says which, and the plan the answer concluded."""
    element = FeedbackButtonsElement(
        action_id=FEEDBACK_ACTION,
        positive_button=FeedbackButtonObject(text="Good answer", accessibility_label="Mark this answer as good",
                                             value=f"positive:{plan_id}"),
        negative_button=FeedbackButtonObject(text="Wrong answer", accessibility_label="Mark this answer as wrong",
                                             value=f"negative:{plan_id}"))
    return ContextActionsBlock(elements=[element]).to_dict()


def decision_blocks(plan: Plan, who_may_approve: str = "") -> list[dict[str, Any]]:
    """What ends a streamed plan that waits: who may decide, until when, and Approve / Deny."""
    gated = sorted({step.risk.value for step in plan.steps if step.risk is not Risk.read})
    waiting = f"The {' and '.join(gated)} steps wait" if gated else "Steps with values from an attachment wait"
    expires = (f" Expires {slack_date(plan.expires_at.timestamp(), '{time}')}."
               if plan.expires_at is not None else "")
    return [_context(f"{waiting} for an approver; read steps run at once."
                     + (f" {escape(who_may_approve)}" if who_may_approve else "") + expires),
            _buttons(plan)]


def decided_card(plan: Plan, note: DecisionNote | None) -> tuple[str, list[dict[str, Any]]]:
    """A streamed plan once decided or expired: its goal, its steps in one line each, and what
    became of it; the run (if approved) streams in the next message."""
    steps = "\n".join(f"{number}. {escape(step.tool)} {_arguments(step)}".strip()
                      for number, step in enumerate(plan.steps[: MAX_BLOCKS - 5], 1))
    state = decision_line(plan, note) or PLAN_LINE[plan.status] or plan.status.value
    if plan.status is PlanStatus.expired:
        state = PLAN_LINE[PlanStatus.expired]
    elif note is not None and note.approve:
        state += " · the run follows below"
    elif note is not None:
        state += " · nothing was changed"
    blocks = [_section(f":clipboard: *Plan:* {escape(plan.goal)}"), _section(steps or "_no steps_"), _context(state)]
    return fallback_text(plan), blocks


def fallback_text(plan: Plan) -> str:
    """The notification text (and what screen readers and old clients show)."""
    state = "waits for approval" if waits_for_decision(plan) else plan.status.value
    return truncate(f"Plan: {plan.goal} ({state})", 300)


MAX_NOTICES = 3  # the latest progress lines a running card shows
ANSWER_ON_CARD = 12_000  # mrkdwn characters of an answer the card holds; a longer one goes as a file
MAX_ANSWER_BLOCKS = 5


def answer_sections(mrkdwn: str) -> list[str]:
    """The answer in sections of at most 3,000 characters, split between lines where it can be."""
    pieces: list[str] = []
    rest = mrkdwn.strip()
    while rest and len(pieces) < MAX_ANSWER_BLOCKS:
        if len(rest) <= MAX_SECTION_TEXT:
            pieces.append(rest)
            break
        cut = rest.rfind("\n", 0, MAX_SECTION_TEXT)
        cut = cut if cut > MAX_SECTION_TEXT // 2 else MAX_SECTION_TEXT
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    return pieces


def plan_card(plan: Plan, note: DecisionNote | None = None,
              who_may_approve: str = "", *, answer: str | None = None,
              notices: Sequence[str] = (), next_steps: Sequence[FollowUp] = ()) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) for a plan as it stands now; `notices` (the steps' progress, as
    plain text) in context lines under the steps; with `answer` (mrkdwn), the turn's answer
    below them, with the feedback buttons under it, and as the notification text."""
    head = [_section(f":clipboard: *Plan:* {escape(plan.goal)}")]
    facts = [f"requested by {escape(plan.requester.label())}" if plan.requester else "",
             f"{len(plan.steps)} step{'s' if len(plan.steps) != 1 else ''}",
             f"round {plan.round}" if plan.round > 1 else ""]
    if waits_for_decision(plan) and plan.expires_at is not None:
        facts.append(f"expires {slack_date(plan.expires_at.timestamp(), '{time}')}")
    head.append(_context(" · ".join(fact for fact in facts if fact)))

    tail: list[dict[str, Any]] = []
    outcome = PLAN_LINE[plan.status]
    if plan.status is PlanStatus.succeeded and any(step.outcome == "problem" for step in plan.steps):
        outcome = "⚠ Found a problem."
    state = " · ".join(line for line in (decision_line(plan, note), outcome) if line)
    if state:
        tail.append(_context(state))
    if waits_for_decision(plan):
        gated = sorted({step.risk.value for step in plan.steps if step.risk is not Risk.read})
        waiting = f"The {' and '.join(gated)} steps wait" if gated else "Steps with values from an attachment wait"
        tail.append(_context(f"{waiting} for an approver; read steps run at once."
                             + (f" {escape(who_may_approve)}" if who_may_approve else "")))
        tail.append(_buttons(plan))

    tail.extend(_context(escape(truncate(notice, 300))) for notice in notices[-MAX_NOTICES:])
    if answer is not None and answer.strip():
        tail.append(divider())
        tail.extend(_section(piece) for piece in answer_sections(answer))
        offered = next_steps_block(list(next_steps))
        if offered is not None:  # the answer's next steps, one click each (`bot.next_steps`)
            tail.append(offered)
        tail.append(feedback_block(plan.id))
    room = MAX_BLOCKS - len(head) - len(tail)
    steps = list(enumerate(plan.steps, 1))
    hidden = 0
    if len(steps) > room:
        steps, hidden = steps[: room - 1], len(steps) - (room - 1)
    used = sum(len(json.dumps(block, ensure_ascii=False)) for block in head + tail) + 2000
    per_step = max(200, min(MAX_SECTION_TEXT, (MAX_MESSAGE_CHARS - used) // max(1, len(steps))))
    body = [_section(_step_text(number, step, per_step)) for number, step in steps]
    if hidden:
        body.append(_context(f"…and {hidden} more step{'s' if hidden != 1 else ''}"))
    text = fallback_text(plan)
    if answer is not None and answer.strip():
        text = truncate(answer.strip(), 3000)  # what the notification says: the conclusion
    return text, head + body + tail
