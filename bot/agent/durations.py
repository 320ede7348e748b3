"""Durations as people write them in a request, as (count, unit): "30m", "1.5h", "ten minutes",
"an hour and a half", "three quarters of an hour", "a fortnight", "till tomorrow".

Why a module of its own: a duration is the value most often written in words in an incident
channel ("close it for an hour and a half", "stop it for a fortnight"), and a duration read short
is a change that ends too early: "an hour and a half" read as "an hour" closes a dome for 60
minutes, not 90. The grammar is English's, not any tool's; the parameter's own unit is applied
later (`bot.agent.numbers.converted_duration`)."""

from __future__ import annotations

import re
from collections.abc import Callable

UNITS = {"s": "seconds", "sec": "seconds", "secs": "seconds", "second": "seconds", "seconds": "seconds",
         "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
         "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
         "d": "days", "day": "days", "days": "days", "w": "weeks", "week": "weeks", "weeks": "weeks",
         "y": "years", "yr": "years", "yrs": "years", "year": "years", "years": "years"}
_UNIT = "(" + "|".join(sorted(UNITS, key=len, reverse=True)) + ")"
# "30m", "2 h"; not "the 1m" (a thing's name: "on the 1m", the one-metre telescope) or "v1.5h"
_FIGURE = re.compile(rf"(?<![\w.])(?<!\bthe\s)(\d{{1,5}})\s?{_UNIT}\b", re.IGNORECASE)
_DECIMAL = re.compile(rf"(?<![\w.])(?<!\bthe\s)(\d{{1,4}}\.\d{{1,2}})\s?{_UNIT}\b", re.IGNORECASE)

_SPOKEN_UNITS = {"second": "seconds", "minute": "minutes", "hour": "hours", "day": "days", "week": "weeks"}
_SPOKEN_UNIT = "(" + "|".join(_SPOKEN_UNITS) + ")"
# a unit in the next smaller one, for the parts of it a half or a quarter leaves
_SMALLER = {"minutes": ("seconds", 60), "hours": ("minutes", 60), "days": ("hours", 24), "weeks": ("hours", 168)}
# English cardinals people write out for a count of units ("four day withdrawal", "ten minutes")
CARDINALS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
             "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
             "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90}
_CARDINAL = "(" + "|".join(sorted((word for word in CARDINALS if word != "one"), key=len, reverse=True)) + ")"
_COUNT = "(an?|one|" + "|".join(sorted(CARDINALS, key=len, reverse=True)) + r"|\d{1,3})"


def _count(word: str) -> int:
    word = word.lower()
    return 1 if word in ("a", "an") else CARDINALS[word] if word in CARDINALS else int(word)


def _in_smaller(whole: float, unit: str) -> tuple[int, str] | None:
    """`whole` units as an integer count: of the unit itself, else of the next smaller one."""
    if float(whole).is_integer():
        return int(whole), unit
    if unit in _SMALLER:
        smaller, factor = _SMALLER[unit]
        if (whole * factor).is_integer():
            return int(whole * factor), smaller
    return None


def _unit(word: str) -> str:
    return _SPOKEN_UNITS[word.lower()]


_Reading = Callable[[re.Match[str]], "tuple[int, str] | None"]
# Read in this order, each match blanked before the next pattern: "an hour and a half" is one
# duration, never also "an hour".
_WORDED: list[tuple[re.Pattern[str], _Reading]] = [
    # "an hour and a half", "two days and a half"
    (re.compile(rf"\b{_COUNT}\s+{_SPOKEN_UNIT}s?\s+and\s+a\s+half\b", re.IGNORECASE),
     lambda match: _in_smaller(_count(match.group(1)) + 0.5, _unit(match.group(2)))),
    # "two and a half hours", "1 and a half days"
    (re.compile(rf"\b{_COUNT}\s+and\s+a\s+half\s+{_SPOKEN_UNIT}s\b", re.IGNORECASE),
     lambda match: _in_smaller(_count(match.group(1)) + 0.5, _unit(match.group(2)))),
    # "three quarters of an hour", "a quarter of an hour", "quarter of an hour"
    (re.compile(rf"\b(?:(three)\s+quarters|(?:a\s+)?quarter)\s+(?:of\s+)?an?\s+{_SPOKEN_UNIT}\b", re.IGNORECASE),
     lambda match: _in_smaller((0.75 if match.group(1) else 0.25), _unit(match.group(2)))),
    (re.compile(r"\b(?:a|one)\s+fortnight\b|\bfortnight\b", re.IGNORECASE), lambda match: (14, "days")),
    (re.compile(r"\b(?:till|until|til|to)\s+tomorrow\b", re.IGNORECASE), lambda match: (1, "days")),
    (re.compile(rf"(?<![\w-]){_CARDINAL}[\s-]+{_SPOKEN_UNIT}s?\b", re.IGNORECASE),
     lambda match: (CARDINALS[match.group(1).lower()], _unit(match.group(2)))),
    # "half an hour", "half a day"
    (re.compile(rf"\bhalf\s+an?\s+{_SPOKEN_UNIT}\b", re.IGNORECASE),
     lambda match: _in_smaller(0.5, _unit(match.group(1)))),
    (re.compile(rf"\b(?:a\s+)?couple\s+(?:of\s+)?{_SPOKEN_UNIT}s\b", re.IGNORECASE),
     lambda match: (2, _unit(match.group(1)))),
    # "for a minute", "off for an hour", "within a day": one of the unit, after a word of time
    (re.compile(rf"\b(?:for|in|within|after|wait|every)\s+(?:about\s+|around\s+|roughly\s+)?(?:an?|one)\s+"
                rf"{_SPOKEN_UNIT}\b", re.IGNORECASE), lambda match: (1, _unit(match.group(1)))),
    # "over the last hour", "in the past day": a look back of one
    (re.compile(rf"\b(?:the\s+)?(?:last|past)\s+{_SPOKEN_UNIT}\b", re.IGNORECASE),
     lambda match: (1, _unit(match.group(1)))),
]


def durations_in(text: str) -> list[tuple[int, str]]:
    """Every duration the text writes, each once, in the order of the patterns that read them:
    figures first ("30m", "1.5h" as 90 minutes), then words."""
    found: list[tuple[int, str]] = []

    def add(duration: tuple[int, str] | None) -> None:
        if duration is not None and duration not in found:
            found.append(duration)

    for match in _FIGURE.finditer(text):
        add((int(match.group(1)), UNITS[match.group(2).lower()]))
    for match in _DECIMAL.finditer(text):
        add(_in_smaller(float(match.group(1)), UNITS[match.group(2).lower()]))
    for pattern, read in _WORDED:
        for match in pattern.finditer(text):
            add(read(match))
        text = pattern.sub(lambda match: " " * len(match.group(0)), text)
    return found
