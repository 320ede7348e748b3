"""`Store`: the only code that touches SQLite, exposing what the bot does, not tables.

Every state change is one conditional UPDATE inside one transaction, so two approvals of the same
plan, or a click racing the expiry sweep, can never both win: the loser sees `False`.

All SQLite work runs on one dedicated thread that owns the connection (`dispatch="writer_thread"`,
the default) rather than on `asyncio.to_thread`'s pool behind a lock: `bench/storage.py` measured
both at the same throughput (within noise), and the owner thread kept event-loop lag 2–3× lower
under concurrency and needs no lock (see README).
"""

from __future__ import annotations

import asyncio
import functools
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, ParamSpec, TypeVar

import sqlite_utils

from bot.model import (
    Decision,
    Inbound,
    Plan,
    PlanStatus,
    Risk,
    Step,
    StepResult,
    StepStatus,
    ThreadRef,
    UserRef,
    utcnow,
)
from bot.states import plan_may_move
from storage import views
from storage.files import FileStore
from storage.migrations import migrate

P = ParamSpec("P")
R = TypeVar("R")

Dispatch = Literal["writer_thread", "to_thread"]


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def _ts(moment: datetime | None = None) -> str:
    """Fixed-width UTC ISO timestamps, so text comparison in SQL is time comparison."""
    return (moment or utcnow()).astimezone(utcnow().tzinfo).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def on_store_thread(method: Callable[..., R]) -> Callable[..., Coroutine[Any, Any, R]]:
    """Run a blocking `Store` method off the event loop, where the store runs its SQLite work."""

    @functools.wraps(method)
    async def offloaded(self: Store, *args: Any, **kwargs: Any) -> R:
        return await self._dispatch(method, self, *args, **kwargs)

    offloaded.blocking = method  # type: ignore[attr-defined]
    return offloaded


