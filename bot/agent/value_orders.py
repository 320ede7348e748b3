"""Orders without a verb that name the value a change sets: "northgate, late start till further
notice", "riverside has an INSET day, no bells please". English drops the verb of an order when
the value says it all, as in "two coffees, please"; what is left is the value, then "please" or
how long. Such a clause asks for the one change that takes that value from its listed values.

Why apart from `bot.agent.moved_to` ("go to backup"): there the verb of moving is the evidence;
here only the clause's shape is, so the rule is narrow: the clause opens with the value (or one of
its aliases) and ends with nothing but "please", "now" or a time ("till further notice", "for 3
days", "today"); a state told ("riverside is on late start") or a question never counts, and
what cannot be undone is never found this way."""

from __future__ import annotations

import re

from chatops.bot.agent.candidate import Candidate
from chatops.bot.agent.entities import CLAUSE
from chatops.bot.agent.enums import enum_aliases, value_forms, value_pattern
from chatops.bot.agent.lexicon import ACKNOWLEDGEMENT
from chatops.bot.agent.param_kinds import parameters, shared_parameters
from chatops.bot.model import Risk

# what may follow the value in a verbless order: "please", "now", a time; not thanks ("ok, thanks"
# acknowledges), and nothing told of the past ("silent till the bishop left", "… was lovely")
_TAIL = re.compile(r"^\s*(?:(?:please|pls|plz|now|asap|today|tonight|tomorrow)\b[\s,.!]*)*"
                   r"(?:(?:till|until|til)\s+[^,;.!?]+|for\s+(?:the\s+)?(?:\d+|a|an|one|two|three|rest)\b[^,;.!?]*)?"
                   r"(?:[\s,]*(?:please|pls|plz)\b)?\s*[.!]*\s*$", re.IGNORECASE)
_TOLD = re.compile(r"\b(?:was|were|had|did|left|went|came|\w+ed)\b", re.IGNORECASE)


def value_ordered(scored: list[Candidate], text: str) -> tuple[str, str] | None:
    """The one change (not a danger one) whose listed value, taken from the request, opens a clause
    that says nothing else but "please" or how long, with the value as written; None when no
    change, or several, fit."""
    if "?" in text:
        return None
    clauses = [part.strip() for part in CLAUSE.split(text) if part and part.strip()]
    writes = [c for c in scored if c.spec.risk is Risk.write and not c.filled.missing and not c.filled.ties
              and any(param.enum for param in parameters(c.spec))]
    if not writes:
        return None
    taking = [(c.name, said) for c in writes if (said := _said_alone(_listed_forms(c, scored), clauses))]
    return taking[0] if len(taking) == 1 else None


def _listed_forms(candidate: Candidate, scored: list[Candidate]) -> list[str]:
    """The ways the request may write the listed values the candidate took from it and sets: not
    those of a parameter other tools take alike, which names the thing ("abbey" of a venue)."""
    forms: list[str] = []
    shared: frozenset[str] | None = None
    for param in parameters(candidate.spec):
        given = candidate.filled.args.get(param.name)
        if not (param.enum and isinstance(given, str) and candidate.filled.sources.get(param.name)
                and given != param.schema.get("default")):
            continue
        if shared is None:
            shared = shared_parameters(candidate.spec, [c.spec for c in scored])
        if param.name not in shared:
            forms += value_forms(given, enum_aliases(param.schema))
    return forms


def _said_alone(forms: list[str], clauses: list[str]) -> str:
    """The words of the first form that opens a clause saying nothing else, or ""."""
    for form in forms:
        for clause in clauses:
            opening = re.match(rf"^(?:and\s+|then\s+|just\s+)?(?:the\s+|a\s+)?({value_pattern(form)})", clause,
                               re.IGNORECASE)
            tail = clause[opening.end():] if opening else ""
            if opening and _TAIL.match(tail) and not _TOLD.search(tail) and not ACKNOWLEDGEMENT.match(clause):
                return opening.group(1)
    return ""
