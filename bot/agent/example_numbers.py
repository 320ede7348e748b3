"""A number said the way a tool's own examples say theirs: "send P02 out at 20" for a runbook whose
example is "send P07 out at 20g, ice forecast on the tops" and whose one number is the spread rate.

Why: an optional number is set only when the request names it (issue 19: no stray arguments),
and most requests name it by a word of the parameter ("rate 20") or its unit ("20 g/m2"). But a
team writes its examples the way its people talk, and they say the rate as "at 20" or "20g". When
the tool takes one number and an example writes one figure (besides the names its patterns
take, "P07"), that figure is the parameter's, so the word written before it ("at") and the unit
written after it ("g") are how it is named. A figure of the request with the same word before
it, or the same unit after it, is then named too; two such figures name none."""

from __future__ import annotations

import functools
import re

from chatops.bot.agent.entities import CLAUSE, Entities
from chatops.bot.agent.param_kinds import Param

_FIGURE = re.compile(r"(?:(?<=\s)|^)(?:([a-z]+)\s+)?(\d+)(?:([a-z]{1,4})(?:/[a-z0-9]+)?)?(?![\w.:/-])",
                     re.IGNORECASE)
# nothing after the figure but the clause's end, "and", or a word of politeness or time ("now")
_ENDS = re.compile(r"\s*(?:$|[,.;:!?)]|(?:and|please|pls|now|asap|thanks|ta)\b)", re.IGNORECASE)
_EITHER = re.compile(r"\s*(?:or|to)\b", re.IGNORECASE)
_NEXT_WORD = re.compile(r"\s*([a-z]+)\b", re.IGNORECASE)
# a refusal or what something was or is, just before the figure: "not at 90", "it was at 120"
_REFUSED_OR_TOLD = re.compile(r"\b(?:not|never|no|don['’]?t|was|were|been|is|are|it['’]s|still)\s+(?:\S+\s+){0,2}$",
                              re.IGNORECASE)
# units written out, by their symbols (English measures, not any tool's)
_SPELLED = {"g": ("gram", "grams", "gramme", "grammes"), "kg": ("kilo", "kilos", "kilogram", "kilograms"),
            "l": ("litre", "litres", "liter", "liters"), "ml": ("millilitre", "millilitres", "milliliter",
                                                                 "milliliters", "mils"),
            "m": ("metre", "metres", "meter", "meters"), "km": ("kilometre", "kilometres", "kilometer", "kilometers"),
            "w": ("watt", "watts"), "kw": ("kilowatt", "kilowatts"), "v": ("volt", "volts"),
            "a": ("amp", "amps"), "c": ("degree", "degrees"), "rpm": ("revs",)}
# what a word before a figure or after it may not be: a cue needs to say how this number is named,
# and these say how every number is ("for 20", "20 more", "the 20")
_PLAIN = frozenset({"a", "an", "the", "to", "for", "of", "and", "or", "by", "in", "on", "is", "it", "its", "be",
                    "me", "us", "x", "no", "not", "than", "about", "around", "every", "each", "more", "less",
                    "am", "pm", "h", "m", "s", "ms"})


def number_like_its_examples(param: Param, examples: tuple[str, ...], entities: Entities, used: set[int],
                             others: tuple[str, ...] = ()) -> int | None:
    """The one figure of the request said as the tool's examples say this parameter's: with the
    same unit after it ("30l", "30 litres"), or with the same word before it and nothing after it
    but the clause's end ("send P02 out at 20 and …"): "at 6 in the morning", "at 42 Mill Lane",
    "at 3 schools", "at 40 quid" say a time, a place, a count or a price. Only in the order's
    clause (the first, or one that names another of the step's values: `others`), never after a
    refusal or as what something was ("not at 90", "it was at 120"). Only for a tool whose one
    number this is (the caller checks), and only within the parameter's bounds."""
    before, after = _cues(examples)
    if not before and not after:
        return None
    found, cued = set(), set()
    clauses = [clause for clause in CLAUSE.split(entities.plain) if clause and clause.strip()]
    for number, clause in enumerate(clauses):
        # "boost W05, we'll review at 30": a word's cue counts in the order's clause only
        ordering = not number or any(other.lower() in clause.lower() for other in others if other)
        for match in _FIGURE.finditer(clause):
            word, figure, unit = (match.group(1) or "").lower(), int(match.group(2)), (match.group(3) or "").lower()
            if figure in used or _REFUSED_OR_TOLD.search(clause[: match.start(2)]):
                continue
            rest = clause[match.end():]
            if unit and unit in after:
                found.add(figure)  # "30l", "20g"
            elif unit or figure not in entities.numbers:
                continue  # "6ish", a time, a name's part or a duration is no such number
            elif (spelled := _NEXT_WORD.match(rest)) is not None and _spells(spelled.group(1).lower(), after):
                found.add(figure)  # "at 20 grams" as "at 20g"
            elif word in before and ordering:
                cued.add(figure)
                if _ENDS.match(rest) and not _EITHER.match(rest):
                    found.add(figure)  # "send P02 out at 20", the clause ending there
    if len(found) != 1 or len(cued) > 1:  # "at 90 or at 60": which?
        return None
    value = found.pop()
    minimum, maximum = param.schema.get("minimum"), param.schema.get("maximum")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        return None
    return value


def _spells(word: str, units: frozenset[str]) -> bool:
    """Whether a word after a figure is one of the examples' units, apart ("20 g") or spelled out
    ("grams" for "g", "litres" for "l")."""
    return any(word == unit or word in _SPELLED.get(unit, ()) for unit in units)


@functools.lru_cache(maxsize=512)
def _cues(examples: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The words written before the examples' figures and the units written after them."""
    before, after = set(), set()
    for example in examples:
        figures = list(_FIGURE.finditer(example))
        if len(figures) != 1:  # "hold 1203-CTY2 for 20 min, late change on page 5": which is it?
            continue
        for match in figures:
            word, unit = (match.group(1) or "").lower(), (match.group(3) or "").lower()
            if word and word not in _PLAIN:
                before.add(word)
            if unit and unit not in _PLAIN:
                after.add(unit)
    return frozenset(before), frozenset(after)
