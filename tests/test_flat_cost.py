"""Costs that must not grow with the database or with the number of threads ever seen.

Every statement the store runs during real turns (a read step, an approval, an expiry, the
listings) is traced off the live SQLite connection and explained: a full table scan fails the
test, so a lookup added later without its index is caught here, whoever adds it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from chatops.bot.model import Decision
from chatops.tools.builtin.http_check import _ssl_context
from tests.conftest import ScriptedModel, reply

pytestmark = pytest.mark.sqlite_only  # SQLite's own trace of every statement and its query plans

# Scans that stay cheap however big the table grows, each with the reason.
ALLOWED_SCANS = {
    # `ORDER BY id DESC LIMIT n` walks the rowid b-tree from its end and stops after n rows
    ("audit", "ORDER BY id DESC LIMIT"),
    ("a", "ORDER BY a.id DESC LIMIT"),  # the same walk, in `chatops audit`'s query (audit AS a)
    # the steps of one plan, read through the (plan_id, position) index into a small co-routine
    ("q", "FROM (SELECT tool, args FROM steps WHERE plan_id = "),
}
SCAN = re.compile(r"\bSCAN (\w+)(?! USING (?:COVERING )?INDEX)")


async def traced(store, work) -> list[str]:
    """Run `work` and return every statement the store's connection executed meanwhile."""
    statements: list[str] = []
    await store._dispatch(lambda: store.db.conn.set_trace_callback(statements.append))
    try:
        await work()
    finally:
        await store._dispatch(lambda: store.db.conn.set_trace_callback(None))
    return statements


def table_scans(store_db, statements: list[str]) -> list[tuple[str, str]]:
    found = []
    for sql in statements:
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if head not in ("SELECT", "UPDATE", "DELETE", "WITH") or "sqlite_" in sql:
            continue
        for row in store_db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall():
            match = SCAN.search(row[3])
            if match and not any(match.group(1) == table and clause in sql for table, clause in ALLOWED_SCANS):
                found.append((match.group(1), sql))
    return found


async def test_no_statement_on_the_turn_path_or_in_listings_scans_a_table(make_bot, alice):
    model = ScriptedModel([
        reply({"tool": "ping", "args": {"host": "db1"}}), reply(answer="db1 answers"),
        reply({"tool": "restart", "args": {"unit": "web"}}), reply(answer="restarted"),
        reply({"tool": "restart", "args": {"unit": "api"}}),
    ])
    bot = await make_bot(model.planner())
    store = bot.store

    async def work() -> None:
        await bot.say("is db1 up?", thread="a")
        await bot.say("restart web", thread="b")
        plan = bot.of_type("plan")[-1]
        await bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=alice, source="test"))
        await bot.say("restart api", thread="c")
        await bot.hub.expire_due()
        await bot.say("is db1 up?", thread="a", event_id="repeat")  # a duplicate delivery
        await bot.say("is db1 up?", thread="a", event_id="repeat")
        await store.pending_plans()
        await store.thread_plans("console:a")
        await store.list_threads(platform="console")
        await store.list_threads(platform="console", channel="", before="9999")
        await store.list_threads(platform="console", channel="alice", decided_by="console:bob")
        view = await store.thread_view("console:b", limit=1)
        await store.thread_view("console:b", before=view["messages"][0]["id"])
        await store.plan_view(plan.id)
        await store.audit_log(limit=20)

    statements = await traced(store, work)
    assert len(statements) > 30  # the trace really saw the turns
    assert any("FROM plans WHERE message_id" in s for s in statements)  # a reviewing planner's lookup
    scans = await store._dispatch(lambda: table_scans(store.db, statements))
    assert scans == []


def test_the_scan_detector_catches_an_unindexed_lookup(tmp_path: Path) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(tmp_path / "x.db")
    db["t"].insert({"a": 1, "b": 2})
    assert table_scans(db, ["SELECT a FROM t WHERE b = 2"]) == [("t", "SELECT a FROM t WHERE b = 2")]
    db["t"].create_index(["b"])
    assert table_scans(db, ["SELECT a FROM t WHERE b = 2"]) == []


async def test_thread_locks_are_forgotten_once_turns_end(make_bot):
    bot = await make_bot(None)
    await asyncio.gather(*(bot.say(f"!ping host=h{i}", thread=f"t{i}") for i in range(40)))
    assert len(bot.calls.of("ping")) == 40
    assert len(bot.hub.locks) == 0  # no lock kept for 40 threads nobody is using


async def test_thread_locks_still_serialise_turns_in_one_thread(make_bot):
    bot = await make_bot(None)
    order: list[str] = []

    async def hold_then(tag: str) -> None:
        async with bot.hub.locks.hold("same"):
            order.append(f"{tag}-in")
            await asyncio.sleep(0.01)
            order.append(f"{tag}-out")

    await asyncio.gather(hold_then("a"), hold_then("b"), hold_then("c"))
    assert order == ["a-in", "a-out", "b-in", "b-out", "c-in", "c-out"]
    assert len(bot.hub.locks) == 0


def test_the_tls_context_is_built_once_per_setting(tmp_path: Path) -> None:
    first = _ssl_context({})
    assert _ssl_context({}) is first
    unverified = _ssl_context({"verify_tls": False})
    assert unverified is not first and unverified.check_hostname is False
