"""Numbers written in English words where a request gives a value, read as figures: "knock GF02
down to eighteen degrees" is "down to 18 degrees", "run it at forty percent" is "at 40 percent",
"to minus one" is "to -1".

Why only there: "one", "two" and "a couple" are everywhere in English ("the one that tripped",
"two of the belts"), and a number word read as a value where none was meant is a stray argument.
A number word is a value only right after "to" (where a new value is given) or before "degrees"
or "percent"; not in a time of day, a range, a "from" or a "by", nor in a fenced block of output.
Every reading of numbers downstream (`bot.agent.numbers`) then sees the figure the words write."""

from __future__ import annotations

import re

from chatops.bot.agent.lexicon import FENCED_BLOCK

_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
          "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_UNIT = "(?:" + "|".join(sorted(_UNITS, key=len, reverse=True)) + ")"
_TEN = "(?:" + "|".join(_TENS) + ")"
# "eighteen", "twenty", "twenty-five", "twenty five", "a hundred", "two hundred and forty"
WORDS = rf"(?:(?:a|{_UNIT})\s+hundred(?:\s+and\s+(?:{_TEN}(?:[\s-]{_UNIT})?|{_UNIT}))?|{_TEN}(?:[\s-]{_UNIT})?|{_UNIT})"
# not a time of day ("to twenty past", "twenty to nine"), a range ("two or three degrees"), where a
# value was ("from twenty-four degrees") or how much it moved ("up by five degrees")
_GIVEN = re.compile(rf"\bto\s+((?:minus\s+)?{WORDS})\b(?![\s-](?:of|o'clock|or|past|to|am|pm|and\s+a)\b)"
                    rf"|\b({WORDS})(?=\s+(?:degrees?|percent|per\s+cent)\b)"
                    r"|\bat\s+(zero)\b", re.IGNORECASE)  # "kick in at zero": no time of day is "zero"
# "fader to six and a half", "to 6 and a half": a half more, where no unit of time follows (a duration's)
_AND_A_HALF = re.compile(rf"\bto\s+({WORDS}|\d{{1,3}})\s+and\s+a\s+half\b(?!\s+(?:hours?|hrs?|minutes?|mins?|"
                         rf"seconds?|secs?|days?|weeks?|months?|years?|fortnights?)\b)", re.IGNORECASE)
_MINUS_FIGURE = re.compile(r"\b(to|at)\s+minus\s+(\d{1,3}(?:\.\d+)?)\b", re.IGNORECASE)  # "to minus 2": -2
_A_STATE_BEFORE = re.compile(r"(?:\b(?:is|was|were|are|been|be|stays?|stayed|sits?|sat)|'s)\s+$", re.IGNORECASE)
_AFTER_A_NUMBER = re.compile(rf"\b{WORDS}\s+$", re.IGNORECASE)  # "twenty to nine"
_BEFORE_NO_VALUE = re.compile(rf"(?:\b(?:from|by|or|to)|\b{WORDS})\s+$", re.IGNORECASE)


def value(words: str) -> int:
    """The number English `words` write ("twenty-five" → 25, "a hundred and ten" → 110)."""
    if words.lower().startswith("minus"):  # "to minus one": below zero
        return -value(words[5:].strip())
    total = 0
    for word in re.split(r"[\s-]+", words.lower()):
        if word == "hundred":
            total = max(total, 1) * 100
        elif word in _TENS:
            total += _TENS[word]
        elif word in _UNITS and (word != "one" or total == 0):
            total += _UNITS[word]
    return total


def _figure_of(words: str) -> int:
    return int(words) if words.isdigit() else value(words)


def with_figures(text: str) -> str:
    """The text with the numbers it gives as values in words written as figures."""
    fenced = [match.span() for match in FENCED_BLOCK.finditer(text)]
    text = _MINUS_FIGURE.sub(lambda match: match.group(0) if any(start <= match.start() < end for start, end in fenced)
                             else f"{match.group(1)} -{match.group(2)}", text)
    text = _AND_A_HALF.sub(lambda match: match.group(0) if any(start <= match.start() < end for start, end in fenced)
                           else f"to {_figure_of(match.group(1))}.5", text)
    if not any(word in text.lower() for word in (*_UNITS, *_TENS, "hundred")):
        return text
    pasted = [match.span() for match in FENCED_BLOCK.finditer(text)]  # output pasted in a fenced block stays as written

    def figure(match: re.Match[str]) -> str:
        words = match.group(1) or match.group(2) or match.group(3)
        before = text[max(0, match.start() - 30): match.start()]
        if any(start <= match.start() < end for start, end in pasted) or \
                (_AFTER_A_NUMBER if match.group(1) else _BEFORE_NO_VALUE).search(before) or \
                (match.group(3) and _A_STATE_BEFORE.search(before)):  # "the backlog was at zero": a state
            return match.group(0)
        return match.group(0).replace(words, str(value(words)))

    return _GIVEN.sub(figure, text)


def words_as_figures(phrase: str) -> str:
    """A phrase with each number word written as its figure ("two inch oak" → "2 inch oak"): how
    a request reads once `with_figures` has read "to two inch oak" as "to 2 inch oak"."""
    return re.sub(rf"\b(?:{_UNIT}|{_TEN})\b", lambda match: str({**_UNITS, **_TENS}[match.group(0).lower()]),
                  phrase, flags=re.IGNORECASE)