class Store:
    """Threads, messages, plans, steps, decisions and the audit log in one SQLite file (WAL)."""

    def __init__(self, path: Path | str, *, dispatch: Dispatch = "writer_thread") -> None:
        self.path = Path(path)
        self.dispatch = dispatch
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chatops-store")
        self._lock = threading.Lock()
        self._db: sqlite_utils.Database | None = None
        self.files = FileStore.beside(self.path)

    # --- lifecycle ---------------------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path | str, *, dispatch: Dispatch = "writer_thread") -> Store:
        store = cls(path, dispatch=dispatch)
        await store._dispatch(store._connect)
        return store

    def _connect(self) -> None:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), check_same_thread=self.dispatch == "writer_thread", timeout=30)
        db = sqlite_utils.Database(conn)
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")  # durable across process crashes in WAL mode
        db.execute("PRAGMA foreign_keys = ON")
        migrate(db)
        self._db = db

    async def close(self) -> None:
        if self._db is not None:
            await self._dispatch(self._db.close)
            self._db = None
        self._executor.shutdown(wait=True)

    async def _dispatch(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        if self.dispatch == "to_thread":
            return await asyncio.to_thread(self._locked, fn, *args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def _locked(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        with self._lock:
            return fn(*args, **kwargs)

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            raise RuntimeError("the store is not open")
        return self._db

    def _audit(self, kind: str, *, actor: str = "", thread_id: str = "", plan_id: str = "",
               step_id: str = "", detail: Any = None) -> None:
        # plain SQL: the most frequent insert of a turn; sqlite-utils' insert re-reads the schema each call
        self.db.execute(
            "INSERT INTO audit (at, kind, actor, thread_id, plan_id, step_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [_ts(), kind, actor, thread_id, plan_id, step_id, _dumps(detail) if detail is not None else None],
        )

    # --- inbound, threads and messages -----------------------------------------------------

    @on_store_thread
    def record_inbound(self, inbound: Inbound, *, title: str = "") -> str | None:
        """Store a user's message unless its platform event was seen before (a retry or a
        replay). Returns the new message id, or None for a duplicate."""
        db = self.db
        with db.atomic():
            cursor = db.execute(
                "INSERT OR IGNORE INTO events (platform, event_id, received_at) VALUES (?, ?, ?)",
                [inbound.thread.platform, inbound.event_id, _ts(inbound.received_at)],
            )
            if cursor.rowcount == 0:
                return None
            self._ensure_thread(inbound.thread, title or inbound.text[:80])
            message_id = new_id("m")
            db["messages"].insert(
                {"id": message_id, "thread_id": inbound.thread.id, "role": "user",
                 "platform": inbound.user.platform, "user_id": inbound.user.id,
                 "user_name": inbound.user.name, "text": inbound.text, "perceived_text": inbound.text,
                 "attachments": _dumps([a.model_dump(mode="json") for a in inbound.attachments]),
                 "created_at": _ts(inbound.received_at)}
            )
            self._audit("message.received", actor=inbound.user.key, thread_id=inbound.thread.id,
                        detail={"message_id": message_id, "event_id": inbound.event_id})
        return message_id

    @on_store_thread
    def receive(self, inbound: Inbound, *, history_limit: int = 20) -> tuple[str | None, list[dict[str, Any]]]:
        """`record_inbound` and the thread's history before it, in one trip to the store thread."""
        message_id = Store.record_inbound.blocking(self, inbound)  # type: ignore[attr-defined]
        if message_id is None:
            return None, []
        history = Store.thread_history.blocking(self, inbound.thread.id, history_limit + 1)  # type: ignore[attr-defined]
        return message_id, history[:-1]

    def _ensure_thread(self, thread: ThreadRef, title: str) -> None:
        now = _ts()
        self.db.execute(
            "INSERT INTO threads (id, platform, channel, external_id, title, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at",
            [thread.id, thread.platform, thread.channel, thread.thread, title, now, now],
        )

    @on_store_thread
    def set_perceived_text(self, message_id: str, perceived_text: str,
                           attachments: list[dict[str, Any]] | None = None) -> None:
        """What the planner read for a message; attachments now carry their content hashes."""
        with self.db.atomic():
            self.db.execute("UPDATE messages SET perceived_text = ? WHERE id = ?", [perceived_text, message_id])
            if attachments is not None:
                self.db.execute("UPDATE messages SET attachments = ? WHERE id = ?", [_dumps(attachments), message_id])

    @on_store_thread
    def cached_perception(self, sha256: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT part FROM perception_cache WHERE sha256 = ?", [sha256]).fetchone()
        return _loads(row[0]) if row else None

    @on_store_thread
    def remember_perception(self, sha256: str, kind: str, part: dict[str, Any]) -> None:
        with self.db.atomic():
            self.db.execute(
                "INSERT OR REPLACE INTO perception_cache (sha256, kind, part, created_at) VALUES (?, ?, ?, ?)",
                [sha256, kind, _dumps(part), _ts()],
            )

    @on_store_thread
    def remember_ref(self, platform: str, kind: str, key: str, ref: dict[str, Any]) -> None:
        """Remember where an adapter put something, e.g. `("slack", "plan_card", plan_id)` →
        `{"channel": …, "ts": …}`; a later call for the same key replaces it."""
        with self.db.atomic():
            self.db.execute(
                "INSERT OR REPLACE INTO platform_refs (platform, kind, key, ref, updated_at) VALUES (?, ?, ?, ?, ?)",
                [platform, kind, key, _dumps(ref), _ts()],
            )

    @on_store_thread
    def ref_of(self, platform: str, kind: str, key: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT ref FROM platform_refs WHERE platform = ? AND kind = ? AND key = ?",
                              [platform, kind, key]).fetchone()
        return _loads(row[0]) if row else None

    @on_store_thread
    def record_bot_message(self, thread: ThreadRef, text: str) -> str:
        message_id = new_id("m")
        with self.db.atomic():
            self._ensure_thread(thread, "")
            self.db["messages"].insert(
                {"id": message_id, "thread_id": thread.id, "role": "bot", "platform": thread.platform,
                 "user_id": "", "user_name": "", "text": text, "perceived_text": text,
                 "attachments": "[]", "created_at": _ts()}
            )
        return message_id

    @on_store_thread
    def record_notice(self, thread: ThreadRef, text: str, level: str = "info") -> None:
        """A notice shown in a thread (progress, an expiry, what an attachment was read as)."""
        with self.db.atomic():
            self.db.execute("INSERT INTO notices (thread_id, level, text, created_at) VALUES (?, ?, ?, ?)",
                            [thread.id, level, text, _ts()])

    async def keep_file(self, data: bytes) -> str:
        """Keep an attachment's bytes beside the database (once per content); returns its SHA-256."""
        return await asyncio.to_thread(self.files.put, data)

    def file_path(self, digest: str) -> Path | None:
        """Where a kept attachment is, by its SHA-256, or None."""
        return self.files.path(digest)

    @on_store_thread
    def keep_thread_events(self, events: list[tuple[int, str, str]]) -> None:
        """(id, thread id, JSON) of events an event stream sent, in one transaction (written in
        batches, off the turn's path); an id already kept is left alone."""
        with self.db.atomic():
            self.db.conn.executemany("INSERT OR IGNORE INTO thread_events (id, thread_id, data) VALUES (?, ?, ?)",
                                     events)

    @on_store_thread
    def thread_events(self, thread_id: str, after: int, limit: int = 1000) -> list[tuple[int, str]]:
        """The kept events of a thread with ids above `after`, oldest first."""
        return [(r[0], r[1]) for r in self.db.execute(
            "SELECT id, data FROM thread_events WHERE thread_id = ? AND id > ? ORDER BY id LIMIT ?",
            [thread_id, after, limit]).fetchall()]

    @on_store_thread
    def last_thread_event(self, thread_id: str) -> int:
        row = self.db.execute("SELECT MAX(id) FROM thread_events WHERE thread_id = ?", [thread_id]).fetchone()
        return int(row[0] or 0)

    @on_store_thread
    def thread_exists(self, thread_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM threads WHERE id = ?", [thread_id]).fetchone() is not None

    @on_store_thread
    def thread_ref(self, thread_id: str) -> ThreadRef | None:
        row = self.db.execute(
            "SELECT platform, channel, external_id FROM threads WHERE id = ?", [thread_id]).fetchone()
        return ThreadRef(platform=row[0], channel=row[1] or "", thread=row[2]) if row else None

    @on_store_thread
    def turn_of(self, plan_id: str) -> tuple[ThreadRef, str, str] | None:
        """(thread, message id, perceived text) of the message a plan answers."""
        row = self.db.execute(
            "SELECT t.platform, t.channel, t.external_id, m.id, m.perceived_text FROM plans p "
            "JOIN messages m ON m.id = p.message_id JOIN threads t ON t.id = p.thread_id WHERE p.id = ?",
            [plan_id],
        ).fetchone()
        if row is None:
            return None
        return ThreadRef(platform=row[0], channel=row[1] or "", thread=row[2]), row[3], row[4]

    @on_store_thread
    def plans_for_message(self, message_id: str) -> list[Plan]:
        """Every round planned for one user message, in order."""
        ids = [r[0] for r in self.db.execute(
            "SELECT id FROM plans WHERE message_id = ? ORDER BY round, created_at", [message_id]).fetchall()]
        return [plan for plan in map(self._plan, ids) if plan is not None]

    @on_store_thread
    def thread_history(self, thread_id: str, limit: int = 20) -> list[dict[str, Any]]:
        """The last `limit` messages of a thread, oldest first, as {role, text, created_at}."""
        rows = self.db.execute(
            "SELECT role, perceived_text AS text, user_name, created_at FROM messages WHERE thread_id = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT ?",
            [thread_id, limit],
        ).fetchall()
        return [{"role": r[0], "text": r[1], "user": r[2], "created_at": r[3]} for r in reversed(rows)]

    # --- plans and decisions ------------------------------------------------------------------

    @on_store_thread
    def propose_plan(self, plan: Plan, *, message_id: str, ttl_seconds: float, start: bool = False) -> Plan:
        """Persist a new plan. Read-only steps are approved by policy at once; the plan waits
        for a decision only when some step needs one. With `start`, a plan that needs no decision
        is also moved on to `running` in the same transaction."""
        now = utcnow()
        plan = plan.model_copy(deep=True)
        plan.id = new_id("p")
        plan.created_at = now
        plan.expires_at = now + timedelta(seconds=ttl_seconds)
        plan.status = PlanStatus.proposed if plan.needs_approval else PlanStatus.approved
        for step in plan.steps:
            step.id = new_id("s")
            if step.risk is Risk.read and not step.tainted:
                step.status, step.decided_by = StepStatus.approved, "policy: read-only"
            else:
                step.status = StepStatus.proposed
        db = self.db
        with db.atomic():
            db["plans"].insert(
                {"id": plan.id, "thread_id": plan.thread_id, "message_id": message_id, "round": plan.round,
                 "goal": plan.goal, "status": plan.status.value,
                 "requester": plan.requester.model_dump_json() if plan.requester else None,
                 "created_at": _ts(now), "expires_at": _ts(plan.expires_at), "decided_at": None,
                 "decided_by": None}
            )
            db["steps"].insert_all(
                {"id": s.id, "plan_id": plan.id, "position": i, "tool": s.tool, "args": _dumps(s.args),
                 "reason": s.reason, "risk": s.risk.value, "status": s.status.value, "result": None,
                 "error": None, "decided_by": s.decided_by, "started_at": None, "finished_at": None,
                 "duration_ms": None, "summary": None, "outcome": None, "provenance": s.provenance,
                 "tainted": int(s.tainted)}
                for i, s in enumerate(plan.steps)
            )
            self._audit("plan.proposed", actor=plan.requester.key if plan.requester else "",
                        thread_id=plan.thread_id, plan_id=plan.id,
                        detail={"goal": plan.goal, "status": plan.status.value,
                                "steps": [{"id": s.id, "tool": s.tool, "args": s.args, "risk": s.risk.value,
                                           "tainted": s.tainted, "provenance": s.provenance}
                                          for s in plan.steps]})
            if start and plan.status is PlanStatus.approved:
                db.execute("UPDATE plans SET status = 'running' WHERE id = ? AND status = 'approved'", [plan.id])
                plan.status = PlanStatus.running
                self._audit("plan.running", plan_id=plan.id)
        return plan

    def _plan(self, plan_id: str) -> Plan | None:
        row = self.db.execute(
            "SELECT id, thread_id, round, goal, status, requester, created_at, expires_at FROM plans WHERE id = ?",
            [plan_id],
        ).fetchone()
        if row is None:
            return None
        steps = [
            Step(id=s[0], tool=s[1], args=_loads(s[2]) or {}, reason=s[3] or "", risk=Risk(s[4]),
                 status=StepStatus(s[5]), result=_loads(s[6]), error=s[7], decided_by=s[8], duration_ms=s[9],
                 summary=s[10], outcome=s[11], provenance=s[12], tainted=bool(s[13]))
            for s in self.db.execute(
                "SELECT id, tool, args, reason, risk, status, result, error, decided_by, duration_ms, summary, "
                "outcome, provenance, tainted "
                "FROM steps WHERE plan_id = ? ORDER BY position",
                [plan_id],
            ).fetchall()
        ]
        return Plan(
            id=row[0], thread_id=row[1], round=row[2], goal=row[3], status=PlanStatus(row[4]),
            requester=UserRef.model_validate_json(row[5]) if row[5] else None,
            created_at=_dt(row[6]), expires_at=_dt(row[7]), steps=steps,
        )

    @on_store_thread
    def get_plan(self, plan_id: str) -> Plan | None:
        return self._plan(plan_id)

    @on_store_thread
    def pending_plans(self) -> list[Plan]:
        """Plans still waiting for a decision (adapters re-arm their buttons from these)."""
        ids = [r[0] for r in self.db.execute(
            "SELECT id FROM plans WHERE status = 'proposed' ORDER BY created_at").fetchall()]
        return [plan for plan in map(self._plan, ids) if plan is not None]

    @on_store_thread
    def thread_plans(self, thread_id: str, limit: int | None = None) -> list[Plan]:
        """A thread's plans, oldest first; with `limit`, only the newest `limit` of them."""
        if limit is None:
            rows = self.db.execute("SELECT id FROM plans WHERE thread_id = ? ORDER BY created_at", [thread_id])
            ids = [r[0] for r in rows.fetchall()]
        else:
            rows = self.db.execute("SELECT id FROM plans WHERE thread_id = ? ORDER BY created_at DESC, rowid DESC "
                                   "LIMIT ?", [thread_id, limit])
            ids = [r[0] for r in rows.fetchall()][::-1]
        return [plan for plan in map(self._plan, ids) if plan is not None]

    @on_store_thread
    def decide(self, decision: Decision) -> tuple[bool, str]:
        """Apply an approval or denial from someone the policy allowed. Exactly one decision per
        plan wins; the others get (False, why). Expired plans cannot be decided."""
        now = _ts(decision.at)
        new_status = PlanStatus.approved if decision.approve else PlanStatus.denied
        db = self.db
        with db.atomic():
            won = db.execute(
                "UPDATE plans SET status = ?, decided_at = ?, decided_by = ? "
                "WHERE id = ? AND status = 'proposed' AND expires_at > ?",
                [new_status.value, now, decision.user.key, decision.plan_id, now],
            ).rowcount == 1
            if won:
                db.execute(
                    "UPDATE steps SET status = ?, decided_by = ? WHERE plan_id = ? AND status = 'proposed'",
                    [StepStatus.approved.value if decision.approve else StepStatus.denied.value,
                     decision.user.key, decision.plan_id],
                )
                if not decision.approve:
                    db.execute(
                        "UPDATE steps SET status = 'skipped' WHERE plan_id = ? AND status = 'approved'",
                        [decision.plan_id],
                    )
                reason = ""
            else:
                row = db.execute("SELECT status, expires_at FROM plans WHERE id = ?", [decision.plan_id]).fetchone()
                if row is None:
                    reason = "no such plan"
                elif row[0] == "proposed":
                    reason = "the plan has expired"
                else:
                    reason = f"the plan is already {row[0]}"
            self._record_decision(decision, accepted=won, reason=reason)
        return won, reason

    @on_store_thread
    def record_refused_decision(self, decision: Decision, reason: str) -> None:
        """A click or answer from someone the policy refused: nothing changes but the record."""
        with self.db.atomic():
            self._record_decision(decision, accepted=False, reason=reason)

    def _record_decision(self, decision: Decision, *, accepted: bool, reason: str) -> None:
        self.db["decisions"].insert(
            {"plan_id": decision.plan_id, "decision": "approve" if decision.approve else "deny",
             "user_platform": decision.user.platform, "user_id": decision.user.id,
             "user_name": decision.user.name, "accepted": int(accepted), "reason": reason,
             "decided_at": _ts(decision.at), "source": decision.source}
        )
        self._audit("plan.decided" if accepted else "decision.refused", actor=decision.user.key,
                    plan_id=decision.plan_id,
                    detail={"decision": "approve" if decision.approve else "deny", "reason": reason,
                            "source": decision.source})

    @on_store_thread
    def expire_due(self, now: datetime | None = None) -> list[str]:
        """Mark every undecided plan past its deadline expired; returns their ids."""
        stamp = _ts(now)
        with self.db.atomic():
            ids = [r[0] for r in self.db.execute(
                "UPDATE plans SET status = 'expired', decided_at = ? "
                "WHERE status = 'proposed' AND expires_at <= ? RETURNING id", [stamp, stamp]).fetchall()]
            for plan_id in ids:
                self.db.execute(
                    "UPDATE steps SET status = 'expired' WHERE plan_id = ? AND status = 'proposed'", [plan_id])
                self.db.execute(
                    "UPDATE steps SET status = 'skipped' WHERE plan_id = ? AND status = 'approved'", [plan_id])
                self._audit("plan.expired", plan_id=plan_id)
        return ids

    @on_store_thread
    def transition_plan(self, plan_id: str, from_statuses: tuple[PlanStatus, ...], to: PlanStatus) -> bool:
        illegal = [s for s in from_statuses if not plan_may_move(s, to)]
        if illegal:
            raise ValueError(f"a plan cannot move from {illegal[0].value} to {to.value}")
        placeholders = ", ".join("?" for _ in from_statuses)
        with self.db.atomic():
            won = self.db.execute(
                f"UPDATE plans SET status = ? WHERE id = ? AND status IN ({placeholders})",
                [to.value, plan_id, *(s.value for s in from_statuses)],
            ).rowcount == 1
            if won:
                self._audit(f"plan.{to.value}", plan_id=plan_id)
        return won

    # --- steps ----------------------------------------------------------------------------------

    @on_store_thread
    def start_step(self, step_id: str) -> bool:
        """approved → running; False if the step was not approved (or someone else started it)."""
        with self.db.atomic():
            won = self.db.execute(
                "UPDATE steps SET status = 'running', started_at = ? WHERE id = ? AND status = 'approved'",
                [_ts(), step_id],
            ).rowcount == 1
            if won:
                self._audit("step.started", step_id=step_id)
        return won

    @on_store_thread
    def finish_step(self, step_id: str, outcome: StepResult) -> bool:
        """running → succeeded / failed, with the result or the error."""
        status = StepStatus.succeeded if outcome.ok else StepStatus.failed
        with self.db.atomic():
            won = self.db.execute(
                "UPDATE steps SET status = ?, result = ?, error = ?, summary = ?, finished_at = ?, "
                "duration_ms = ?, outcome = ? WHERE id = ? AND status = 'running'",
                [status.value, _dumps(outcome.result), outcome.error, outcome.summary, _ts(),
                 outcome.duration_ms, outcome.outcome, step_id],
            ).rowcount == 1
            if won:
                self._audit(f"step.{status.value}", step_id=step_id,
                            detail={"summary": outcome.summary, "error": outcome.error, "outcome": outcome.outcome,
                                    "duration_ms": round(outcome.duration_ms, 1)})
        return won

    @on_store_thread
    def fail_unstarted_step(self, step_id: str, error: str) -> bool:
        """An approved step that cannot even start (unknown tool, bad arguments) fails as such."""
        with self.db.atomic():
            won = self.db.execute(
                "UPDATE steps SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'approved'",
                [error, _ts(), step_id],
            ).rowcount == 1
            if won:
                self._audit("step.failed", step_id=step_id, detail={"error": error})
        return won

    @on_store_thread
    def skip_remaining_steps(self, plan_id: str) -> list[str]:
        with self.db.atomic():
            return [r[0] for r in self.db.execute(
                "UPDATE steps SET status = 'skipped' WHERE plan_id = ? AND status IN ('approved', 'proposed') "
                "RETURNING id", [plan_id]).fetchall()]

    @on_store_thread
    def interrupt_running(self) -> tuple[list[str], list[str]]:
        """On start: whatever a previous process left `running` is marked interrupted, never re-run.
        Returns the step ids and the plan ids it marked."""
        with self.db.atomic():
            steps = [r[0] for r in self.db.execute(
                "UPDATE steps SET status = 'interrupted', finished_at = ?, "
                "error = 'interrupted: the bot stopped while this step was running' "
                "WHERE status = 'running' RETURNING id", [_ts()]).fetchall()]
            plans = [r[0] for r in self.db.execute(
                "UPDATE plans SET status = 'interrupted' WHERE status IN ('running', 'approved') RETURNING id"
            ).fetchall()]
            for plan_id in plans:
                self.db.execute(
                    "UPDATE steps SET status = 'skipped' WHERE plan_id = ? AND status = 'approved'", [plan_id])
            for step_id in steps:
                self._audit("step.interrupted", step_id=step_id)
            for plan_id in plans:
                self._audit("plan.interrupted", plan_id=plan_id)
        return steps, plans

    # --- read models for thread viewers ------------------------------------------------------------

    @on_store_thread
    def list_threads(self, *, platform: str, channel: str | None = None, limit: int = 50,
                     before: str | None = None, decided_by: str | None = None) -> list[dict[str, Any]]:
        return views.list_threads(self.db, platform=platform, channel=channel, limit=limit, before=before,
                                  decided_by=decided_by)

    @on_store_thread
    def thread_view(self, thread_id: str, *, limit: int = 50, before: str | None = None) -> dict[str, Any] | None:
        return views.thread_view(self.db, thread_id, limit=limit, before=before)

    @on_store_thread
    def plan_view(self, plan_id: str) -> dict[str, Any] | None:
        return views.plan_view(self.db, plan_id)

    @on_store_thread
    def check_writable(self) -> None:
        """Take the write lock and let it go: raises when the database cannot be written."""
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("ROLLBACK")

    # --- the audit log --------------------------------------------------------------------------

    @on_store_thread
    def append_audit(self, kind: str, *, actor: str = "", thread_id: str = "", plan_id: str = "",
                     step_id: str = "", detail: Any = None) -> None:
        with self.db.atomic():
            self._audit(kind, actor=actor, thread_id=thread_id, plan_id=plan_id, step_id=step_id, detail=detail)

    @on_store_thread
    def audit_log(self, limit: int = 50, *, thread: str | None = None, user: str | None = None,
                  tool: str | None = None, kind: str | None = None, since: str | None = None) -> list[dict[str, Any]]:
        """The newest `limit` audit entries matching the filters, oldest first (see
        `views.audit_entries`); `since` is an ISO timestamp."""
        return views.audit_entries(self.db, limit=limit, thread=thread, user=user, tool=tool, kind=kind,
                                   since=since)
