"""One home for what every surface says about a step: its outcome badge and its output text.

The terminal, the web chat, Slack and Discord all draw a finished step with the same badge (a
mark and a word) so that a finding never looks like a success on one surface and a warning on
another: a check that ran and found the target down is `⚠ problem`, never a green `✓`. The web
chat mirrors `BADGES` in `web/app.js` (a test keeps the two equal).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chatops.bot.model import StepStatus


@dataclass(frozen=True)
class Badge:
    """How a step's state is shown: `key` names it (and its colour on the web), `mark` is the
    one-character sign, `label` the word a screen reader and a piped transcript get."""

    key: str
    mark: str
    label: str


BADGES: dict[str, Badge] = {badge.key: badge for badge in (
    Badge("ok", "✓", "ok"),
    Badge("problem", "⚠", "problem"),
    Badge("failed", "✗", "failed"),
    Badge("skipped", "–", "skipped"),
    Badge("interrupted", "!", "interrupted"),
    Badge("running", "…", "running"),
    Badge("waiting", "○", "waiting for approval"),
    Badge("queued", "◦", "queued"),
    Badge("denied", "⊘", "denied"),
    Badge("expired", "◔", "expired"),
)}

_BY_STATUS = {
    StepStatus.failed: "failed",
    StepStatus.skipped: "skipped",
    StepStatus.interrupted: "interrupted",
    StepStatus.running: "running",
    StepStatus.proposed: "waiting",
    StepStatus.approved: "queued",
    StepStatus.denied: "denied",
    StepStatus.expired: "expired",
}


def step_badge(status: StepStatus | str, outcome: str | None = None) -> Badge:
    """The badge of a step: a succeeded step is `ok`, or `problem` when it found something wrong."""
    status = StepStatus(status)
    if status is StepStatus.succeeded:
        return BADGES["problem" if outcome == "problem" else "ok"]
    return BADGES[_BY_STATUS[status]]


def is_text_output(result: Any) -> bool:
    """Whether a result is text a person reads line by line (a string, or a program's stdout),
    as opposed to structured data, whose one-line summary says what matters in a chat."""
    return isinstance(result, str) or (isinstance(result, dict) and "stdout" in result)


def output_text(result: Any) -> str:
    """A step's whole output as text: text as it is; a program's stdout (and stderr, labelled);
    anything else as indented JSON. Empty when there is nothing to show."""
    if result is None:
        return ""
    if isinstance(result, str):
        return result
    if isinstance(result, dict) and "stdout" in result:
        out = str(result.get("stdout") or "").rstrip("\n")
        err = str(result.get("stderr") or "").rstrip("\n")
        return "\n".join(part for part in (out, f"[stderr]\n{err}" if err else "") if part)
    return json.dumps(result, indent=2, ensure_ascii=False, default=str)


def head_and_tail(text: str, *, max_lines: int = 40, keep_head: int = 15, keep_tail: int = 20,
                  max_line_chars: int = 400) -> str:
    """Long output cut for a screen that has no room for all of it: the first and last lines,
    and a note saying how much was left out and where the whole of it is."""
    lines = [line if len(line) <= max_line_chars else line[:max_line_chars] + "…" for line in text.splitlines()]
    if len(lines) <= max_lines:
        return "\n".join(lines)
    omitted = len(lines) - keep_head - keep_tail
    note = f"… {omitted} more lines not shown (the whole output: --json, the web chat or the API) …"
    return "\n".join([*lines[:keep_head], note, *lines[-keep_tail:]])

