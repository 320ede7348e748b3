""""Kill the notebook one", "cancel the black friday one", "ok release that one": a row of what
the previous step printed, pointed at by the words the user chose.

A read lists things (applications, campaigns, outlets, leases), one per line; the next order
picks one of them by a word of its row and leaves out the id the tool needs. The row the user's
words point at, and only that row, lends its values to the parameters the request left empty,
each value only where the parameter's own schema takes it (its pattern, its examples' shape).

The user's words choose the row; the tool output only supplies the id written in it. A step
filled so is a change like any other, shown on its card with where each value came from, and it
waits for an approval. When the words fit no row, or two rows equally, nothing is taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chatops.bot.agent.entities import STOPWORDS, stem, words_of
from chatops.bot.agent.lexicon import DETERMINERS
from chatops.bot.model import Step

# "the notebook one", "that one", "those hotmail ones", "the one from m.rossi",
# "the one that stopped heartbeating": the words around "one" say which row
_ONE = re.compile(r"\b(?:the|that|this|those|these)\s+((?:[\w.@:/-]+\s+){0,3}?)ones?\b"
                  r"(?:\s+(?:that|which|with|from|on|in|of)(?:'s|\s+is)?"  # "the one that's still running"
                  r"\s+([^,.;!?]+))?", re.IGNORECASE)
_BARE = re.compile(r"\b(?:it|that|this)\b(?!\s+(?:is|was|'s)\b)", re.IGNORECASE)
_ROW_SPLIT = re.compile(r"\n+|;\s+")


@dataclass(frozen=True)
class PointedRow:
    text: str  # the row as the previous step printed it
    words: tuple[str, ...]  # the user's words that chose it


def pointed_words(text: str) -> tuple[str, ...] | None:
    """The words that say which row a request means ("notebook", "m.rossi"), an empty tuple for a
    bare "that one" or "stop it", or None when the request points at no row."""
    match = _ONE.search(text)
    if match is None:  # "stop it", "revoke that now": the one thing the last step printed, if one
        return () if _BARE.search(text) else None
    said = f"{match.group(1) or ''} {match.group(2) or ''}"
    return tuple(word for word in words_of(said) if word not in STOPWORDS and word not in DETERMINERS)


def output_of(step: Step) -> str:
    """What a step printed: its result when that is text, else its summary."""
    if isinstance(step.result, str) and step.result.strip():
        return step.result
    return step.summary or ""


def pointed_row(text: str, step: Step) -> PointedRow | None:
    """The one row of `step`'s output the request points at, or None."""
    words = pointed_words(text)
    if words is None:
        return None
    rows = [row.strip() for row in _ROW_SPLIT.split(output_of(step))
            if row.strip() and not _HEADER.fullmatch(row.strip())]
    if not rows:
        return None
    if not words:  # "that one": only when the output holds one row
        return PointedRow(rows[0], ()) if len(rows) == 1 else None
    row = _one_of(words, rows)
    if row is None:
        return None
    # a line that lists several things ("2 failed: pay_A1x9Qe (insufficient_funds), pay_B2k4Wr
    # (processing_error)"): the item the words point at, when they point at one
    items = [item.strip() for item in _ITEM_SPLIT.split(row) if item.strip()]
    return PointedRow(_one_of(words, items) or row if len(items) > 1 else row, words)


_ITEM_SPLIT = re.compile(r",\s+")
# a table's header ("USER  FAILURES  LAST ATTEMPT  IP  REASON") names columns, it is no row to point at
_HEADER = re.compile(r"[A-Z][A-Z_%/()-]*(?:\s+[A-Z][A-Z_%/()-]*)+")


def _one_of(words: tuple[str, ...], rows: list[str]) -> str | None:
    """The one row holding more of the words than any other, or None."""
    scored = sorted(((_matches(words, row), index) for index, row in enumerate(rows)), reverse=True)
    best, index = scored[0]
    if best == 0 or (len(scored) > 1 and scored[1][0] == best):
        return None
    return rows[index]


def _matches(words: tuple[str, ...], row: str) -> int:
    """How many of the user's words the row holds, whole or as a part of one of its names
    ("notebook" in "adhoc-notebook"), or as a word of the same stem ("heartbeating", "heartbeat")."""
    lowered = row.lower()
    tokens = words_of(lowered)
    parts = {stem(part) for token in tokens for part in re.split(r"[-_.@/]", token) if part}
    # a short word counts only as a whole part ("ad" is in "loaded", not a row's word); a number only
    # as a whole word ("the one with 14 failures": not the 14 inside 10.8.14.22)
    return sum(1 for word in words if (word in tokens if word.isdigit() else
                                       (len(word) >= 4 and word in lowered) or stem(word) in parts))


def pointer_arguments(text: str, step: Step, args: dict[str, object], sources: dict[str, str]) -> set[str]:
    """The arguments whose value is only the word the user pointed with ("retry the processing_error
    one" after a listing that prints "pay_B2k4Wr (processing_error)"): that word chose a row of
    the output; the value the tool needs is in the row, not the word. A word the parameter's own
    examples vouch for stays its value ("lift the payments one", a group "e.g. payments")."""
    words = pointed_words(text)
    if not words:
        return set()
    printed = output_of(step).lower()
    return {name for name, value in args.items()
            if isinstance(value, str) and value.lower() in words and value.lower() in printed
            and "its examples" not in sources.get(name, "")}
