"""Which of the enum values a request writes is the one it asks for: not a value it says is
unwell ("twilio is flaky"), nor what something is now or is moved away from ("is 3653 days, make it
30", "off telnyx onto bt-lon"), and of several, the one written as where things go ("go to backup");
and a value that is also the tool's verb only when an alias of it is
written apart ("kill -9 31337": KILL). Each value is read by its own name and its aliases."""

from __future__ import annotations

import functools
import re
from typing import Any

from chatops.bot.agent.entities import STOPWORDS
from chatops.bot.agent.enums import enum_aliases
from chatops.bot.agent.param_kinds import Param


def names_of(value: Any, param: Param) -> list[str]:
    """An enum value and the aliases that stand for it."""
    return [str(value), *(alias for alias, target in enum_aliases(param.schema).items() if target == value)]


def described(value: str, text: str) -> bool:
    """Whether the request says how the value is rather than asking for it: "twilio is flaky",
    "the eu pool keeps failing"."""
    return re.search(rf"(?<![\w-]){re.escape(value)}(?:\s+(?:is|are|was|were|keeps|has\s+been|seems)\b|"
                     rf"['’]s\s+(?:too|so|very|really|not|nearly|almost|completely|still|already)\b)", text,
                     re.IGNORECASE) is not None  # "the dam's too low"


@functools.lru_cache(maxsize=1024)  # asked for every value written, of every tool ranked
def denied(value: str, text: str) -> bool:
    """Whether the request says it is not this value: "fire at the fuel dock, it's not a drill",
    "this isn't a fire drill" (the denial covers the compound, so its head); not "not a fire
    drill" for `fire`, which only says what kind of drill is denied."""
    for found in re.finditer(rf"(?:\bnot|n['’]t|\bno)\s+(?:(?:a|an|the|just|only)\s+)?(?:[a-z]+\s+)?"
                             rf"{re.escape(value)}(?![\w-])", text, re.IGNORECASE):
        following = re.match(r"\s+([a-z]+)", text[found.end():], re.IGNORECASE)
        if following is None or following.group(1).lower() in STOPWORDS:
            return True  # the value ends what is denied
    return False


def current(value: str, text: str) -> bool:
    """Whether the request gives the value as what something is now, or was, or where it is moved
    away from: "is 3653 days", "from 3 to 5", "currently at 4", "off telnyx onto bt-lon"."""
    return re.search(rf"\b(?:is|are|was|were|currently|from|off|off\s+of|away\s+from|out\s+of)\s+"
                     rf"(?:now\s+|currently\s+|still\s+|at\s+)?{re.escape(value)}(?![\w.-])", text,
                     re.IGNORECASE) is not None


def left(value: str, text: str) -> bool:
    """Whether the request gives the value as one to keep away from: "keep S-03 off the night mode",
    "keep it away from night", "make sure it isn't on night" (not "ran out of reagent", not "set off
    the pager hook": a verb of keeping or moving comes first)."""
    return re.search(rf"(?:\b(?:keep|stay|move|take|get|switch|turn)\s+(?:\S+\s+){{0,2}}?(?:off|away\s+from)|"
                     rf"\b(?:isn't|is\s+not|aren't|are\s+not|not|never|no\s+longer)\s+(?:on|in|at))"
                     rf"\s+(?:the\s+)?{re.escape(value)}(?![\w.-])", text, re.IGNORECASE) is not None


def without_those_said_otherwise(matches: list[Any], param: Param, text: str, *, change: bool = False) -> list[Any]:
    """The values left when more than one is written: those said to be unwell go, then those given
    as what something is now or was; never all of them. For a `change`, a value only said as one to
    keep away from ("keep S-03 off the night mode") is never the value it sets, even alone."""
    if change:
        matches = [value for value in matches if not any(
            left(name, text) and not destination(name, text) for name in names_of(value, param))]
    # "close pump 4, it isn't a delivery": a value the request denies is never its value, even alone
    matches = [value for value in matches if not any(denied(name, text) for name in names_of(value, param))]
    for said_otherwise in (described, current):
        if len(matches) > 1:
            matches = [value for value in matches if not any(
                said_otherwise(name, text) for name in names_of(value, param))] or matches
    if len(matches) > 1:  # "main chain is dropping frames, go to backup": where it goes is the one asked
        going = [value for value in matches if any(destination(name, text) for name in names_of(value, param))]
        matches = going if len(going) == 1 else matches
    if len(matches) > 1:  # "fire drill at the fuel dock": a drill; "fire" only says what kind
        heads = [value for value in matches if not any(
            modifies(name, other, text) for name in names_of(value, param)
            for another in matches if another != value for other in names_of(another, param))]
        matches = heads if len(heads) == 1 else matches
    return matches


def modifies(value: str, other: str, text: str) -> bool:
    """Whether `value` is written only right before `other`, as the first noun of a compound ("fire
    drill", "test failure"): English puts the head of a compound last."""
    before = rf"(?<![\w-]){re.escape(value)}\s+{re.escape(other)}(?![\w-])"
    alone = rf"(?<![\w-]){re.escape(value)}(?![\w-])"
    return len(re.findall(before, text, re.IGNORECASE)) == len(re.findall(alone, text, re.IGNORECASE)) > 0


def destination(value: str, text: str) -> bool:
    """Whether the request gives the value as where something goes: "to backup", "onto bt-lon"."""
    return re.search(rf"\b(?:to|onto|into)\s+(?:the\s+)?{re.escape(value)}(?![\w.-])", text,
                     re.IGNORECASE) is not None


def flag_alias_written(value: Any, param: Param, text: str) -> bool:
    """Whether an alias of the value other than its own word is written, a number as a
    command-line flag too ("-9" for the alias "9" of KILL)."""
    for alias in names_of(value, param)[1:]:
        if alias.lower() == str(value).lower():
            continue
        flag = rf"|(?<!\S)-{re.escape(alias)}(?![\w-])" if alias.isdigit() else ""
        if re.search(rf"(?<![\w-]){re.escape(alias)}(?![\w-]){flag}", text, re.IGNORECASE):
            return True
    return False
