"""What a tool's description says does not happen, left out of what the tool is said to do.

Why: authors write what a tool leaves alone ("Create a one-off Job … now, outside its schedule.
The schedule is not changed."). Neither an encoder (`bot.agent.meaning`), which reads no "not",
nor the description's words (`bot.agent.tool_words.summary_stems`) can tell that sentence from a
promise, so "change the schedule of X" came out as a request for the one-off run. The first
sentence's first clause always stays (it says what the tool does), and a negation inside a relative clause picks
out which things ("devices that have not downloaded the image yet stay where they are"): it
disclaims nothing.
"""

from __future__ import annotations

import functools
import re

_NEGATION = re.compile(r"\b(?:not|never|n't)\b", re.IGNORECASE)
_RELATIVE = re.compile(r"\b(?:that|which|who|whose)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def what_it_does(summary: str) -> str:
    """The description without its clauses (after the first) that say what does not happen."""
    kept = []
    for number, sentence in enumerate(re.split(r"(?<=[.!?])\s+", summary.strip())):
        clauses = re.split(r"(?<=;)\s+", sentence)
        clauses = [clause for place, clause in enumerate(clauses)
                   if (number, place) == (0, 0) or not _disclaims(clause)]
        if clauses:
            kept.append(" ".join(clauses))
    return " ".join(kept)


def _disclaims(clause: str) -> bool:
    negation = _NEGATION.search(clause)
    return negation is not None and not _RELATIVE.search(clause[:negation.start()])
