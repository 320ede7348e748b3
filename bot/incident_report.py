"""The incident report: a thread's timeline in UTC, what a post-mortem starts from.

It is read, never written: the stored thread (messages with what was perceived from their
attachments, plans, steps with their outcome and output, notices), its alert group and its audit
entries (who approved, denied or was refused, who acknowledged, when; when each step started and
ended). It starts with a summary: when the alert fired and resolved, and the time to acknowledge
(the first acknowledgement or decision by a person), to first action (the first step that ran)
and to resolve.

`chatops report --thread ID`, `GET /api/v1/threads/{id}/report` and `!report`-style exports all
render this one model, as Markdown or as a self-contained HTML page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chatops.bot.alert_cards import duration_words

MAX_MESSAGES = 2000
MAX_AUDIT = 5000
OUTPUT_LINES = 40


@dataclass(order=True)
class Entry:
    at: datetime
    order: int
    text: str = field(compare=False)
    detail: str = field(default="", compare=False)  # preformatted (step output), shown as a block


@dataclass
class Report:
    thread_id: str
    title: str
    summary: list[str]
    entries: list[Entry]


def _at(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _clip_output(text: str) -> str:
    lines = text.rstrip().splitlines()
    if len(lines) <= OUTPUT_LINES:
        return "\n".join(lines)
    return "\n".join([*lines[:OUTPUT_LINES], f"… ({len(lines) - OUTPUT_LINES} more lines)"])


def _who(actor: str) -> str:
    return actor.rpartition(":")[2] or actor or "someone"


def build_report(view: dict[str, Any], audit: list[dict[str, Any]], alert: dict[str, Any] | None,
                 outputs: dict[str, str] | None = None) -> Report:
    """The report of one thread from its stored view (`Store.thread_view`), its audit entries
    (`Store.audit_log(thread=…)`), its alert group (`Store.alert_of_thread`) and each step's whole
    output as text (step id → text; the step's summary when missing)."""
    outputs = outputs or {}
    entries: list[Entry] = []
    order = 0

    def add(moment: Any, text: str, detail: str = "") -> None:
        nonlocal order
        at = _at(moment)
        if at is not None:
            order += 1
            entries.append(Entry(at, order, text, detail))

    fired = resolved = None
    if alert:
        starts = [_at(a.get("starts_at")) for a in alert["alerts"] if a.get("starts_at")]
        ends = [_at(a.get("ends_at")) for a in alert["alerts"] if a.get("ends_at")]
        fired = min(starts) if starts else None
        for item in alert["alerts"]:
            name = item["labels"].get("alertname", "alert")
            add(item.get("starts_at"), f"🔔 Alert {name} fired ({alert['source']})")
            if item.get("status") == "resolved" and item.get("ends_at"):
                add(item["ends_at"], f"✅ Alert {name} resolved")
        if alert["status"] == "resolved" and ends:
            resolved = max(ends)  # type: ignore[type-var]
    for message in view["messages"]:
        author = "chatops" if message["role"] == "bot" else (message["user"] or "someone")
        text = message["perceived_text"] if message["role"] == "user" else message["text"]
        names = ", ".join(a.get("name", "file") for a in message.get("attachments") or [])
        add(message["created_at"], f"💬 {author}" + (f" (with {names})" if names else ""), text)
    for notice in view.get("notices", []):
        add(notice["created_at"], f"ℹ️ {notice['text'].splitlines()[0][:300]}",
            "\n".join(notice["text"].splitlines()[1:]))
    steps: dict[str, dict[str, Any]] = {}
    for plan in view["plans"]:
        lines = [f"{i}. `{s['tool']}` {s['args']} — {s['risk']}" for i, s in enumerate(plan["steps"], 1)]
        add(plan["created_at"], f"📋 Plan “{plan['goal']}” proposed for {plan['requester'] or 'someone'}",
            "\n".join(lines))
        for step in plan["steps"]:
            steps[step["id"]] = step
    acknowledged = first_action = None
    for item in audit:
        kind, actor, at = item["kind"], item["actor"], item["at"]
        detail = item.get("detail") or {}
        if kind in ("plan.decided", "decision.refused"):
            verb = {"approve": "approved", "deny": "denied"}.get(detail.get("decision", ""), "decided")
            refused = kind == "decision.refused"
            text = f"{'⛔' if refused else '✔️'} {_who(actor)} {verb} a plan" + (
                f" — refused: {detail.get('reason')}" if refused else "")
            add(at, text)
            if not refused and not actor.startswith(("alert:", "schedule:")) and acknowledged is None:
                acknowledged = _at(at)
        elif kind == "step.started":
            step = steps.get(item["step_id"]) or {"tool": item.get("tool") or "?", "args": item.get("args") or {}}
            add(at, f"▶️ Step `{step['tool']}` started {step['args']}")
            first_action = first_action or _at(at)
        elif kind.startswith("step.") and kind != "step.started":
            step = steps.get(item["step_id"], {})
            outcome = step.get("outcome") or item.get("outcome") or ""
            status = kind.removeprefix("step.")
            said = outputs.get(item["step_id"]) or step.get("error") or step.get("summary") or ""
            add(at, f"⏹ Step `{step.get('tool', item.get('tool') or '?')}` {status}"
                    + (f" ({outcome})" if outcome else ""), _clip_output(said))
        elif kind == "alert.acknowledged":
            add(at, detail.get("text") or f"👀 Acknowledged by {_who(actor)}")
            moment = _at(at)
            acknowledged = moment if acknowledged is None or (moment and moment < acknowledged) else acknowledged
        elif kind == "plan.expired":
            add(at, "⌛ A plan expired without a decision")
    summary = []
    opened = _at(view["created_at"])
    start = fired or opened
    if fired:
        summary.append(f"Alert fired: {_utc(fired)}")
    if resolved:
        summary.append(f"Resolved: {_utc(resolved)}")
    for label, moment in (("Time to acknowledge", acknowledged), ("Time to first action", first_action),
                          ("Time to resolve", resolved)):
        if moment is not None and start is not None:
            summary.append(f"{label}: {duration_words((moment - start).total_seconds())}")
        else:
            summary.append(f"{label}: —")
    return Report(thread_id=view["id"], title=view["title"] or view["id"], summary=summary, entries=sorted(entries))


def to_markdown(report: Report) -> str:
    lines = [f"# Incident report: {report.title}", "", f"Thread `{report.thread_id}`. All times are UTC.", "",
             "## Summary", ""]
    lines += [f"- {item}" for item in report.summary]
    lines += ["", "## Timeline", ""]
    for entry in report.entries:
        lines.append(f"- **{entry.at.strftime('%Y-%m-%d %H:%M:%S')}** {entry.text}")
        if entry.detail.strip():
            fence = "````" if "```" in entry.detail else "```"
            lines += ["", f"  {fence}", *[f"  {line}" for line in entry.detail.splitlines()], f"  {fence}", ""]
    return "\n".join(lines).rstrip() + "\n"


def to_html(report: Report) -> str:
    """A self-contained page (no script, no external resource): everything escaped."""
    e = html.escape
    items = []
    for entry in report.entries:
        detail = f"<pre>{e(entry.detail)}</pre>" if entry.detail.strip() else ""
        items.append(f"<li><time>{e(entry.at.strftime('%Y-%m-%d %H:%M:%S'))}</time> {e(entry.text)}{detail}</li>")
    summary = "".join(f"<li>{e(item)}</li>" for item in report.summary)
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Incident report: "
            f"{e(report.title)}</title><style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto}}"
            "pre{background:#f4f4f4;padding:.5rem;overflow:auto}time{font-family:monospace}</style></head><body>"
            f"<h1>Incident report: {e(report.title)}</h1><p>Thread <code>{e(report.thread_id)}</code>. "
            f"All times are UTC.</p><h2>Summary</h2><ul>{summary}</ul><h2>Timeline</h2><ol>{''.join(items)}</ol>"
            "</body></html>\n")


async def thread_report(store: Any, thread_id: str, *, output_text: Any = None) -> Report | None:
    """Read what the report needs from the store; None when there is no such thread."""
    view = await store.thread_view(thread_id, limit=MAX_MESSAGES)
    if view is None:
        return None
    audit = await store.audit_log(MAX_AUDIT, thread=thread_id)
    alert_row = await store.alert_of_thread(thread_id)
    from chatops.bot.alerts import alert_body

    outputs = {}
    if output_text is not None:
        outputs = {s["id"]: output_text(s["result"]) for p in view["plans"] for s in p["steps"]}
    return build_report(view, audit, alert_body(alert_row), outputs)
