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

from chatops.bot.agent.entities import Entities
from chatops.bot.agent.param_kinds import Param

_FIGURE = re.compile(r"(?:(?<=\s)|^)(?:([a-z]+)\s+)?(\d+)(?:\s?([a-z]{1,4})(?:/[a-z0-9]+)?)?(?![\w.:/-])",
                     re.IGNORECASE)
_TIME_AFTER = re.compile(r"\s*(?:o['’]?clock|tonight|tomorrow|today|sharp|this\s+(?:morning|afternoon|evening)|"
                         r"in\s+the\s+(?:morning|afternoon|evening)|[ap]\.?m\b)", re.IGNORECASE)
# what a word before a figure or after it may not be: a cue needs to say how this number is named,
# and these say how every number is ("for 20", "20 more", "the 20")
_PLAIN = frozenset({"a", "an", "the", "to", "for", "of", "and", "or", "by", "in", "on", "is", "it", "its", "be",
                    "me", "us", "x", "no", "not", "than", "about", "around", "every", "each", "more", "less",
                    "am", "pm", "h", "m", "s", "ms"})


def number_like_its_examples(param: Param, examples: tuple[str, ...], entities: Entities,
                             used: set[int]) -> int | None:
    """The one figure of the request said as the tool's examples say this parameter's: with the
    same word before it or the same unit after it. Only for a tool whose one number this is (the
    caller checks), and only within the parameter's bounds."""
    before, after = _cues(examples)
    if not before and not after:
        return None
    found = set()
    for match in _FIGURE.finditer(entities.plain):
        word, figure, unit = (match.group(1) or "").lower(), int(match.group(2)), (match.group(3) or "").lower()
        if figure in used or (not unit and figure not in entities.numbers):
            continue  # a figure that is a time, a name's part or a duration is no such number
        if _TIME_AFTER.match(entities.plain, match.end()):
            continue  # "send P02 out at 6 tonight": a time of day
        if (word and word in before) or (unit and unit in after):
            found.add(figure)
    if len(found) != 1:
        return None
    value = found.pop()
    minimum, maximum = param.schema.get("minimum"), param.schema.get("maximum")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        return None
    return value


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
