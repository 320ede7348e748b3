"""`chatops audit`: audit entries as rows a person can read (who, what tool with which arguments,
the decision, the outcome) or as JSON objects, and the `--since` parsing.

Arguments are redacted with the configured secrets before they are shown: the audit log is
append-only, so a secret a planner put in an argument is kept there, but it is never printed.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from chatops.bot.model import END_OF_INPUT
from chatops.bot.redaction import Redactor

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")


def parse_since(text: str, now: datetime | None = None) -> str:
    """`1h`, `30m`, `2d`, `1w` ago, or a date / date-time (ISO, UTC unless it says otherwise), as the
    fixed-width UTC timestamp the audit log stores. Raises ValueError with what is accepted."""
    now = now or datetime.now(UTC)
    match = RELATIVE.match(text.strip())
    if match:
        moment = now - timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    else:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(f"--since {text!r}: use a duration (90s, 30m, 1h, 2d, 1w) or a date "
                             "(2026-11-25 or 2026-11-25T14:00)") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def decision_of(entry: dict[str, Any]) -> str | None:
    detail = entry.get("detail") or {}
    if entry["kind"] not in ("plan.decided", "decision.refused") or not isinstance(detail, dict):
        return None
    verdict = str(detail.get("decision", ""))
    if detail.get("source") == END_OF_INPUT:
        verdict += " (no answer: end of input)"
    if entry["kind"] == "decision.refused":
        verdict = f"refused {verdict}: {detail.get('reason', '')}".rstrip(": ")
    elif detail.get("note"):
        verdict += f" (reason: {detail['note']})"
    return verdict


def outcome_of(entry: dict[str, Any]) -> str | None:
    detail = entry.get("detail") if isinstance(entry.get("detail"), dict) else {}
    status = entry["kind"].removeprefix("step.") if entry["kind"].startswith("step.") else None
    if status in (None, "started"):
        return None
    if status == "succeeded":
        outcome = entry.get("outcome") or detail.get("outcome") or "ok"
        summary = detail.get("summary") if outcome == "problem" else None
        return f"problem: {summary}" if summary else outcome
    error = detail.get("error")
    return f"{status}: {error}" if error else status


def tools_of(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool calls an entry is about: its step's, or its plan's steps."""
    if entry.get("tool"):
        return [{"tool": entry["tool"], "args": entry.get("args") or {}}]
    if entry.get("plan_tools"):
        return [{"tool": c.get("tool"), "args": c.get("args") or {}} for c in entry["plan_tools"]]
    detail = entry.get("detail") if isinstance(entry.get("detail"), dict) else {}
    return [{"tool": s.get("tool"), "args": s.get("args") or {}} for s in detail.get("steps") or []
            if isinstance(s, dict)]


def row(entry: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """The entry with `tools` (redacted arguments), `decision` and `outcome` filled in."""
    calls = [{"tool": c["tool"], "args": redactor.data(c["args"])} for c in tools_of(entry)]
    return {"id": entry["id"], "at": entry["at"], "kind": entry["kind"], "actor": entry["actor"],
            "thread_id": entry["thread_id"], "plan_id": entry["plan_id"], "step_id": entry["step_id"],
            "tools": calls, "decision": decision_of(entry), "outcome": outcome_of(entry),
            "detail": redactor.data(entry.get("detail"))}


def line(item: dict[str, Any]) -> str:
    """One readable line: when, what, who, which tool with which arguments, and what came of it."""
    calls = "; ".join(f"{c['tool']}({', '.join(f'{k}={_short(v)}' for k, v in c['args'].items())})"
                      for c in item["tools"])
    result = item["decision"] or item["outcome"] or ""
    parts = [item["at"][:19].replace("T", " "), f"{item['kind']:<17}", f"{item['actor'] or '-':<20}",
             calls or "-", result and f"→ {result}", item["thread_id"]]
    return "  ".join(part for part in parts if part)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:59] + "…"
