"""Honest outcomes: a check that ran and found the target down is a *problem* (a finding), not a
green success and not a failure of the tool. Real tools against a real closed port and a real
HTTP server on 127.0.0.1, through the hub and a real SQLite file."""

from __future__ import annotations

import socket
from pathlib import Path

from chatops.bot.hub import Hub
from chatops.bot.model import Inbound, StepResult, StepStatus, ThreadRef, UserRef
from chatops.storage import Store
from chatops.tools.builtin import BUILTIN_TOOLS
from chatops.tools.registry import ToolRegistry, problem_of
from tests.conftest import make_config


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def run_command(tmp_path: Path, text: str) -> tuple[list, Store]:
    config = make_config(tmp_path)
    store = await Store.open(config.storage.path)
    hub = Hub(config=config, store=store, registry=ToolRegistry(BUILTIN_TOOLS), planner=None, sweep_interval=3600)
    events: list = []

    async def collect(thread: ThreadRef, event) -> None:
        events.append(event)

    hub.add_sink(collect)
    await hub.start()
    await hub.handle(Inbound(event_id=text, thread=ThreadRef(platform="console", thread="t"),
                             user=UserRef(platform="console", id="alice"), text=text))
    await hub.stop()
    return events, store


async def test_a_refused_connection_is_a_problem_not_a_success(tmp_path: Path) -> None:
    port = closed_port()
    events, store = await run_command(tmp_path, f"!http_check url=http://127.0.0.1:{port}/health")
    try:
        finished = [e for e in events if e.type == "step" and e.status is not StepStatus.running]
        assert len(finished) == 1
        step = finished[0]
        # the tool did its job (it ran), and what it found is a problem
        assert step.status is StepStatus.succeeded and step.outcome == "problem"
        assert step.summary == f"127.0.0.1:{port}/health refuses connections"
        answer = next(e for e in events if e.type == "answer").text
        # the finding first, in plain words, then the evidence
        assert answer.startswith(f"Found a problem: 127.0.0.1:{port}/health refuses connections: nothing listens on ")
        assert f"⚠ http_check: 127.0.0.1:{port}/health refuses connections" in answer and "✓" not in answer
        assert answer.index("Evidence:") < answer.index("Next:")
        stored = await store.get_plan(step.plan_id)
        assert stored.steps[0].outcome == "problem"  # kept across a restart (a real column)
    finally:
        await store.close()


async def test_a_healthy_check_is_ok(tmp_path: Path, http_server: str) -> None:
    events, store = await run_command(tmp_path, f"!http_check url={http_server}/health")
    try:
        step = next(e for e in events if e.type == "step" and e.status is StepStatus.succeeded)
        assert step.outcome == "ok"
        answer = next(e for e in events if e.type == "answer").text
        assert answer.startswith(f"Done:\n✓ http_check: {http_server.split('://')[1]}/health answers 200 in ")
    finally:
        await store.close()


async def test_a_server_error_and_a_closed_port_are_problems(tmp_path: Path, http_server: str) -> None:
    port = closed_port()
    events, store = await run_command(tmp_path, f"!http_check url={http_server}/broken")
    await store.close()
    step = next(e for e in events if e.type == "step" and e.status is StepStatus.succeeded)
    assert step.outcome == "problem" and "answers 500 Internal Server Error" in step.summary

    events, store = await run_command(tmp_path, f"!tcp_check host=127.0.0.1 port={port}")
    await store.close()
    step = next(e for e in events if e.type == "step" and e.status is StepStatus.succeeded)
    assert step.outcome == "problem" and step.summary == f"127.0.0.1:{port} refuses connections"


def test_problem_of_reads_models_and_dicts() -> None:
    assert problem_of({"problem": "disk 95% full"}) == "disk 95% full"
    assert problem_of({"status": "fine"}) is None
    assert problem_of("plain text") is None
    assert StepResult(ok=True).outcome is None  # not decided until the executor ran the tool
