"""What a planner is given and what it may return.

A planner turns the perceived message, the thread's history and (from the second round on) the
results of the steps it planned before into either a `Plan` or an `Answer`. The hub does not care
which planner it talks to: the `!command` fast path, a pydantic-ai model, or the guided planner
for the small embedded model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from chatops.bot.agent.diagnosis import KnowledgeBase
from chatops.bot.model import Answer, Plan, UserRef
from chatops.tools.registry import ToolSpec


@dataclass(frozen=True)
class PlanRequest:
    text: str  # the perceived message: the user's text plus labelled attachment parts
    requester: UserRef
    tools: list[ToolSpec]
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier messages, oldest first
    executed: list[Plan] = field(default_factory=list)  # this turn's earlier rounds, with results
    round: int = 1
    max_steps: int = 5
    earlier: list[Plan] = field(default_factory=list)
    """The thread's plans for earlier messages, oldest first, with their status and results: what
    "check it again", "same for billing" or "ok, restart it now" refer to."""
    own_text: str | None = None
    """The user's own words in this message (typed text and voice-note transcripts), as the hub
    knows them from the message's structure; None: derive them from `text`'s part labels."""
    knowledge: KnowledgeBase | None = None
    """The diagnosis knowledge base in force (the built-in one plus the team's entries); None:
    the built-in one. Answers conclude from its matches; a model is given them as data."""


class Planner(Protocol):
    """Anything that can plan. `reviews_results` says whether it should be called again with
    the results of a round (to answer or re-plan); when False the hub summarises them itself."""

    reviews_results: bool

    async def plan(self, request: PlanRequest) -> Plan | Answer: ...


class PlannerError(Exception):
    """The planner could not produce a usable plan (garbage output, timeout, provider error).
    The message is short and safe to show in the thread."""
