"""Numbers written in English words where a request gives a value, read as figures: "knock GF02
down to eighteen degrees" is "down to 18 degrees", "run it at forty percent" is "at 40 percent".

Why only there: "one", "two" and "a couple" are everywhere in English ("the one that tripped",
"two of the belts"), and a number word read as a value where none was meant is a stray argument.
A number word is a value only right after "to", "at" or "by" (where a new value is given), or
before "degrees" or "percent". Every reading of numbers downstream (`bot.agent.numbers`) then
sees the figure the words write."""

from __future__ import annotations

import re

_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
          "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_UNIT = "(?:" + "|".join(sorted(_UNITS, key=len, reverse=True)) + ")"
_TEN = "(?:" + "|".join(_TENS) + ")"
# "eighteen", "twenty", "twenty-five", "twenty five", "a hundred", "a hundred and twenty"
_WORDS = rf"(?:(?:a|one)\s+hundred(?:\s+and\s+(?:{_TEN}(?:[\s-]{_UNIT})?|{_UNIT}))?|{_TEN}(?:[\s-]{_UNIT})?|{_UNIT})"
_GIVEN = re.compile(rf"(?<=\bto\s)({_WORDS})\b(?![\s-](?:of|o'clock|or)\b)|(?<=\bat\s)({_WORDS})\b(?=\s+per)"
                    rf"|(?<=\bby\s)({_WORDS})\b(?![\s-](?:of|or)\b)|\b({_WORDS})(?=\s+(?:degrees?|percent|per\s+cent)\b)",
                    re.IGNORECASE)


def value(words: str) -> int:
    """The number English `words` write ("twenty-five" → 25, "a hundred and ten" → 110)."""
    total = 0
    for word in re.split(r"[\s-]+", words.lower()):
        if word == "hundred":
            total = max(total, 1) * 100
        elif word in _TENS:
            total += _TENS[word]
        elif word in _UNITS and (word != "one" or total == 0):
            total += _UNITS[word]
    return total


def with_figures(text: str) -> str:
    """The text with the numbers it gives as values in words written as figures."""
    if not any(word in text.lower() for word in (*_UNITS, *_TENS, "hundred")):
        return text
    return _GIVEN.sub(lambda match: str(value(next(group for group in match.groups() if group))), text)
