"""Checks on a schedule (issue 21): a real health server the test flips, the real hub and
`http_check`, a real SQLite file. A schedule tells its thread only when the outcome changes,
carries its state across a restart, and two processes on one database run each run once."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chatops.bot.config import Config, ScheduleConfig
from chatops.bot.config_check import check_config
from chatops.bot.schedules import Scheduler, next_run, request_text, run_thread, visible_thread
from chatops.tools.builtin.http_check import http_check
from tests.http.served import run_config, serve
from tests.postgres_server import free_port


class Health:
    """`/health` answers 200 while `ok`, else 503; counts the checks it served."""

    def __init__(self) -> None:
        self.ok = True
        self.hits = 0
        health = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                health.hits += 1
                self.send_response(200 if health.ok else 503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_HEAD = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/health"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def health() -> Iterator[Health]:
    served = Health()
    yield served
    served.server.shutdown()
    served.server.server_close()


def schedules(url: str, **extra: Any) -> list[dict[str, Any]]:
    return [{"name": "web-health", "every": "1s", "tool": "http_check", "args": {"url": url}, **extra}]


async def told(bot) -> list[str]:
    """What the schedule's visible thread was told (its bot messages, oldest first)."""
    view = await bot.store.thread_view(visible_thread(bot.config.schedules[0]).id)
    return [m["text"] for m in (view or {}).get("messages", []) if m["role"] == "bot"]


async def runs(bot) -> int:
    view = await bot.store.thread_view(run_thread(bot.config.schedules[0]).id, limit=200)
    return sum(m["role"] == "user" for m in (view or {}).get("messages", []))


