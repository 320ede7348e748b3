"""The schema as an ordered list of forward migrations.

A database records the number of migrations applied (`PRAGMA user_version` in a SQLite file, a
`schema_version` row on PostgreSQL); opening an older one applies the missing ones in one
transaction each, so a database written by any earlier release opens in this one. Never edit a
released migration: append a new one. The same migrations build both backends: on PostgreSQL
`db` is a `storage.postgres.PgDatabase`, which takes the same `create / add_column /
create_index` calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import sqlite_utils

from chatops.storage import pg_functions
from chatops.storage.dialect import POSTGRESQL_AUDIT_GUARDS, SQLITE_AUDIT_GUARDS


def _is_sqlite(db: Any) -> bool:
    return isinstance(db, sqlite_utils.Database)


def _initial(db: sqlite_utils.Database) -> None:
    db["events"].create(
        {"platform": str, "event_id": str, "received_at": str}, pk=("platform", "event_id")
    )
    db["threads"].create(
        {"id": str, "platform": str, "channel": str, "external_id": str, "title": str,
         "created_at": str, "updated_at": str},
        pk="id",
    )
    db["messages"].create(
        {"id": str, "thread_id": str, "role": str, "platform": str, "user_id": str, "user_name": str,
         "text": str, "perceived_text": str, "attachments": str, "created_at": str},
        pk="id", foreign_keys=[("thread_id", "threads", "id")],
    )
    db["messages"].create_index(["thread_id", "created_at"])
    db["plans"].create(
        {"id": str, "thread_id": str, "message_id": str, "round": int, "goal": str, "status": str,
         "requester": str, "created_at": str, "expires_at": str, "decided_at": str, "decided_by": str},
        pk="id", foreign_keys=[("thread_id", "threads", "id")],
    )
    db["plans"].create_index(["status", "expires_at"])
    db["plans"].create_index(["thread_id"])
    db["steps"].create(
        {"id": str, "plan_id": str, "position": int, "tool": str, "args": str, "reason": str,
         "risk": str, "status": str, "result": str, "error": str, "decided_by": str,
         "started_at": str, "finished_at": str, "duration_ms": float},
        pk="id", foreign_keys=[("plan_id", "plans", "id")],
    )
    db["steps"].create_index(["plan_id", "position"])
    db["steps"].create_index(["status"])
    db["decisions"].create(
        {"id": int, "plan_id": str, "decision": str, "user_platform": str, "user_id": str,
         "user_name": str, "accepted": int, "reason": str, "decided_at": str},
        pk="id",
    )
    db["audit"].create(
        {"id": int, "at": str, "kind": str, "actor": str, "thread_id": str, "plan_id": str,
         "step_id": str, "detail": str},
        pk="id",
    )
    # append-only: the audit log can be added to, never rewritten
    for guard in SQLITE_AUDIT_GUARDS if _is_sqlite(db) else POSTGRESQL_AUDIT_GUARDS:
        db.execute(guard)


def _step_summaries_and_decision_source(db: sqlite_utils.Database) -> None:
    """v2: a step keeps its one-line summary; a decision remembers where it was made."""
    db["steps"].add_column("summary", str)
    db["decisions"].add_column("source", str)
    db["audit"].create_index(["at"])


def _perception_cache(db: sqlite_utils.Database) -> None:
    """v3: what a file (by content hash) was perceived as, so the same file is processed once."""
    db["perception_cache"].create(
        {"sha256": str, "kind": str, "part": str, "created_at": str}, pk="sha256"
    )


def _platform_refs(db: sqlite_utils.Database) -> None:
    """v4: where an adapter put something (a plan card's message ts or id), so that it can edit
    that message again after a restart."""
    db["platform_refs"].create(
        {"platform": str, "kind": str, "key": str, "ref": str, "updated_at": str},
        pk=("platform", "kind", "key"),
    )


def _step_outcomes(db: sqlite_utils.Database) -> None:
    """v5: what a step that ran found ("ok" or "problem"), apart from whether it ran at all."""
    db["steps"].add_column("outcome", str)


def _indexes_for_flat_cost(db: sqlite_utils.Database) -> None:
    """v6: an index for every lookup on the turn path and in listings, so a turn costs the same
    at a million stored turns as at ten thousand (`tests/test_flat_cost.py` fails on a scan)."""
    db["plans"].create_index(["message_id", "round"], index_name="plans_by_message")
    db["threads"].create_index(["platform", "updated_at", "id"], index_name="threads_by_activity")
    db["threads"].create_index(["platform", "channel", "updated_at", "id"], index_name="threads_by_channel")
    db["audit"].create_index(["thread_id", "id"], index_name="audit_by_thread")
    db["audit"].create_index(["kind", "id"], index_name="audit_by_kind")


def _step_provenance(db: sqlite_utils.Database) -> None:
    """v7: where a step's values came from, and whether some came only from data (tainted: the
    step waits for an approval even when read-only)."""
    db["steps"].add_column("provenance", str)
    db["steps"].add_column("tainted", int, not_null_default=0)


def _thread_notices(db: sqlite_utils.Database) -> None:
    """v8: the notices shown in a thread (progress, expiry, what a file was read as), kept with it
    so that a reload or a restart shows the same thread; plans by who decided them; the event
    streams' events (resumable across a restart)."""
    db["notices"].create(
        {"id": int, "thread_id": str, "level": str, "text": str, "created_at": str}, pk="id"
    )
    db["notices"].create_index(["thread_id", "id"])
    # an approver's thread list includes the threads whose plans they decided
    db["plans"].create_index(["decided_by", "thread_id"], index_name="plans_by_decider")
    # every event of a web thread as its event stream sent it, so a client can resume after a restart
    db["thread_events"].create({"id": int, "thread_id": str, "data": str}, pk="id")
    db["thread_events"].create_index(["thread_id", "id"], index_name="thread_events_by_thread")


