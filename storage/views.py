"""Read models for clients that show whole threads (the HTTP API and the web chat).

Plain queries over the tables the store writes; kept apart from `store.py`, which owns every
write and every state transition. Called on the store's thread through `Store` methods.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def list_threads(db: sqlite_utils.Database, *, platform: str, channel: str | None, limit: int,
                 before: str | None) -> list[dict[str, Any]]:
    """Threads of one platform (and one channel, when given), newest activity first.
    `before` is an `updated_at` cursor from a previous page."""
    where, params = ["platform = ?"], [platform]
    if channel is not None:
        where.append("channel = ?")
        params.append(channel)
    if before:
        where.append("updated_at < ?")
        params.append(before)
    rows = db.execute(
        f"SELECT id, title, created_at, updated_at FROM threads WHERE {' AND '.join(where)} "
        "ORDER BY updated_at DESC, id DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [{"id": r[0], "title": r[1] or "", "created_at": r[2], "updated_at": r[3]} for r in rows]


def thread_view(db: sqlite_utils.Database, thread_id: str, *, limit: int = 50,
                before: str | None = None) -> dict[str, Any] | None:
    """The thread with its newest `limit` messages (perceived text included) before the message
    `before`, oldest first, and the plans (with steps) of those messages. `has_more` says whether
    older messages exist and `next_before` is the cursor for them: a reply never grows with the
    thread, however long it gets."""
    head = db.execute("SELECT id, title, created_at, updated_at FROM threads WHERE id = ?", [thread_id]).fetchone()
    if head is None:
        return None
    where, params = "thread_id = ?", [thread_id]
    if before:
        cursor = db.execute("SELECT created_at, rowid FROM messages WHERE id = ? AND thread_id = ?",
                            [before, thread_id]).fetchone()
        if cursor is None:
            raise LookupError(f"no message {before!r} in this thread")
        where += " AND (created_at < ? OR (created_at = ? AND rowid < ?))"
        params += [cursor[0], cursor[0], cursor[1]]
    rows = db.execute(
        "SELECT id, role, user_name, text, perceived_text, attachments, created_at FROM messages "
        f"WHERE {where} ORDER BY created_at DESC, rowid DESC LIMIT ?", [*params, limit + 1]).fetchall()
    has_more = len(rows) > limit
    rows = list(reversed(rows[:limit]))
    messages = [
        {"id": r[0], "role": r[1], "user": r[2] or "", "text": r[3] or "", "perceived_text": r[4] or "",
         "attachments": _loads(r[5]) or [], "created_at": r[6]}
        for r in rows
    ]
    plans = _plans_of_messages(db, [m["id"] for m in messages if m["role"] == "user"], limit)
    return {"id": head[0], "title": head[1] or "", "created_at": head[2], "updated_at": head[3],
            "messages": messages, "plans": plans, "has_more": has_more,
            "next_before": messages[0]["id"] if has_more and messages else None}


def _plans_of_messages(db: sqlite_utils.Database, message_ids: list[str], limit: int) -> list[dict[str, Any]]:
    """The newest `limit` plans made for these messages, oldest first, each with its steps."""
    if not message_ids:
        return []
    marks = ", ".join("?" for _ in message_ids)
    rows = db.execute(
        f"SELECT {PLAN_COLUMNS} FROM plans WHERE message_id IN ({marks}) ORDER BY created_at DESC, rowid DESC LIMIT ?",
        [*message_ids, limit]).fetchall()
    return _plan_bodies(db, list(reversed(rows)))


def plan_view(db: sqlite_utils.Database, plan_id: str) -> dict[str, Any] | None:
    """One plan with its steps, in the shape of the thread view's plans."""
    rows = db.execute(f"SELECT {PLAN_COLUMNS} FROM plans WHERE id = ?", [plan_id]).fetchall()
    return next(iter(_plan_bodies(db, rows)), None)


PLAN_COLUMNS = "id, message_id, round, goal, status, requester, created_at, expires_at, decided_at, decided_by"


def _plan_bodies(db: sqlite_utils.Database, rows: list[Any]) -> list[dict[str, Any]]:
    plans = []
    for p in rows:
        requester = _loads(p[5]) or {}
        steps = [
            {"id": s[0], "tool": s[1], "args": _loads(s[2]) or {}, "reason": s[3] or "", "risk": s[4],
             "status": s[5], "result": _loads(s[6]), "summary": s[7], "error": s[8], "decided_by": s[9],
             "duration_ms": s[10], "outcome": s[11], "provenance": s[12], "tainted": bool(s[13])}
            for s in db.execute(
                "SELECT id, tool, args, reason, risk, status, result, summary, error, decided_by, duration_ms, "
                "outcome, provenance, tainted FROM steps WHERE plan_id = ? ORDER BY position", [p[0]]).fetchall()
        ]
        plans.append({"id": p[0], "message_id": p[1], "round": p[2], "goal": p[3], "status": p[4],
                      "requester": requester.get("name") or requester.get("id") or "",
                      "created_at": p[6], "expires_at": p[7], "decided_at": p[8], "decided_by": p[9],
                      "steps": steps})
    return plans
