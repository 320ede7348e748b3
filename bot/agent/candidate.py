"""One tool's standing for one request: its score, the words and values that earned it, and how
it was found (`bot.agent.ranking` makes them; the choice by values, the follow-ups and the plan's
wording read them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chatops.bot.agent.filled import Filled
from chatops.tools.registry import ToolSpec


@dataclass
class Candidate:
    spec: ToolSpec
    score: float
    matched: list[str]  # the tool's own words found in the request
    filled: Filled
    verb_hit: bool = False  # one of its words stands where an order puts its verb
    labels: list[str] = field(default_factory=list)  # every scoring item, for debugging
    action_hit: bool = False  # its action word (not a subject word) stands where an order puts its verb
    described: bool = False  # words of its description are in the request
    similarity: float | None = None  # to the request by meaning (`bot.agent.meaning`), when measured
    by_meaning: bool = False  # a candidate only because of that similarity
    by_values: bool = False  # a candidate only because its parameters take the request's values (`bot.agent.by_values`)
    # the request is one clause that opens with what the tool is about, not with an action: "errors
    # in checkout-web matching 'card declined'" names a subject to look at
    subject_opens: bool = False

    @property
    def name(self) -> str:
        return self.spec.name