def _live_work_ownership(db: sqlite_utils.Database) -> None:
    """v9: live work belongs to a process. `processes` holds each bot process's identity and
    heartbeat; running steps and plans, and messages whose turn is under way, name their `owner`;
    `turn_ended_at` says a message was answered (or its plan expired), so a turn a crash cut
    short can be found and resumed; `events.message_id` lets a retried delivery find its message;
    `children` records the process groups runbooks started, so they can be killed after a crash.
    Everything stored before this release counts as finished."""
    db["processes"].create(
        {"id": str, "host": str, "pid": int, "boot_id": str, "start_ticks": str, "started_at": str,
         "heartbeat_at": str, "stopped_at": str},
        pk="id",
    )
    db["processes"].create_index(["stopped_at", "heartbeat_at"])
    db["plans"].add_column("owner", str)
    db["steps"].add_column("owner", str)
    db["messages"].add_column("owner", str)
    db["messages"].add_column("turn_ended_at", str)
    db["events"].add_column("message_id", str)
    db.execute("UPDATE messages SET turn_ended_at = created_at")
    db.execute("CREATE INDEX messages_unfinished_turns ON messages (created_at) WHERE turn_ended_at IS NULL")
    db["children"].create(
        {"pgid": int, "process_id": str, "step_id": str, "host": str, "boot_id": str, "start_ticks": str,
         "started_at": str},
        pk=("host", "pgid"),
    )
    db["threads"].create_index(["updated_at"])
    db["events"].create_index(["received_at"])


def _leases(db: Any) -> None:
    """v10: named leases, so that something only one replica may do at a time (hold Discord's one
    gateway session per bot) has one holder, chosen through the database. `holder` is a process
    id from `processes`, without a foreign key: a lease whose holder stopped, went silent or was
    pruned is free. Plain SQL, the same on SQLite and PostgreSQL."""
    db.execute("CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, acquired_at TEXT NOT NULL, "
               "expires_at TEXT NOT NULL)")


def _replicas(db: Any) -> None:
    """v11: several replicas on one database. `counters` hands out the event streams' ids from the
    database (a per-process clock-seeded counter collided across replicas); its row is made by the
    first write, above every id kept so far, so a client's `Last-Event-ID` from before the
    upgrade still resumes (and `chatops migrate-storage` finds the new tables empty). A row of
    `thread_leases` says which process runs a turn of that thread now; it is free once that
    process stops or stops heartbeating (see `storage/thread_leases.py`)."""
    db.execute("CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)")
    db.execute("CREATE TABLE thread_leases (thread_id TEXT PRIMARY KEY, owner TEXT NOT NULL, taken_at TEXT NOT NULL)")


