"""Conditional requests: "check http://… and restart web if it is down".

Such a request is two rounds: the check runs at once (read-only); when its result shows a problem
(the step's `outcome` is "problem", or it failed), the next round proposes the action for approval;
when it is fine, the answer says so and nothing is proposed. This module only splits the request
into its check and its action; `bot.agent.guided` plans each in its round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chatops.bot.agent.lexicon import CONDITION
from chatops.bot.model import Plan, StepStatus

_JOIN = re.compile(r"\s*(?:,\s*)?(?:\band\s+then\b|\band\b|\bthen\b|,)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Conditional:
    check: str  # "check http://127.0.0.1:8099/health"
    action: str  # "restart nginx"
    condition: str  # "it is down"


def split_conditional(text: str) -> Conditional | None:
    """The check and the action of "<check> and <action> if <unwell>" or "if <target unwell>,
    <action>"; None for any other request."""
    match = CONDITION.search(text)
    if match is None:
        return None
    before, after = text[: match.start()].strip(), text[match.end():].strip(" ,.;!?")
    condition = match.group("cond").strip()
    if not before and after:  # "if https://x is not responding, bounce the api"
        after = re.sub(r"^(?:then\s+)", "", after, flags=re.IGNORECASE)
        return Conditional(check=condition, action=after, condition=condition)
    if after and re.search(r"(?:,|\band)\s*$", before):  # "check X and if so unlock him": the action follows
        check = re.sub(r"\s*(?:,\s*)?(?:\band\b)?\s*$", "", before)
        return Conditional(check=check, action=re.sub(r"^(?:then\s+)", "", after, flags=re.IGNORECASE),
                           condition=condition) if check else None
    pieces = [piece for piece in _JOIN.split(before) if piece and piece.strip()]
    if len(pieces) < 2:
        return None
    return Conditional(check=" ".join(pieces[:-1]), action=pieces[-1], condition=condition)


def found_problem(plans: list[Plan]) -> bool:
    """Whether the checks of the earlier rounds found a problem or could not run."""
    return any(step.outcome == "problem" or step.status is StepStatus.failed
               for plan in plans for step in plan.steps)
