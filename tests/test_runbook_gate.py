"""A runbook's program runs only once its process group is recorded (issue 22, the chaos soak's
`orphan_processes`).

The bot records each runbook's process group in the database so that the next start kills what a
crashed bot left. Under load that write waits for the database's write lock, longer than a script
needs to start a helper; a bot SIGKILLed in that window left a helper in a group nobody had
recorded, alive after every bot was gone. Here the window is made certain rather than hoped for:
the test holds the SQLite write lock (as another busy process would), so the record cannot land,
while a real process (`DRIVER`: the real store and the real `run_runbook`) starts the runbook; it is
then SIGKILLed, and a store opened next on the same file does what the next bot's start does.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from chatops.bot.config import RunbookConfig
from chatops.bot.faults import StorageUnavailable
from chatops.bot.lifecycle import _kill_groups
from chatops.bot.model import ThreadRef, UserRef
from chatops.storage.store import Store
from chatops.tools.context import ToolContext
from chatops.tools.process_groups import program_problem
from chatops.tools.runbooks import RunbookError, runbook_tool
from tests.crashing import processes_with
from tests.test_runbooks import make_ctx

REPO = Path(__file__).resolve().parent.parent

# the bot, reduced to what matters: a real store (its own connection and process identity) and the
# real runbook runner, which reports the group to the store as a turn's step does
DRIVER = """
import asyncio, sys
from chatops.bot.config import RunbookConfig
from chatops.bot.faults import StorageUnavailable
from chatops.bot.model import ThreadRef, UserRef
from chatops.storage.store import Store
from chatops.tools.context import ToolContext
from chatops.tools.runbooks import run_runbook

