"""Read models for clients that show whole threads (the HTTP API and the web chat).

Plain queries over the tables the store writes; kept apart from `store.py`, which owns every
write and every state transition. Called on the store's thread through `Store` methods.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from chatops.storage.dialect import dialect_of

# a thread started by a voice note or a screenshot alone has no typed title: use what was perceived
TITLE = ("COALESCE(NULLIF(title, ''), (SELECT substr(m.perceived_text, 1, 80) FROM messages m "
         "WHERE m.thread_id = threads.id AND m.role = 'user' ORDER BY m.created_at, m.rowid LIMIT 1), '')")


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def list_threads(db: sqlite_utils.Database, *, platform: str, channel: str | None, limit: int,
                 before: str | None, decided_by: str | None = None) -> list[dict[str, Any]]:
    """Threads of one platform (and one channel, when given), newest activity first.
    `before` is an `updated_at` cursor from a previous page. With `decided_by`, also the threads
    whose plans that user decided (an approver finds what they approved again)."""
    where, params = ["platform = ?"], [platform]
    if channel is not None and decided_by:
        where.append("(channel = ? OR id IN (SELECT thread_id FROM plans WHERE decided_by = ?))")
        params += [channel, decided_by]
    elif channel is not None:
        where.append("channel = ?")
        params.append(channel)
    if before:
        where.append("updated_at < ?")
        params.append(before)
    rows = db.execute(
        f"SELECT id, {TITLE}, created_at, updated_at FROM threads WHERE {' AND '.join(where)} "
        "ORDER BY updated_at DESC, id DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [{"id": r[0], "title": r[1] or "", "created_at": r[2], "updated_at": r[3]} for r in rows]


def thread_view(db: sqlite_utils.Database, thread_id: str, *, limit: int = 50,
                before: str | None = None) -> dict[str, Any] | None:
    """The thread with its newest `limit` messages (perceived text included) before the message
    `before`, oldest first, the plans (with steps) of those messages and the notices shown among
    them. `has_more` says whether older messages exist and `next_before` is the cursor for them:
    a reply never grows with the thread, however long it gets."""
    head = db.execute(f"SELECT id, {TITLE}, created_at, updated_at FROM threads WHERE id = ?", [thread_id]).fetchone()
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
        f"SELECT {MESSAGE_COLUMNS} FROM messages "
        f"WHERE {where} ORDER BY created_at DESC, rowid DESC LIMIT ?", [*params, limit + 1]).fetchall()
    page = page_of(rows, limit)
    plans = _plans_of_messages(db, [m["id"] for m in page["messages"] if m["role"] == "user"], limit)
    until = cursor[0] if before else None
    return view_of(head, page, plans, _notices(db, thread_id, page["since"], until))


MESSAGE_COLUMNS = "id, role, user_name, text, perceived_text, attachments, created_at"


def page_of(rows: list[Any], limit: int) -> dict[str, Any]:
    """A page of messages from up to `limit + 1` rows, newest first: oldest first, whether there
    are more, and the moment the notices shown among them start (None: from the thread's start)."""
    has_more = len(rows) > limit
    messages = [
        {"id": r[0], "role": r[1], "user": r[2] or "", "text": r[3] or "", "perceived_text": r[4] or "",
         "attachments": _loads(r[5]) or [], "created_at": r[6]}
        for r in reversed(rows[:limit])
    ]
    return {"messages": messages, "has_more": has_more,
            "since": messages[0]["created_at"] if has_more and messages else None}


def view_of(head: Any, page: dict[str, Any], plans: list[dict[str, Any]],
          notices: list[dict[str, Any]]) -> dict[str, Any]:
    """The thread view from its rows, however they were read (here, or by the PostgreSQL
    function `storage/parts/in_server.py` calls): one shape for both."""
    messages, has_more = page["messages"], page["has_more"]
    return {"id": head[0], "title": head[1] or "", "created_at": head[2], "updated_at": head[3],
            "messages": messages, "plans": plans, "notices": notices,
            "has_more": has_more, "next_before": messages[0]["id"] if has_more and messages else None}


def notice_of(r: Any) -> dict[str, Any]:
    """A notice row (id, level, text, created_at) as the view shows it."""
    return {"id": r[0], "level": r[1], "text": r[2], "created_at": r[3]}


def _notices(db: sqlite_utils.Database, thread_id: str, since: str | None, until: str | None,
             limit: int = 500) -> list[dict[str, Any]]:
    """The notices shown between two moments of a thread (its page of messages), oldest first."""
    where, params = "thread_id = ?", [thread_id]
    if since:
        where += " AND created_at >= ?"
        params.append(since)
    if until:
        where += " AND created_at < ?"
        params.append(until)
    rows = db.execute(f"SELECT id, level, text, created_at FROM notices WHERE {where} ORDER BY id DESC LIMIT ?",
                      [*params, limit]).fetchall()
    return [notice_of(r) for r in reversed(rows)]


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


STEP_COLUMNS = ("id, tool, args, reason, risk, status, result, summary, error, decided_by, duration_ms, outcome, "
                "provenance, tainted, files")


def _plan_bodies(db: sqlite_utils.Database, rows: list[Any]) -> list[dict[str, Any]]:
    return [plan_body(p, db.execute(f"SELECT {STEP_COLUMNS} FROM steps WHERE plan_id = ? ORDER BY position",
                                     [p[0]]).fetchall()) for p in rows]


def plan_body(p: Any, step_rows: list[Any]) -> dict[str, Any]:
    """A plan row (`PLAN_COLUMNS`) and its step rows (`STEP_COLUMNS`) as the view shows them."""
    requester = _loads(p[5]) or {}
    steps = [
        {"id": s[0], "tool": s[1], "args": _loads(s[2]) or {}, "reason": s[3] or "", "risk": s[4],
         "status": s[5], "result": _loads(s[6]), "summary": s[7], "error": s[8], "decided_by": s[9],
         "duration_ms": s[10], "outcome": s[11], "provenance": s[12], "tainted": bool(s[13]),
         "files": _loads(s[14]) or []}
        for s in step_rows
    ]
    return {"id": p[0], "message_id": p[1], "round": p[2], "goal": p[3], "status": p[4],
            "requester": requester.get("name") or requester.get("id") or "",
            "created_at": p[6], "expires_at": p[7], "decided_at": p[8], "decided_by": p[9],
            "steps": steps}


def audit_entries(db: sqlite_utils.Database, *, limit: int, thread: str | None = None, user: str | None = None,
                  tool: str | None = None, kind: str | None = None, since: str | None = None) -> list[dict[str, Any]]:
    """The newest audit entries matching every filter given, oldest first, each with the step's
    tool, arguments and outcome (step entries record only the step id) and its plan's thread.

    `thread` and `user` match a full id (`console:alice`) or its last part (`alice`); `user` also
    matches the entries of plans that user requested; `tool` matches step entries of that tool
    and the plan entries of plans that use it; `kind` matches `step.failed` or a family (`step`)."""
    dialect = dialect_of(db)
    like = dialect.like  # the ids' last parts and kind families match as on SQLite, whatever the case
    plan_of = "COALESCE(NULLIF(a.plan_id, ''), s.plan_id)"
    thread_of = "COALESCE(NULLIF(a.thread_id, ''), p.thread_id)"
    where, params = [], []
    if thread:
        where.append(f"({thread_of} = ? OR {thread_of} {like} ?)")
        params += [thread, f"%:{thread}"]
    if user:
        where.append(f"(a.actor = ? OR a.actor {like} ? OR {dialect.json_text('p.requester', 'id')} = ? "
                     f"OR {dialect.json_text('p.requester', 'name')} = ?)")
        params += [user, f"%:{user}", user.rpartition(":")[2], user.rpartition(":")[2]]
    if tool:
        where.append(f"(s.tool = ? OR (COALESCE(a.step_id, '') = '' AND EXISTS "
                     f"(SELECT 1 FROM steps t WHERE t.plan_id = {plan_of} AND t.tool = ?)))")
        params += [tool, tool]
    if kind:
        where.append(f"(a.kind = ? OR a.kind {like} ?)")
        params += [kind, f"{kind}.%"]
    if since:
        where.append("a.at >= ?")
        params.append(since)
    rows = db.execute(
        f"SELECT a.id, a.at, a.kind, a.actor, {thread_of}, {plan_of}, a.step_id, a.detail, s.tool, s.args, "
        "s.outcome, s.status, CASE WHEN s.id IS NULL THEN "
        f"{dialect.tools_and_args(f'SELECT tool, args FROM steps WHERE plan_id = {plan_of} ORDER BY position')} "
        "END FROM audit a LEFT JOIN steps s ON s.id = a.step_id "
        f"LEFT JOIN plans p ON p.id = {plan_of} "
        f"{'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY a.id DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [
        {"id": r[0], "at": r[1], "kind": r[2], "actor": r[3] or "", "thread_id": r[4] or "", "plan_id": r[5] or "",
         "step_id": r[6] or "", "detail": _loads(r[7]), "tool": r[8], "args": _loads(r[9]), "outcome": r[10],
         "step_status": r[11], "plan_tools": _loads(r[12]) or []}
        for r in reversed(rows)
    ]
