"""A fast-path turn's two write transactions as PostgreSQL functions (issue 23): one statement
each, and the same rows, audit log and answers as the Python operations on SQLite, in every case
their checks decide (a busy thread, a repeated delivery, a late result, a turn taken over, the
next round)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chatops.bot.model import Inbound, Plan, Risk, Step, StepResult, ThreadRef, UserRef
from chatops.storage import Store
from chatops.storage.store import RoundAnswer
from tests.postgres_server import shared_server

USER = UserRef(platform="web", id="u1", name="alice")
TABLES = {
    "threads": "id, platform, channel, external_id, title",
    "events": "platform, event_id, message_id",
    "messages": "id, thread_id, role, platform, user_id, user_name, text, perceived_text, attachments, owner, "
                "turn_ended_at IS NULL, turn_claim",
    "plans": "id, thread_id, message_id, round, goal, status, requester, expires_at > created_at, decided_at, "
             "decided_by, owner",
    "steps": "id, plan_id, position, tool, args, reason, risk, status, result, error, decided_by, "
             "started_at IS NULL, finished_at IS NULL, duration_ms, summary, outcome, provenance, tainted, owner, "
             "tool_fingerprint",
    "thread_leases": "thread_id, owner",
}
IDS = re.compile(r"\b(?:m|p|s|proc)-(?:[0-9a-f]{8})?[0-9a-f]{12}\b")  # time-ordered since v18


def thread(name: str) -> ThreadRef:
    return ThreadRef(platform="web", channel="owner-1", thread=name)


def inbound(name: str, event: str, text: str = "!ping host=db1") -> Inbound:
    return Inbound(event_id=event, thread=thread(name), user=USER, text=text)


def plan_for(name: str, *, risk: Risk = Risk.read) -> Plan:
    return Plan(thread_id=thread(name).id, goal="ping db1", requester=USER,
                steps=[Step(tool="ping", args={"host": "db1"}, reason="asked", risk=risk, fingerprint="f1"),
                       Step(tool="dns_lookup", args={"name": "db1"}, risk=risk, provenance="typed")])


async def _scenario(first: Store, second: Store) -> list[Any]:
    """Every case the functions decide, on `first` (the process under test; `second` is another
    live process on the same database). Returns what the store answered, in order."""
    said: list[Any] = []
    # a read-only command: stored with its plan running and its first step started, then answered
    message_id, plan, running = await first.receive_planned(inbound("a", "e1"), plan_for("a"), ttl_seconds=60,
                                                           start_first_step=True, take_lease=True)
    said.append((plan.status.value, [s.status.value for s in plan.steps], running == plan.steps[0].id))
    end = await first.finish_round(running, StepResult(ok=True, result={"rtt": 1.5}, summary="up", duration_ms=3.21,
                                                       outcome="ok"), plan.id,
                                   answer=RoundAnswer(thread=thread("a"), text="db1 is up", ends_turn_of=message_id,
                                                      claim=""), release_lease=True)
    said.append((end.step_won, end.plan_status and end.plan_status.value, end.answer_id is not None,
                 end.next_round_held))
    # the same delivery again: nothing stored
    said.append(await first.receive_planned(inbound("a", "e1"), plan_for("a"), ttl_seconds=60,
                                            start_first_step=True, take_lease=True))
    # a thread whose lease another live process holds: nothing stored
    assert await second.take_thread_lease(thread("b").id)
    busy = await first.receive_planned(inbound("b", "e2"), plan_for("b"), ttl_seconds=60, start_first_step=True,
                                       take_lease=True)
    said.append(repr(busy[0]))
    # a plan that waits for a decision: proposed, nothing started
    _, waiting, none = await first.receive_planned(inbound("c", "e3"), plan_for("c", risk=Risk.write),
                                                   ttl_seconds=60, start_first_step=True, take_lease=False)
    said.append((waiting.status.value, [s.status.value for s in waiting.steps], none))
    # a step that another process marked interrupted meanwhile: a late result, the plan fails, no answer
    message_id, plan, running = await first.receive_planned(inbound("d", "e4"), plan_for("d"), ttl_seconds=60,
                                                           start_first_step=True, take_lease=True)
    await first._dispatch(lambda: first.db.execute("UPDATE steps SET status = 'interrupted' WHERE id = ?",
                                                   [running]), kind="write")
    end = await first.finish_round(running, StepResult(ok=True, summary="late"), plan.id,
                                   answer=RoundAnswer(thread=thread("d"), text="late", ends_turn_of=message_id,
                                                      claim=""), release_lease=True)
    said.append((end.step_won, end.plan_status and end.plan_status.value, end.answer_id, end.next_round_held))
    # a turn whose claim moved on (another run took it): the answer is dropped, the step still ends
    message_id, plan, running = await first.receive_planned(inbound("e", "e5"), plan_for("e"), ttl_seconds=60,
                                                           start_first_step=True, take_lease=True)
    end = await first.finish_round(running, StepResult(ok=False, error="boom", summary="failed"), plan.id,
                                   answer=RoundAnswer(thread=thread("e"), text="no", ends_turn_of=message_id,
                                                      claim="another-run"), release_lease=True)
    said.append((end.step_won, end.plan_status and end.plan_status.value, end.answer_id, end.next_round_held))
    # no answer: may the run plan round 2 (yes) or round 1 again (no: it has a plan)?
    for round_number in (2, 1):
        message_id, plan, running = await first.receive_planned(
            inbound(f"f{round_number}", f"e6{round_number}"), plan_for(f"f{round_number}"), ttl_seconds=60,
            start_first_step=True, take_lease=False)
        end = await first.finish_round(running, StepResult(ok=True), plan.id, answer=None,
                                       next_round=(message_id, "", round_number))
        said.append((end.step_won, end.plan_status and end.plan_status.value, end.answer_id, end.next_round_held))
    return said


async def _snapshot(store: Store, names: dict[str, str]) -> dict[str, Any]:
    def read() -> dict[str, Any]:
        found = {table: [list(row) for row in store.db.execute(
            f"SELECT {columns} FROM {table} ORDER BY {'thread_id' if table == 'thread_leases' else 'rowid'}"
        ).fetchall()] for table, columns in TABLES.items()}
        found["audit"] = [list(row) for row in store.db.execute(
            "SELECT kind, actor, thread_id, plan_id, step_id, detail FROM audit ORDER BY id").fetchall()]
        return found

    raw = repr(await store._dispatch(read, kind="read"))

    def name(match: re.Match[str]) -> str:
        return names.setdefault(match.group(0), f"{match.group(0)[0]}{len(names)}")

    return eval(IDS.sub(lambda m: repr(name(m))[1:-1], raw))


async def _run(tmp_path: Any, url: str | None) -> tuple[list[Any], dict[str, Any]]:
    first = await Store.open(tmp_path / "chatops.db", url=url, thread_leases=True)
    second = await Store.open(tmp_path / "chatops.db", url=url, thread_leases=True)
    try:
        await first.register_process()
        await second.register_process()
        said = await _scenario(first, second)
        names = {first.identity.id: "P1", second.identity.id: "P2"}  # type: ignore[union-attr]
        said = eval(IDS.sub(lambda m: names.setdefault(m.group(0), f"x{len(names)}"), repr(said)))
        return said, await _snapshot(first, names)
    finally:
        await first.close()
        await second.close()


async def test_the_functions_store_what_the_python_operations_store(tmp_path: Any) -> None:
    (tmp_path / "sqlite").mkdir()
    (tmp_path / "pg").mkdir()
    on_sqlite = await _run(tmp_path / "sqlite", None)
    on_postgres = await _run(tmp_path / "pg", shared_server().create_database())
    assert on_postgres[0] == on_sqlite[0]
    for table in [*TABLES, "audit"]:
        assert on_postgres[1][table] == on_sqlite[1][table], table
    kinds = [row[0] for row in on_sqlite[1]["audit"]]
    assert {"step.late_result", "answer.dropped", "plan.failed", "plan.succeeded"} <= set(kinds)


def _count_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement a PostgreSQL store sends from now on: through psycopg (`BEGIN` and
    `COMMIT` included) and through libpq itself (`PgDatabase.call_whole`)."""
    import psycopg

    from chatops.storage.postgres import PgDatabase

    sent: list[str] = []
    execute, call_whole = psycopg.Connection.execute, PgDatabase.call_whole

    def counted(self: psycopg.Connection[Any], query: Any, params: Any = None, **kwargs: Any) -> Any:
        sent.append(str(query))
        return execute(self, query, params, **kwargs)

    def counted_call(self: PgDatabase, name: str, sql: str, params: Any) -> Any:
        sent.append(sql)
        return call_whole(self, name, sql, params)

    monkeypatch.setattr(psycopg.Connection, "execute", counted)
    monkeypatch.setattr(PgDatabase, "call_whole", counted_call)
    return sent


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_each_write_transaction_of_a_command_turn_is_one_statement(open_store: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted where statements leave: alone in its transaction, each is the one statement sent
    (no `BEGIN`, no `COMMIT` through psycopg), as is the reply's view."""
    store: Store = await open_store(thread_leases=True)
    await store.register_process()
    sent = _count_statements(monkeypatch)
    message_id, plan, running = await store.receive_planned(inbound("a", "e1"), plan_for("a"), ttl_seconds=60,
                                                           start_first_step=True, take_lease=True)
    assert len(sent) == 1 and "chatops_receive_planned" in sent[0]
    sent.clear()
    end = await store.finish_round(running, StepResult(ok=True, summary="up"), plan.id,
                                   answer=RoundAnswer(thread=thread("a"), text="up", ends_turn_of=message_id, claim=""),
                                   release_lease=True)
    assert end.answer_id is not None
    assert len(sent) == 1 and "chatops_finish_round" in sent[0]
    sent.clear()
    view = await store.thread_view(thread("a").id, limit=1)
    assert view is not None and [m["text"] for m in view["messages"]] == ["up"]
    assert len(sent) == 1 and "chatops_thread_view" in sent[0]


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_the_view_function_reads_what_the_python_view_reads(open_store: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from chatops.storage import alert_groups, views
    from chatops.storage.operations import ts

    store: Store = await open_store()
    for k in range(5):  # user messages with plans and steps, answers, notices between them
        message_id, plan, running = await store.receive_planned(inbound("a", f"e{k}"), plan_for("a"), ttl_seconds=60,
                                                               start_first_step=True, take_lease=False)
        await store.record_notice(thread("a"), f"notice {k}")
        await store.finish_round(running, StepResult(ok=k != 2, result={"k": k}, summary="up", error=None,
                                                     duration_ms=3.0 + k / 3), plan.id,
                                 answer=RoundAnswer(thread=thread("a"), text=f"answer {k}", ends_turn_of=message_id,
                                                    claim=""))
    await store.receive_planned(inbound("a", "e9"), plan_for("a", risk=Risk.write), ttl_seconds=60,
                                start_first_step=True, take_lease=False)  # a plan that waits, steps not run
    for name in ("b", "c"):
        await store.record_inbound(inbound(name, f"e-{name}", text="disk full on db1"))

    def alerts() -> None:  # b was opened for an alert group; c is another surface's thread of it
        alert_groups.save(store.db, source="alertmanager", group_key="g1", thread_id=thread("b").id,
                          status="firing", alerts=[{"labels": {"alertname": "DiskFull"}}], fired_at=ts(),
                          resolved_at=None, now=ts())
        store.db.execute("INSERT INTO platform_refs (platform, kind, key, ref, updated_at) VALUES (?, ?, ?, ?, ?)",
                         ["alert", "group_of_thread", thread("c").id,
                          '{"source": "alertmanager", "group_key": "g1"}', ts()])

    await store._dispatch(alerts, kind="write")

    def in_python(thread_id: str, limit: int, with_alert: bool) -> Any:
        view = views.thread_view(store.db, thread_id, limit=limit)
        if with_alert and view is not None:
            view["alert"] = alert_groups.of_thread(store.db, thread_id)
        return view

    compared = 0
    for thread_id in (thread("a").id, thread("b").id, thread("c").id, "web:owner-1:nothing"):
        for limit in (0, 1, 2, 3, 50):
            for with_alert in (False, True):
                expected = await store._dispatch(in_python, thread_id, limit, with_alert, kind="read")
                with monkeypatch.context() as counting:
                    sent = _count_statements(counting)
                    got = await store.thread_view(thread_id, limit=limit, with_alert=with_alert)
                assert got == expected, (thread_id, limit, with_alert)
                assert len(sent) == 1 or (thread_id == thread("c").id and with_alert)  # a link reads its group
                compared += 1
    full = await store.thread_view(thread("a").id, limit=50, with_alert=True)
    assert len(full["plans"]) == 6 and isinstance(full["plans"][0]["steps"][0]["duration_ms"], float)
    assert len(full["notices"]) == 5 and full["alert"] is None and compared == 40
    assert (await store.thread_view(thread("b").id, with_alert=True))["alert"]["group_key"] == "g1"
    assert (await store.thread_view(thread("c").id, with_alert=True))["alert"]["group_key"] == "g1"


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_call_through_libpq_fails_as_psycopg_would(open_store: Any) -> None:
    """`PgDatabase.call_whole` bypasses psycopg's cursors: its errors are still psycopg's classes
    (so a deadlock is retried and a bug is a bug), and a connection the server ended is the
    storage unreachable, after which the next call, on a new connection, works."""
    import psycopg

    from chatops.bot.faults import StorageUnavailable

    store: Store = await open_store()

    def divide(by: str) -> Any:
        return store.db.call_whole("test_divide", "SELECT 10 / $1::int", [by])

    with pytest.raises(psycopg.errors.DivisionByZero):
        await store._dispatch(divide, "0", kind="write")
    assert await store._dispatch(divide, "5", kind="write") == "2"  # prepared once, then reused

    def cut_off() -> Any:
        with psycopg.connect(store.url, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [store.db.raw.pgconn.backend_pid])
        return store.db.call_whole("test_one", "SELECT 1", [])

    with pytest.raises(StorageUnavailable):
        await store._dispatch(cut_off, kind="write")
    assert await store._dispatch(divide, "2", kind="write") == "5"


def test_finish_round_finds_its_rows_by_primary_key_among_many_running() -> None:
    """v2 (migration 19): the step's, the plan's and the turn's UPDATEs go by primary key, not
    through `steps_running`, `idx_plans_status_expires_at` or `messages_unfinished_turns` (v1 walked
    every running step, running plan and unfinished turn per call: ~100 each at 100 clients).
    Read from auto_explain's plans of the nested statements, past plpgsql's five custom plans."""
    import json

    import psycopg

    from chatops.storage.migrations import migrate
    from chatops.storage.pg_functions import FINISH_ROUND
    from chatops.storage.postgres import PgDatabase

    url = shared_server().create_database()
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(PgDatabase(conn))
        conn.execute("INSERT INTO threads (id, platform, channel, external_id, title, created_at, updated_at) "
                     "VALUES ('t', 'web', 'c', 't', '', '2026', '2026')")
        conn.execute("INSERT INTO messages (id, thread_id, role, platform, text, created_at, owner) "
                     "SELECT 'm' || g, 't', 'user', 'web', 'x', '2026-' || g, 'proc' FROM generate_series(1, 400) g")
        conn.execute("INSERT INTO plans (id, thread_id, message_id, round, goal, status, created_at, expires_at, "
                     "owner) SELECT 'p' || g, 't', 'm' || g, 1, 'g', 'running', '2026', '2027', 'proc' "
                     "FROM generate_series(1, 400) g")
        conn.execute("INSERT INTO steps (id, plan_id, position, tool, status, owner) "
                     "SELECT 's' || g, 'p' || g, 0, 'ping', 'running', 'proc' FROM generate_series(1, 400) g")
        # statistics taken when nothing ran (a fresh database, or one between bursts), as the
        # planner saw them in the bench; then 400 turns under way at once
        for table in ("messages", "plans", "steps"):
            conn.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
        conn.execute("UPDATE steps SET status = 'succeeded'")
        conn.execute("UPDATE plans SET status = 'succeeded'")
        conn.execute("UPDATE messages SET turn_ended_at = '2026'")
        conn.execute("VACUUM ANALYZE messages, plans, steps")
        conn.execute("UPDATE steps SET status = 'running'")
        conn.execute("UPDATE plans SET status = 'running'")
        conn.execute("UPDATE messages SET turn_ended_at = NULL")
        plans: list[str] = []
        conn.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
        conn.execute("LOAD 'auto_explain'")
        for setting, value in (("log_min_duration", "0"), ("log_nested_statements", "on"),
                               ("log_level", "notice")):
            conn.execute(f"SET auto_explain.{setting} = {value}")
        for k in range(1, 8):
            payload = {"step": {"id": f"s{k}", "status": "succeeded", "result": "{}", "error": None, "summary": "up",
                                "finished_at": "2026", "duration_ms": 1.0, "outcome": "ok", "owner": "proc",
                                "won_kind": "step.succeeded", "detail": "{}", "at": "2026"},
                       "plan": {"id": f"p{k}", "ok": True, "at": "2026"},
                       "answer": {"thread_id": "t", "platform": "web", "channel": "c", "external_id": "t",
                                  "id": f"a{k}", "text": "up", "now": "2026", "message_id": f"m{k}", "owner": "proc",
                                  "claim": None, "release": True, "dropped_detail": "{}"},
                       "next_round": None}
            plans.clear()
            conn.execute("BEGIN")
            result = conn.execute(f"SELECT {FINISH_ROUND}(%s::jsonb)", [json.dumps(payload)]).fetchone()
            conn.execute("ROLLBACK")
            assert result is not None and result[0]["answer_stored"] is True
    updates = {table: next(p for p in plans if f"Update on {table}" in p) for table in ("steps", "plans", "messages")}
    for table, plan in updates.items():
        assert f"Index Scan using {table}_pkey" in plan, plan
