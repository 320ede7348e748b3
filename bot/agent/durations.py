"""Durations as people write them in a request, as (count, unit): "30m", "1.5h", "2h30m", "ten
minutes", "an hour and a half", "three quarters of an hour", "a fortnight", "till tomorrow".

Why a module of its own: a duration is the value most often written in words in an incident
channel ("close it for an hour and a half", "stop it for a fortnight"), and a duration read short
is a change that ends too early: "an hour and a half" read as "an hour" closes a dome for 60
minutes, not 90. What is no duration to set is left out: a time ago or ahead ("an hour and a half
ago", "in a fortnight's time"), one ruled out ("two days, not a day and a half"), a thing's name
("close the 2m", the two-metre telescope). The grammar is English's, not any tool's; the
parameter's own unit is applied later (`bot.agent.numbers.converted_duration`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from chatops.bot.agent.lexicon import FENCED_BLOCK
from chatops.bot.agent.number_words import WORDS, value

UNITS = {"s": "seconds", "sec": "seconds", "secs": "seconds", "second": "seconds", "seconds": "seconds",
         "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
         "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
         "d": "days", "day": "days", "days": "days", "w": "weeks", "week": "weeks", "weeks": "weeks",
         "y": "years", "yr": "years", "yrs": "years", "year": "years", "years": "years"}
_UNIT = "(" + "|".join(sorted(UNITS, key=len, reverse=True)) + ")"
_FIGURE = re.compile(rf"(?<![\w.])(\d{{1,5}})\s?{_UNIT}\b", re.IGNORECASE)
_DECIMAL = re.compile(rf"(?<![\w.])(\d{{1,4}}\.\d{{1,2}})\s?{_UNIT}\b", re.IGNORECASE)
# "2h30m", "2 hours 30 minutes", "1h30", "1d12h": a larger unit and the next smaller one, summed
_HOURS = r"(?:h|hr|hrs|hours?)"
_MINUTES = r"(?:m|min|mins|minutes?)"
_TWO_PARTS = re.compile(rf"(?<![\w.])(\d{{1,3}})\s?(?:{_HOURS}\s*(?:and\s+)?(\d{{1,2}})\s?(?:{_MINUTES})?"
                        rf"|(?:d|days?)\s*(?:and\s+)?(\d{{1,2}})\s?{_HOURS})(?![\w.])", re.IGNORECASE)

# spoken units with what one of them is in the units above
_SPOKEN_UNITS = {"second": ("seconds", 1), "minute": ("minutes", 1), "hour": ("hours", 1), "day": ("days", 1),
                 "week": ("weeks", 1), "fortnight": ("days", 14)}
_SPOKEN_UNIT = "(" + "|".join(_SPOKEN_UNITS) + ")"
# a unit in the next smaller one, for the parts of it a half or a quarter leaves
_SMALLER = {"minutes": ("seconds", 60), "hours": ("minutes", 60), "days": ("hours", 24), "weeks": ("hours", 168)}
_COUNT = rf"(an?|{WORDS}|\d{{1,3}})"
# a count of a unit written in words, with the unit spoken or shortened ("forty five min", "ninety mins")
_SPOKEN_OR_SHORT = "(" + "|".join(("second", "secs?", "minute", "mins?", "hour", "hrs?", "day", "week",
                                    "fortnight")) + ")"
_SHORT = {"sec": "second", "secs": "second", "min": "minute", "mins": "minute", "hr": "hour", "hrs": "hour"}
_FRACTIONS = {"half": 0.5, "quarter": 0.25}


def _count(words: str) -> int:
    words = words.lower()
    return 1 if words in ("a", "an") else int(words) if words.isdigit() else value(words)


def _counted(match: re.Match[str]) -> tuple[int, str] | None:
    """A count in words and its unit ("forty five min"); a lone "one" or "zero" is left to the
    readings that need a word of time before it ("for one hour"): "the one day" is no span."""
    words, unit = match.group(1), match.group(2).lower()
    if words.lower() in ("one", "zero"):
        return None
    return _spoken(value(words), _SHORT.get(unit, unit))


def _in_smaller(whole: float, unit: str) -> tuple[int, str] | None:
    """`whole` units as an integer count: of the unit itself, else of the next smaller one."""
    if float(whole).is_integer():
        return int(whole), unit
    if unit in _SMALLER:
        smaller, factor = _SMALLER[unit]
        if (whole * factor).is_integer():
            return int(whole * factor), smaller
    return None


def _spoken(count: float, word: str) -> tuple[int, str] | None:
    """`count` of a spoken unit ("fortnight" is 14 days)."""
    unit, size = _SPOKEN_UNITS[word.lower()]
    return _in_smaller(count * size, unit)


_Reading = Callable[[re.Match[str]], "tuple[int, str] | None"]
# Read in this order, each match blanked before the next pattern: "an hour and a half" is one
# duration, never also "an hour".
_WORDED: list[tuple[re.Pattern[str], _Reading]] = [
    # "an hour and a half", "two days and a half", "an hour and a quarter"
    (re.compile(rf"\b{_COUNT}\s+{_SPOKEN_UNIT}s?\s+and\s+a\s+(half|quarter)\b", re.IGNORECASE),
     lambda match: _spoken(_count(match.group(1)) + _FRACTIONS[match.group(3).lower()], match.group(2))),
    # "two and a half hours", "1 and a half days"
    (re.compile(rf"\b{_COUNT}\s+and\s+a\s+(half|quarter)\s+{_SPOKEN_UNIT}s\b", re.IGNORECASE),
     lambda match: _spoken(_count(match.group(1)) + _FRACTIONS[match.group(2).lower()], match.group(3))),
    # "three quarters of an hour", "a quarter of an hour", "quarter of an hour"
    (re.compile(rf"\b(?:(three)\s+quarters|(?:a\s+)?quarter)\s+(?:of\s+)?an?\s+{_SPOKEN_UNIT}\b", re.IGNORECASE),
     lambda match: _spoken(0.75 if match.group(1) else 0.25, match.group(2))),
    # "half an hour", "half a fortnight"
    (re.compile(rf"\bhalf\s+an?\s+{_SPOKEN_UNIT}\b", re.IGNORECASE), lambda match: _spoken(0.5, match.group(1))),
    (re.compile(r"\b(?:till|until|til|to)\s+tomorrow\b", re.IGNORECASE), lambda match: (1, "days")),
    # "two fortnights", "four day withdrawal", "ten minutes", "forty five min"
    (re.compile(rf"(?<![\w-])({WORDS})[\s-]+{_SPOKEN_OR_SHORT}s?\b", re.IGNORECASE), _counted),
    (re.compile(rf"\b(?:a\s+)?couple\s+(?:of\s+)?{_SPOKEN_UNIT}s\b", re.IGNORECASE),
     lambda match: _spoken(2, match.group(1))),
    # "for a minute", "off for an hour", "within a day", "for a fortnight": one of the unit, after a
    # word of time
    (re.compile(rf"\b(?:for|in|within|after|wait|every)\s+(?:about\s+|around\s+|roughly\s+)?(?:an?|one)\s+"
                rf"{_SPOKEN_UNIT}\b", re.IGNORECASE), lambda match: _spoken(1, match.group(1))),
    # "over the last day and a half", "the past hour and a quarter": a look back of one and a part
    (re.compile(rf"\b(?:the\s+)?(?:last|past)\s+{_SPOKEN_UNIT}\s+and\s+a\s+(half|quarter)\b", re.IGNORECASE),
     lambda match: _spoken(1 + _FRACTIONS[match.group(2).lower()], match.group(1))),
    # "over the last hour", "in the past day": a look back of one
    (re.compile(rf"\b(?:the\s+)?(?:last|past)\s+{_SPOKEN_UNIT}\b", re.IGNORECASE),
     lambda match: _spoken(1, match.group(1))),
]

# what makes a duration no duration to set: a time ago or ahead ("… ago", "in a fortnight's time",
# "from now"), and one ruled out just before ("not a day and a half", "rather than 2h")
_AFTER_NOT_A_SPAN = re.compile(r"^\s*(?:ago\b|back\b(?!\s+(?:to|on|up)\b)|'s\s+time\b|’s\s+time\b|from\s+now\b)",
                               re.IGNORECASE)
_BEFORE_RULED_OUT = re.compile(r"\b(?:not|rather\s+than|instead\s+of|never)\s+(?:for\s+)?$", re.IGNORECASE)
# "the 2m" names a thing ("close the 2m", the two-metre telescope) unless a word of time comes first
# ("for the 2h window", "over the last 30m")
_THE = re.compile(r"\bthe\s+$", re.IGNORECASE)
_TIME_WORD_BEFORE_THE = re.compile(r"\b(?:for|in|within|during|over|after|before|past|last|next|first|take|takes|"
                                   r"needs?)\s+the\s+$", re.IGNORECASE)


def _a_span_to_set(text: str, start: int, end: int, *, figure: bool = False) -> bool:
    before = text[:start]
    if _AFTER_NOT_A_SPAN.match(text[end:]) or _BEFORE_RULED_OUT.search(before):
        return False
    return not (figure and _THE.search(before) and not _TIME_WORD_BEFORE_THE.search(before))


# how long something has been, or a point in a span, rather than a span to set: "has been down forty
# five minutes already", "at the 45 minute mark", "for one of the two hours"
_TOLD_BEFORE = re.compile(r"\bbeen\s+(?:[a-z]+\s+)?(?:for\s+)?$|\bof\s+the\s+$", re.IGNORECASE)
_TOLD_AFTER = re.compile(r"^\s*(?:already|mark|point)\b", re.IGNORECASE)


def durations_told(text: str) -> list[tuple[int, str]]:
    """The durations the text writes that tell how long something has lasted, or a point in a
    span: still spans of time (no figure of theirs is an id or a count), but no value to set."""
    told = []
    for duration, start, end in _spans(text):
        if _TOLD_BEFORE.search(text[:start]) or _TOLD_AFTER.match(text[end:]):
            told.append(duration)
    return told


def without_fenced(text: str) -> str:
    """The text with its fenced blocks blanked: "```hx-3 uptime 1.5h```" is output pasted, and a
    duration in it is how long something was, never one to set."""
    return FENCED_BLOCK.sub(lambda match: re.sub(r"[^\n]", " ", match.group(0)), text) if "```" in text else text


def durations_in(text: str) -> list[tuple[int, str]]:
    """Every duration the text writes for a span of time to set, each once: figures first ("2h30m"
    as 150 minutes, "1.5h" as 90), then words."""
    found: list[tuple[int, str]] = []
    for duration, _, _ in _spans(text):
        if duration not in found:
            found.append(duration)
    return found


# "ten more minutes", "5 extra mins", "two further hours": a count of more of a unit is a count of it
_MORE_OF = re.compile(rf"(?<![\w.])({WORDS}|\d{{1,5}})\s+(?:more|extra|additional|further)\s+"
                      rf"({_SPOKEN_OR_SHORT}s?|{_UNIT})\b", re.IGNORECASE)
# "another ten minutes", "a further 10 mins", "an extra hour": the article says one more, the count how many
_ANOTHER = re.compile(r"\b(?:another|a\s+further|an\s+extra|an\s+additional)\s+(?=(?:[a-z]+[\s-]+)?\w+\b)",
                      re.IGNORECASE)


def _plain_counts(text: str) -> str:
    """The text with "more" taken out of a count of a unit ("ten more minutes" read as "ten
    minutes"), of the same length so that where each duration stands stays true."""
    def count_and_unit(match: re.Match[str]) -> str:
        said = f"{match.group(1)} {match.group(2)}"
        return said + " " * (len(match.group(0)) - len(said))

    def one_more(match: re.Match[str]) -> str:
        """ "another ten minutes" is ten minutes; "another hour" is one ("for an hour", as the
        one-unit reading needs)."""
        rest = text[match.end():]
        if not _one_of_a_unit(rest):
            return " " * len(match.group(0))
        return ("for an " if rest[:1].lower() in "aeiouh" else "for a ").ljust(len(match.group(0)))

    text = _MORE_OF.sub(count_and_unit, text)
    return _ANOTHER.sub(one_more, text)


def _one_of_a_unit(rest: str) -> bool:
    """Whether the words after "another" are a unit alone ("another hour"), not a count of it."""
    return re.match(rf"{_SPOKEN_OR_SHORT}\b", rest, re.IGNORECASE) is not None


@functools.lru_cache(maxsize=1024)
def _spans(text: str) -> tuple[tuple[tuple[int, str], int, int], ...]:
    """Each duration the text writes with where it stands (see `durations_in`); read once per text
    for `durations_in` and `durations_told` both."""
    found: list[tuple[tuple[int, str], int, int]] = []
    text = _plain_counts(text)

    def add(duration: tuple[int, str] | None, match: re.Match[str]) -> None:
        if duration is not None:
            found.append((duration, match.start(), match.end()))

    def blank(match: re.Match[str]) -> str:
        return " " * len(match.group(0))

    for match in _TWO_PARTS.finditer(text):
        if _a_span_to_set(text, match.start(), match.end(), figure=True):
            first = int(match.group(1))
            add((first * 60 + int(match.group(2)), "minutes") if match.group(2) is not None
                else (first * 24 + int(match.group(3)), "hours"), match)
    text = _TWO_PARTS.sub(blank, text)
    for match in _FIGURE.finditer(text):
        if _a_span_to_set(text, match.start(), match.end(), figure=True):
            add((int(match.group(1)), UNITS[match.group(2).lower()]), match)
    for match in _DECIMAL.finditer(text):
        if _a_span_to_set(text, match.start(), match.end(), figure=True):
            add(_in_smaller(float(match.group(1)), UNITS[match.group(2).lower()]), match)
    for pattern, read in _WORDED:
        for match in pattern.finditer(text):
            if _a_span_to_set(text, match.start(), match.end()):
                add(read(match), match)
        text = pattern.sub(lambda match, read=read: blank(match) if read(match) is not None else match.group(0),
                           text)
    return tuple(found)
