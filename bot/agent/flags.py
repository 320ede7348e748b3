"""Yes/no parameters: which state the request sets a flag to. From the state words around the
flag's own word ("enable", "off", "into"), the way a flag named by a thing and its way is put
("leave the boom down" for `boom_up`), and the words its description gives each state ("false
dumps everything, garbage included"); an enum of a yes and a no is read as the flag it is.

Why apart from `bot.agent.arguments`: a flag left at its default does silently what nobody asked,
and the card does not say so; its rules are many, and they are about words, not about values."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from chatops.bot.agent.entities import STOPWORDS, Entities, identifier_words, stem, words_of
from chatops.bot.agent.lexicon import FALSE_PARTICLES, MUTATING_VERBS, STATE_WORDS, TRUE_PARTICLES, wordset
from chatops.bot.agent.param_kinds import Param
from chatops.bot.agent.tool_words import summary_stems

_YES = frozenset({"yes", "y", "true", "on", "enabled", "enable"})
_NO = frozenset({"no", "n", "false", "off", "disabled", "disable"})


def yes_and_no(param: Param) -> tuple[Any, Any] | None:
    """The yes and the no of an enum that is a flag written as two words ("yes"/"no", "on"/"off")."""
    values = list(param.enum or [])
    yes = [value for value in values if str(value).lower() in _YES]
    no = [value for value in values if str(value).lower() in _NO]
    return (yes[0], no[0]) if len(values) == 2 and len(yes) == 1 and len(no) == 1 else None


def as_flag(param: Param, ways: tuple[Any, Any]) -> Param:
    """The enum read as the flag it is: its default in yes/no."""
    schema = dict(param.schema)
    if "default" in schema:
        schema["default"] = schema["default"] == ways[0]
    return dataclasses.replace(param, kind="bool", schema=schema)


def yes_or_no(param: Param, entities: Entities, summary: str) -> bool | None:
    """A yes/no value from the request's state words ("enable", "off", "into", "out of"): for a
    required parameter, or an optional one the request names. An optional flag that is off unless
    asked, named with no state word, is asked for ("any denied swipes?" for `denied_only`, "a dry
    run" for `dry_run`) unless a negation stands just before it. None when it says neither, or both."""
    tokens = words_of(entities.plain)
    words = set(tokens)
    off_unless_asked = not param.required and param.schema.get("default", False) is False  # left out, it is off
    if not param.required and off_unless_asked and \
            _EVERYTHING_UNDER.search(str(param.schema.get("description", ""))) and \
            _EVERYTHING_UNDER.search(entities.plain):
        return True  # "dump everything under config/" for "Read every key under the prefix"
    if off_unless_asked and _asks_for_the_trouble_it_keeps(param, tokens, "?" in entities.plain):
        return True  # "which docks are out?" for "Only stations with a fault or a closed dock"
    if _opposite_written(param, tokens):
        return False  # "leave the boom down" for `boom_up`
    if (defined := _way_its_description_defines(param, tokens, summary)) is not None:
        return defined  # "keep the garbage too" for "false dumps everything, garbage included"
    at = _flag_named_at(param, tokens, summary)
    if not param.required and at is None:
        return None
    if at is not None and off_unless_asked and _orders_the_flags_change(param, tokens, at):
        return True  # "suspend etl wh and kill the running queries too": its "kill" is no "off"
    if at is not None:  # "cut gpu-3 off …, but keep it running": the state words around the flag's own
        words = set(tokens[max(0, at - 3): at + 4])  # word, not the "off" of another phrase
    # the flag's own name is no state it is set to: "which cronjobs are suspended?" for `suspended_only`
    words = {word for word in words if stem(word) not in {stem(part) for part in identifier_words(param.name)}}
    yes = bool(words & (STATE_WORDS[0] | TRUE_PARTICLES))
    no = bool(words & (STATE_WORDS[1] | FALSE_PARTICLES))
    if yes != no:
        return yes
    if at is not None and not param.required and off_unless_asked:
        return not set(tokens[max(0, at - 2): at]) & _NEGATIONS
    return None


# a flag that reaches into what lies beneath: "every key under the prefix", "all files below it"
_EVERYTHING_UNDER = re.compile(r"\b(?:every\w*|all)\b(?:\s+\S+){0,4}?\s+(?:under|below|beneath|inside)\b",
                               re.IGNORECASE)
_ABOUT_ME = re.compile(r"(?<![a-z])(?:mine|my|i|me)(?![a-z])", re.IGNORECASE)
_NEGATIONS = frozenset({"no", "not", "without", "dont", "don't", "never", "nor"})


_BE = frozenset({"is", "are", "was", "were", "still", "been", "be"})
# Words for a thing in trouble (English, not any tool's): a flag that keeps only such things is asked
# for by any of them ("which docks are out?", "belts down in T2?", "anything else broken?")
_TROUBLE = frozenset(stem(word) for word in wordset(
    "down out broken faulty fault faults faulted failed failing failure dead offline stopped stuck jammed closed "
    "error errors unhealthy crashed tripped"))


def _asks_for_the_trouble_it_keeps(param: Param, tokens: list[str], asked: bool) -> bool:
    """Whether the flag keeps only things in trouble (its name ends in "only" or its description
    opens with "only", and says a trouble word) and the request asks which things are in trouble:
    a question ("which …", "any …", "…?"), not an order that says "down" or "out" ("batten down
    qc01", "run BRK/P1 flat out")."""
    if not (asked or tokens[:1] in (["which"], ["any"], ["anything"], ["what"], ["whats"])):
        return False
    described = words_of(str(param.schema.get("description", "")))
    filters = param.name.lower().endswith("only") or (bool(described) and described[0] == "only")
    own = {stem(word) for word in [*identifier_words(param.name), *described]}
    # "out" and "down" say a state only after "is"/"are" ("which docks are out"), not "come out",
    # "running down there"; the other words are states wherever they stand ("any faulty gates")
    troubled = any(stem(token) in _TROUBLE and (token not in ("out", "down") or (at and tokens[at - 1] in _BE))
                   for at, token in enumerate(tokens))
    return filters and bool(own & _TROUBLE) and troubled and not set(tokens) & _NEGATIONS


# A flag named by a thing and the way it stands ("boom_up", "doors_open", "lights_on"); the way
# opposite to it (English particles, not any tool's words)
_OPPOSITE_WAYS = {"up": "down", "down": "up", "in": "out", "out": "in", "on": "off", "off": "on",
                  "open": "closed", "closed": "open"}


# a description that opens by putting a thing one way: "Bring the house lights up to half while paused"
_PUT_A_WAY = re.compile(r"^\s*[A-Za-z]+\s+(?:the\s+|its\s+)?((?:[a-z]+\s+){0,2}[a-z]+)\s+(up|down|on|off|in|out|open|"
                        r"closed)\b", re.IGNORECASE)


def _opposite_written(param: Param, tokens: list[str]) -> bool:
    """Whether the request puts the flag's thing the other way: "leave the boom down" for `boom_up`
    ("Raise the boom before pinning"), "keep the house lights down" for a `lights` that "Bring[s] the
    house lights up". Without this the flag keeps its default, the opposite of what was asked, and
    nothing on the card says so."""
    parts = identifier_words(param.name)
    ways = [part for part in parts if part in _OPPOSITE_WAYS]
    things = {stem(part) for part in parts if part not in _OPPOSITE_WAYS and part not in STOPWORDS}
    if len(ways) != 1 or not things:  # "Bring the house lights up to half" for `lights`
        described = _PUT_A_WAY.match(str(param.schema.get("description", "")))
        if described is None:
            return False
        ways = [described.group(2).lower()]
        things = {stem(word) for word in words_of(described.group(1)) if word not in STOPWORDS}
    opposite = _OPPOSITE_WAYS[ways[0]]
    # "keep the house lights down", not "the house lights are down now, bring them up" (a state told)
    return any(stem(token) in things and opposite in tokens[index + 1: index + 3]
               and tokens[index + 1] not in _BE for index, token in enumerate(tokens))


_DEFINED_WAY = re.compile(r"\b(true|false)\b[^.;()]*", re.IGNORECASE)


def _way_its_description_defines(param: Param, tokens: list[str], summary: str) -> bool | None:
    """The state whose own words, as the description defines that state ("false dumps everything,
    garbage included"), the request uses and the other state's do not: the words neither the tool's
    summary nor the rest of the description share."""
    described = str(param.schema.get("description", ""))
    ways: dict[bool, set[str]] = {True: set(), False: set()}
    for match in _DEFINED_WAY.finditer(described):
        ways[match.group(1).lower() == "true"] |= {stem(word) for word in words_of(match.group(0)[len(match.group(1)):])
                                                   if word not in STOPWORDS and len(word) >= 4
                                                   and word not in _OPPOSITE_WAYS}  # "tie down": a verb's particle
    if not ways[True] and not ways[False]:
        return None
    rest = summary_stems(summary) | {stem(word) for word in words_of(_DEFINED_WAY.sub(" ", described))}
    said = {stem(token) for token in tokens}
    found = {way for way, words in ways.items() if (words - rest - ways[not way]) & said}
    return found.pop() if len(found) == 1 else None


def _orders_the_flags_change(param: Param, tokens: list[str], at: int) -> bool:
    """Whether the request orders the change a flag makes ("Cancel the queries still running" for
    `abort_running`): a change verb just before the flag's word, where the flag's description opens
    with a change verb, and no negation before it."""
    described = words_of(str(param.schema.get("description", "")))
    before = tokens[max(0, at - 3): at]
    return bool(described) and described[0] in MUTATING_VERBS and \
        any(word in MUTATING_VERBS for word in before) and not set(tokens[max(0, at - 5): at]) & _NEGATIONS


def _flag_named_at(param: Param, tokens: list[str], summary: str) -> int | None:
    """Where the request names the parameter: a word of its name ("denied" of `denied_only`), or
    of its description that the tool's own summary does not use ("refused" of "only refused
    swipes" for a tool about door swipes)."""
    own = {stem(word) for word in identifier_words(param.name) if word not in STOPWORDS and len(word) >= 3}
    said = {stem(word) for word in words_of(str(param.schema.get("description", "")))
            if len(word) >= 4 and word not in STOPWORDS}
    # the tool's summary words say what the tool is about, not this flag: except those of a part of
    # the summary that names the flag ("a long erase overwrites the whole tape" for `long`)
    # (a parenthesis is a part of its own: "Uncouple a wagon (optionally the wagons behind it too)")
    parts = [summary_stems(part) for part in re.split(r"[.;:]\s+|,\s+|\s*\(", summary)]
    naming = [part for part in parts if own <= part]  # all of its words: "employee" alone is no `email_employee`
    about_flag = set().union(*naming) - set().union(*(part for part in parts if not own & part)) if naming else set()
    named = own | (said - (summary_stems(summary) - about_flag))
    found = next((index for index, token in enumerate(tokens) if stem(token) in named), None)
    if found is None and "my" in tokens and _ABOUT_ME.search(f"{param.name} {param.schema.get('description', '')}"):
        return tokens.index("my")  # "show my changes" for `mine`, "Only changes I raised"
    return found