async def main(path, argv):
    store = await Store.open(path)
    await store.register_process()
    print("registered", flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # the test takes the write lock meanwhile

    async def child_started(pgid, ticks):
        print("started", pgid, flush=True)
        await store.record_child("step-1", pgid, ticks)
        print("recorded", pgid, flush=True)

    ctx = ToolContext(requester=UserRef(platform="console", id="t"), thread=ThreadRef(platform="console", thread="t"),
                      child_started=child_started, child_ended=store.forget_child)
    runbook = RunbookConfig.model_validate({"name": "spawner", "description": "starts a helper", "argv": argv,
                                            "timeout": 120})
    await run_runbook(runbook, argv, ctx)

asyncio.run(main(sys.argv[1], sys.argv[2:]))
"""

# the runbook: notes that it ran, starts a helper in its own process group (no parent-death signal
# of its own), and works for a minute
SCRIPT = ("import pathlib, subprocess, sys, time; pathlib.Path(sys.argv[2]).write_text('ran'); "
          "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)', sys.argv[1] + '-helper']); "
          "time.sleep(60)")


def _line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    return process.stdout.readline().strip()


async def test_a_bot_killed_before_the_group_is_recorded_leaves_no_process_behind(tmp_path: Path) -> None:
    token, ran = f"chatops-gate-{secrets.token_hex(6)}", tmp_path / "ran"
    database = tmp_path / "bot.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    bot = subprocess.Popen([sys.executable, "-c", DRIVER, str(database), sys.executable, "-c", SCRIPT, token,
                            str(ran)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    lock = None
    try:
        assert await asyncio.to_thread(_line, bot) == "registered"
        lock = sqlite3.connect(database, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # another process's long write: the group's record must wait
        assert bot.stdin is not None
        bot.stdin.write("go\n")
        bot.stdin.flush()
        assert (await asyncio.to_thread(_line, bot)).startswith("started")
        await asyncio.sleep(2.0)  # long enough for the script to start its helper, had it been let go
        bot.kill()  # SIGKILL while the record waits: it never lands
        bot.wait(timeout=30)
        lock.rollback()
        # the next start: takes over what the dead process left and kills the groups it recorded
        store = await Store.open(database)
        try:
            await store.register_process()
            await _kill_groups((await store.take_over_orphans()).children)
        finally:
            await store.close()
        await asyncio.sleep(1.0)
        left = [_cmdline(pid) for pid in processes_with(token)]
        assert left == [], f"left behind by the killed bot, unrecorded: {left}"
        assert not ran.exists(), "the runbook ran before its process group was recorded"
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait(timeout=30)
        if lock is not None:
            lock.close()
        for pid in processes_with(token):  # a failure here must not leave the orphan it found
            os.kill(pid, signal.SIGKILL)


async def test_once_recorded_the_program_runs_with_its_arguments_and_no_input(tmp_path: Path) -> None:
    """The gate passes the program its arguments untouched (never parsed by the shell), in the
    same process (the recorded group's leader), after the record, with stdin at end of file."""
    marker = tmp_path / "recorded"

    async def child_started(pgid: int, _ticks: str) -> None:
        await asyncio.sleep(0.3)  # a slow record: the program must wait for it
        marker.write_text(str(pgid))

    script = ("import json, os, sys; print(json.dumps(dict(args=sys.argv[1:], pid=os.getpid(), "
              "group=os.getpgid(0), stdin=sys.stdin.read(), recorded=open(sys.argv[1]).read())))")
    spec = runbook_tool(RunbookConfig.model_validate({
        "name": "probe", "description": "test runbook",
        "argv": [sys.executable, "-c", script, str(marker), "$(id)", "*", "a b", "-n"]}))
    ctx = ToolContext(requester=UserRef(platform="console", id="t"), thread=ThreadRef(platform="console", thread="t"),
                      child_started=child_started)
    said = json.loads((await spec.run(ctx, spec.validate({}))).stdout)
    assert said["args"] == [str(marker), "$(id)", "*", "a b", "-n"]
    assert said["pid"] == said["group"] and said["recorded"] == str(said["pid"])
    assert said["stdin"] == ""


@pytest.mark.parametrize(("contents", "mode", "words"), [
    (None, 0o755, "not found"),
    ("#!/bin/sh\necho hi\n", 0o644, "Permission denied"),
    ("echo hi\n", 0o755, "Exec format error"),
    ("#!/nonexistent/interpreter\necho hi\n", 0o755, "not found"),
])
async def test_a_program_that_cannot_run_is_refused_before_anything_starts(
        tmp_path: Path, contents: str | None, mode: int, words: str) -> None:
    program = tmp_path / "tool"
    if contents is not None:
        program.write_text(contents)
        program.chmod(mode)
    spec = runbook_tool(RunbookConfig.model_validate({"name": "probe", "description": "test runbook",
                                                      "argv": [str(program)]}))
    with pytest.raises(RunbookError, match=words):
        await spec.run(make_ctx(), spec.validate({}))
    assert program_problem(str(program), {"PATH": os.defpath}, None) is not None
    assert program_problem("sh", {"PATH": os.environ["PATH"]}, None) is None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""



async def test_a_group_that_cannot_be_recorded_never_runs_its_program(tmp_path: Path) -> None:
    """A group nobody recorded is nobody's to kill after a crash: the step fails and nothing ran."""
    ran = tmp_path / "ran"

    async def database_down(_pgid: int, _ticks: str) -> None:
        raise StorageUnavailable("the database cannot be written (disk I/O error)")

    spec = runbook_tool(RunbookConfig.model_validate({
        "name": "probe", "description": "test runbook",
        "argv": [sys.executable, "-c", "import pathlib, sys; pathlib.Path(sys.argv[1]).write_text('ran')", str(ran)]}))
    ctx = ToolContext(requester=UserRef(platform="console", id="t"), thread=ThreadRef(platform="console", thread="t"),
                      child_started=database_down)
    with pytest.raises(RunbookError, match=r"not started, nothing ran: its process could not be recorded \(the "
                                           r"database cannot be written"):
        await spec.run(ctx, spec.validate({}))
    await asyncio.sleep(0.5)
    assert not ran.exists()