def _alerts_and_schedules(db: Any) -> None:
    """v12: the environment speaks. A row of `alert_groups` is one alert group of one sender
    (Alertmanager's or Grafana's `groupKey`) and the thread it lives in, with the alerts as last
    seen (JSON), so a repeat notification adds nothing and a resolution finds its thread. A row
    of `schedules` is a configured check's state: its thread, its last run and outcome, and when
    it runs next (the lease `schedule:<name>` says which replica runs it). `steps.files` lists the
    files a step made (a chart: name, mime_type, size, sha256; the bytes in the file store). Plain
    SQL, the same on SQLite and PostgreSQL."""
    db.execute("CREATE TABLE alert_groups (source TEXT NOT NULL, group_key TEXT NOT NULL, thread_id TEXT NOT NULL, "
               "status TEXT NOT NULL, alerts TEXT NOT NULL, fired_at TEXT, resolved_at TEXT, "
               "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (source, group_key))")
    db.execute("CREATE INDEX alert_groups_thread ON alert_groups (thread_id)")
    db.execute("CREATE TABLE schedules (name TEXT PRIMARY KEY, thread_id TEXT NOT NULL, last_run_at TEXT, "
               "last_outcome TEXT, changed_at TEXT, next_run_at TEXT)")
    db.execute("ALTER TABLE steps ADD COLUMN files TEXT")


def _step_tool_fingerprints(db: Any) -> None:
    """v13: the digest of the tool definition each step was proposed with, so an approval runs
    that definition or none, whatever reload happens in between, on every replica and after a
    restart (a bounded in-memory pin was evicted by a flood of plans). Older steps have none and
    run the current definition, as before."""
    db["steps"].add_column("tool_fingerprint", str)


def _shared_files(db: Any) -> None:
    """v14: attachment bytes as rows, for replicas on PostgreSQL that share no disk (see
    `storage/shared_files.py`); a SQLite database keeps using `files/` and leaves it empty."""
    blob = "BLOB" if _is_sqlite(db) else "BYTEA"
    db.execute(f"CREATE TABLE file_chunks (sha256 TEXT NOT NULL, seq INTEGER NOT NULL, data {blob} NOT NULL, "
               "kept_at TEXT NOT NULL, PRIMARY KEY (sha256, seq))")


def _one_operator_name(db: Any) -> None:
    """v15: the token-less local operator has one name, `operator` (issue 25): who decided a plan or
    a step, recorded as `local:operator`, is renamed, so the API's decided-by view finds the old
    decisions too. The audit log is append-only and keeps what it recorded; its `--user operator`
    filter already matches `local:operator` (storage/views.py). Plain SQL, the same on SQLite and
    PostgreSQL."""
    for table in ("plans", "steps"):
        db.execute(f"UPDATE {table} SET decided_by = 'operator' WHERE decided_by = 'local:operator'")


def _turn_claims(db: Any) -> None:
    """v16: each claim of a turn has its own token (`messages.turn_claim`), so that of two runs of
    one turn in the same process only the latest claim may propose a plan or answer (issue 22,
    twice2: a process's stale resumption proposed again after its own decision took the turn back).
    NULL is the claim of the process that received the message. Plain SQL, the same on SQLite and
    PostgreSQL."""
    db.execute("ALTER TABLE messages ADD COLUMN turn_claim TEXT")


def _server_functions(db: Any) -> None:
    """v17: on PostgreSQL, a fast-path turn's two write transactions and the reply's thread view as
    server-side functions, one statement each instead of nine, seven and six (issue 23,
    `storage/pg_functions.py`). SQLite runs the same operations in Python: nothing to do there."""
    if not _is_sqlite(db):
        pg_functions.create(db)


