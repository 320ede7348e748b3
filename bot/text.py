"""Characters that must never reach a terminal, a log line, an argv or a file name unnoticed.

Control characters (C0 and C1: NUL, ESC, `\\x0b`, `\\x85`, …), line and paragraph separators
(`\\u2028`, `\\u2029`) and bidirectional overrides can end a log line early, recolour a
terminal, or make a file name read as something else. Runbook values refuse them; file names
lose them.
"""

from __future__ import annotations

import unicodedata

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def is_unsafe(char: str) -> bool:
    """A control character (a tab excepted: it is plain spacing), a line or paragraph separator,
    or a bidirectional control."""
    return (unicodedata.category(char) in ("Cc", "Zl", "Zp") and char != "\t") or char in BIDI_CONTROLS


def unsafe_characters(text: str) -> list[str]:
    """The unsafe characters in `text`, each once, as escapes (`'\\x1b'`) for a message."""
    return [repr(char)[1:-1] for char in dict.fromkeys(c for c in text if is_unsafe(c))]


def safe_file_name(name: str) -> str:
    """`name` without unsafe characters (a file name is shown, logged and stored)."""
    return "".join(char for char in name if not is_unsafe(char) and char != "\t").strip()


def duration_words(seconds: float) -> str:
    """`8 s`, `15 min`, `1 h 30 min`: a duration as a person would say it (never "0.133333 min");
    a negative one (clocks that disagree) is 0 s."""
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"
