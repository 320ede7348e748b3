"""“Go to backup”, “fail over to dr”, “switch sport1.de.hd to main”: an order that moves something
to one of the values a change takes asks for that change, when exactly one change takes it.

Why: a switch's verb is often no verb of the tool's (`switch_source`, `set_route`, `select_feed`)
and people name only where things should go. The value is the evidence: it is one of the values
the tool's own parameter lists (or an alias of one), written right after "to" in an order, and no
other change offered takes it."""

from __future__ import annotations

import re

from chatops.bot.agent.candidate import Candidate
from chatops.bot.agent.entities import words_of
from chatops.bot.agent.enums import alias_forms, enum_aliases, value_pattern
from chatops.bot.agent.param_kinds import parameters
from chatops.bot.agent.phrasal import MOVING_VERBS
from chatops.bot.model import Risk

# verbs that send something somewhere, besides those that move objects: "go to backup", "fail over to dr"
_GOING = frozenset({*MOVING_VERBS, "go", "switch", "fail", "failover", "flip", "cut", "change", "route", "point"})
_TO = re.compile(r"\b([a-z]+)((?:\s+(?:over|back|across|it|them|[a-z0-9][\w.@-]*)){0,2})"
                 r"\s+(to|on|onto|into)\s+(?:the\s+)?([a-z0-9][\w.-]*(?:\s+[\w.-]+){0,3})", re.IGNORECASE)
_POINTING = frozenset({"it", "them", "that", "this", "back", "over"})
# "put K12 on ISPM 15", "set it on the quick pine": a light verb puts a thing on a value, as the
# descriptions of such changes say ("Put a kiln on another drying schedule")
_PUTTING = frozenset({"put", "set", "switch", "move", "change", "flip"})


# "call it soft", "declare it heavy", "mark them ready": the value an order names the thing by
_CALL_IT = re.compile(r"\b(?:call|declare|mark|rate)\s+(?:it|them|that|this)\s+(?:as\s+)?"
                      r"([a-z0-9][\w.-]*(?:\s+[\w.-]+){0,3})", re.IGNORECASE)


def moved_to_a_value(scored: list[Candidate], wording: str) -> dict[str, str]:
    """The one write that takes, as one of its listed values, the value an order moves something
    to, with the order's preposition ("to", "on"), or names it ("call it soft")."""
    for match in _CALL_IT.finditer(wording):
        if not _opens_an_order(wording, match.start()):
            continue
        after = match.group(1)
        taking = [c for c in scored if c.spec.risk is not Risk.read and not c.filled.missing
                  and (takes_from_the_request(c, after.split()[0].lower(), listed_only=True)
                       or _names_a_listed_value(c, after))]
        if len(taking) == 1:
            return {taking[0].name: match.group(0).split()[0].lower()}
    for match in _TO.finditer(wording):
        verb, moved, preposition, after = match.group(1).lower(), match.group(2), match.group(3).lower(), match.group(4)
        if verb not in (_GOING if preposition == "to" else _PUTTING) or not _opens_an_order(wording, match.start()):
            continue
        taking = [c for c in scored if c.spec.risk is not Risk.read and not c.filled.missing
                  and (takes_from_the_request(c, after.split()[0].lower(), listed_only=True)
                       or _names_a_listed_value(c, after))
                  # "put it on ISPM 15", "put K12 on …": the tool's own thing; "move the chairs into the
                  # main hall" moves other things into a place, and changes nothing of it
                  and (preposition == "to" or _moves_its_own(c, moved))]
        if len(taking) == 1:
            return {taking[0].name: preposition}
    return {}


def takes_from_the_request(candidate: Candidate, value: str, *, listed_only: bool = False) -> bool:
    """Whether the candidate took `value` (any case) from the request for one of its parameters;
    `listed_only`: for one whose values are listed (an enum)."""
    listed = {param.name for param in parameters(candidate.spec) if param.enum}
    return any(isinstance(given, str) and given.lower() == value and candidate.filled.sources.get(name)
               and (not listed_only or name in listed) for name, given in candidate.filled.args.items())


def _moves_its_own(candidate: Candidate, moved: str) -> bool:
    """Whether the words an order moves are a pointing word or a value the candidate took."""
    taken = {str(value).lower() for value in candidate.filled.args.values()}
    return all(word.lower() in _POINTING or word.lower() in taken for word in moved.split())


def _names_a_listed_value(candidate: Candidate, said: str) -> bool:
    """Whether `said` opens with a listed value the candidate took from the request, by one of its
    aliases ("ISPM 15" for `heat_treat`)."""
    for param in parameters(candidate.spec):
        given = candidate.filled.args.get(param.name)
        if param.enum and given is not None and candidate.filled.sources.get(param.name):
            aliases = enum_aliases(param.schema)
            if any(owner == given and re.match(value_pattern(form), said, re.IGNORECASE)
                   for alias, owner in aliases.items() for form in alias_forms(alias)):
                return True
    return False


def _opens_an_order(wording: str, at: int) -> bool:
    """Whether the verb at `at` opens a clause (the text before it ends one, or there is none)."""
    before = wording[:at].rstrip()
    return not before or before[-1] in ",;:.!?" or words_of(before)[-1:] in (["and"], ["then"], ["please"], ["pls"])