def _fewer_index_writes(db: Any) -> None:
    """v18: fewer index entries written per turn (issue 23: a `!command` turn dirtied ~54 pages of
    the write-ahead log, most of them index pages, one per index touched per commit). Every
    lookup keeps an index (`bench/results/issue23-fastpath-vs-errbot-4.txt` lists the query
    plans before and after):

    - `plans_by_decider` holds only decided plans (`decided_by IS NOT NULL`): its one query looks
      up `decided_by = ?`, which implies that, and a plan approved by the read-only policy (every
      `!command` turn) is decided by nobody, so it writes no entry;
    - `idx_steps_status` becomes `steps_running`, the running steps only: the orphan sweep is its
      one user (`status = 'running'`); the lookups of one plan's steps by status use
      (plan_id, position), which they should have used anyway;
    - the audit log keeps no index but its id: `chatops audit` reads it newest first by id (its
      filters are expressions of the joined plan and step, or `LIKE`, which no index served:
      `audit_by_thread` and `audit_by_kind` were never used), and `chatops prune --audit` reads
      the old rows in id order (`storage/retention.py`), so `idx_audit_at` goes too. A turn
      appends six audit rows, and each of those indexes had a page rewritten per commit;
    - on SQLite, `idx_threads_updated_at` and `idx_events_received_at` go: `chatops prune` was
      their only reader, and it now finds old threads through `threads_by_activity` per platform
      and old events by their rowid order (`storage/retention.py`). A turn changes a thread's
      `updated_at` twice, so the first was rewritten twice a turn. PostgreSQL keeps both (its
      rowid is no index and its planner has no use for the per-platform walk)."""
    for name in ("audit_by_thread", "audit_by_kind", "idx_audit_at"):
        db.execute(f"DROP INDEX IF EXISTS {name}")
    db.execute("DROP INDEX IF EXISTS plans_by_decider")
    db.execute("CREATE INDEX plans_by_decider ON plans (decided_by, thread_id) WHERE decided_by IS NOT NULL")
    db.execute("DROP INDEX IF EXISTS idx_steps_status")
    db.execute("CREATE INDEX steps_running ON steps (status) WHERE status = 'running'")
    if _is_sqlite(db):
        db.execute("DROP INDEX IF EXISTS idx_threads_updated_at")
        db.execute("DROP INDEX IF EXISTS idx_events_received_at")


def _finish_round_by_primary_key(db: Any) -> None:
    """v19: on PostgreSQL, `finish_round` v2, whose UPDATEs find the step, the plan and the message
    by primary key instead of walking every running step, running plan and unfinished turn
    (issue 23, `storage/pg_functions.py`). SQLite runs the operation in Python: nothing to do there."""
    if not _is_sqlite(db):
        pg_functions.create_v19(db)


MIGRATIONS: list[Callable[[Any], None]] = [
    _initial,
    _step_summaries_and_decision_source,
    _perception_cache,
    _platform_refs,
    _step_outcomes,
    _indexes_for_flat_cost,
    _step_provenance,
    _thread_notices,
    _live_work_ownership,
    _leases,
    _replicas,
    _alerts_and_schedules,
    _step_tool_fingerprints,
    _shared_files,
    _one_operator_name,
    _turn_claims,
    _server_functions,
    _fewer_index_writes,
    _finish_round_by_primary_key,
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: Any) -> int:
    if _is_sqlite(db):
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    return db.schema_version()


def _set_schema_version(db: Any, version: int) -> None:
    if _is_sqlite(db):
        db.execute(f"PRAGMA user_version = {version}")
    else:
        db.set_schema_version(version)


def migrate(db: Any, target: int = SCHEMA_VERSION) -> int:
    """Apply the missing migrations up to `target`; returns the version reached. A database from a
    newer release is refused rather than misread. On PostgreSQL the version is read again under
    an advisory lock, so replicas starting together apply each migration once."""
    if not _is_sqlite(db) and schema_version(db) < target:
        with db.atomic():
            db.lock_for_migration()
            _apply(db, schema_version(db), target)
        return schema_version(db)
    _apply(db, schema_version(db), target)
    return schema_version(db)


def _apply(db: Any, current: int, target: int) -> None:
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema version {current} is newer than this release understands ({SCHEMA_VERSION})"
        )
    for version in range(current, target):
        with contextlib.nullcontext() if not _is_sqlite(db) else db.atomic():
            MIGRATIONS[version](db)
            _set_schema_version(db, version + 1)