async def until(check, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("not within the time")
        await asyncio.sleep(0.1)


async def test_a_schedule_flips_twice_and_tells_exactly_twice(make_bot, health):
    bot = await make_bot(schedules=schedules(health.url))
    bot.hub.registry.add(http_check)
    scheduler = Scheduler(bot.hub)
    await scheduler.start()
    try:
        await until(lambda: _at_least(runs(bot), 2))
        assert await told(bot) == []  # ok from the start: nothing to say
        health.ok = False
        await until(lambda: _count(told(bot), 1))
        health.ok = True
        await until(lambda: _count(told(bot), 2))
        seen = await runs(bot)
        await until(lambda: _at_least(runs(bot), seen + 2))  # more runs, all ok: silent
    finally:
        await scheduler.stop()
    problem, recovered = await told(bot)
    assert problem.startswith("🔴 web-health: problem since 20") and "503" in problem
    assert recovered.startswith("🟢 web-health: ok again after ") and "200" in recovered
    state = (await bot.store.schedule_states())[0]
    assert state["last_outcome"] == "ok" and state["thread_id"] == visible_thread(bot.config.schedules[0]).id


async def _at_least(count, least: int) -> bool:
    return await count >= least


async def _count(texts, exactly: int) -> bool:
    found = await texts
    assert len(found) <= exactly, found
    return len(found) == exactly


async def test_a_schedule_carries_its_state_across_a_restart(make_bot, health):
    health.ok = False
    bot = await make_bot(schedules=schedules(health.url))
    bot.hub.registry.add(http_check)
    first = Scheduler(bot.hub)
    await first.start()
    await until(lambda: _count(told(bot), 1))  # a problem from the first run is news
    await first.stop()
    ran = await runs(bot)
    second = Scheduler(bot.hub)  # a restart: the same database, a new scheduler
    await second.start()
    try:
        await until(lambda: _at_least(runs(bot), ran + 2))
        assert len(await told(bot)) == 1  # still a problem: nothing new to say
    finally:
        await second.stop()


async def test_two_processes_on_one_database_run_each_run_once(make_bot, health):
    one = await make_bot(schedules=schedules(health.url))
    two = await make_bot(schedules=schedules(health.url))  # the same SQLite file, another process identity
    assert one.store.process_id != two.store.process_id
    for bot in (one, two):
        bot.hub.registry.add(http_check)
    schedulers = [Scheduler(one.hub), Scheduler(two.hub)]
    for scheduler in schedulers:
        await scheduler.start()
    try:
        await until(lambda: _at_least(runs(one), 4))
    finally:
        for scheduler in schedulers:
            await scheduler.stop()
    total = await runs(one)
    assert health.hits == total  # one check per run: never both processes on one run


def test_check_config_refuses_a_schedule_that_writes_and_knows_its_keys(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[[runbooks]]\nname = "restart_web"\ndescription = "Restart the web service"\nrisk = "write"\n'
                      'argv = ["true"]\n\n'
                      '[[schedules]]\nname = "nightly"\ncron = "0 3 * * *"\ntool = "restart_web"\n\n'
                      '[[schedules]]\nname = "probe"\nevery = "1m"\nrequest = "is https://example.org/health up?"\n'
                      'notfy = "always"\n\n'
                      '[[alerts.routes]]\nmatch = { severity = "critical" }\ndiagnose = "sometimes"\n\n'
                      '[tools.prometheus_query]\nurl = "prometheus:9090"\n')
    problems = check_config(config).problems
    assert any(p.startswith("tools.prometheus_query.url") for p in problems), problems
    assert any(p.startswith("schedules[nightly].tool: restart_web changes something (write)") for p in problems)
    assert any("notfy" in p and "notify" in p for p in problems), problems
    assert any(p.startswith("alerts.routes[0].diagnose") for p in problems), problems


def test_schedule_times_and_requests():
    every = ScheduleConfig(name="a", every="2m", tool="http_check", args={"url": "https://x.example/h q"})
    assert request_text(every) == "!http_check 'url=https://x.example/h q'"
    from datetime import UTC, datetime

    moment = datetime(2026, 12, 5, 8, 1, 30, tzinfo=UTC)
    assert next_run(every, moment) == datetime(2026, 12, 5, 8, 3, 30, tzinfo=UTC)
    cron = ScheduleConfig(name="b", cron="*/5 * * * *", request="is x up?")
    assert next_run(cron, moment) == datetime(2026, 12, 5, 8, 5, tzinfo=UTC)
    with pytest.raises(ValueError, match="exactly one of `every` and `cron`"):
        Config.model_validate({"schedules": [{"name": "c", "every": "1m", "cron": "* * * * *", "request": "x"}]})


def test_chatops_run_runs_its_schedules_and_lists_them(tmp_path, health):
    """The whole process: `chatops run` starts the scheduler; `GET /api/v1/schedules` shows each
    schedule's state (a cron schedule not yet due has its next run at 03:00 UTC), and a flip is
    told in the schedule's web thread."""
    port = free_port()
    config = run_config(tmp_path / "chatops.toml", database=tmp_path / "bot.db", listen=f"127.0.0.1:{port}", extra=f"""
        [[schedules]]
        name = "web-health"
        every = "1s"
        tool = "http_check"
        args = {{ url = "{health.url}" }}

        [[schedules]]
        name = "nightly"
        cron = "0 3 * * *"
        request = "!http_check {health.url}"
    """)
    with serve(config, port) as served:
        deadline = time.monotonic() + 30
        while True:
            status, body = served.call("GET", "/api/v1/schedules")
            assert status == 200
            rows = {row["name"]: row for row in body["schedules"]}
            if rows["web-health"]["last_outcome"] == "ok" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        health.ok = False
        while True:
            status, view = served.call("GET", f"/api/v1/threads/{rows['web-health']['thread_id']}")
            if (status == 200 and view["messages"]) or time.monotonic() > deadline + 30:
                break
            time.sleep(0.2)
    assert rows["web-health"]["every"] == "1s" and rows["web-health"]["cron"] is None
    assert rows["web-health"]["last_run_at"] and rows["web-health"]["next_run_at"] > rows["web-health"]["last_run_at"]
    assert rows["nightly"]["cron"] == "0 3 * * *" and rows["nightly"]["last_run_at"] is None
    assert rows["nightly"]["next_run_at"].endswith("03:00:00Z") or "T03:00:00" in rows["nightly"]["next_run_at"]
    assert view["messages"][0]["text"].startswith("🔴 web-health: problem since")


async def test_a_request_in_plain_words_is_planned_and_one_that_plans_nothing_keeps_no_outcome(make_bot, health):
    from pydantic_ai.models.function import FunctionModel

    from chatops.bot.agent.guided import GuidedPlanner
    from chatops.bot.schedules import schedule_rows
    from tests.alerts.test_webhooks import no_model

    bot = await make_bot(GuidedPlanner(FunctionModel(no_model)), schedules=[
        {"name": "words", "every": "1s", "request": f"is {health.url} up?"},
        {"name": "nothing", "every": "1s", "request": "!no_such_tool"}])
    bot.hub.registry.add(http_check)
    scheduler = Scheduler(bot.hub)
    await scheduler.start()
    try:
        async def both_ran() -> bool:
            rows = {row["name"]: row for row in await schedule_rows(bot.config.schedules, bot.store)}
            return rows["words"]["last_outcome"] == "ok" and rows["nothing"]["last_run_at"] is not None

        await until(both_ran)
    finally:
        await scheduler.stop()
    rows = {row["name"]: row for row in await schedule_rows(bot.config.schedules, bot.store)}
    assert rows["nothing"]["last_outcome"] is None
    words = await bot.store.thread_plans(run_thread(bot.config.schedules[0]).id, limit=1)
    assert [(s.tool, s.args) for s in words[0].steps] == [("http_check", {"url": health.url})]
