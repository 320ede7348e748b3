"""Two real `chatops run` replicas on one database, each serving HTTP on its own loopback port.

The database is a SQLite file both processes open (`thread_leases` on), or one PostgreSQL
database (see `conftest.py`). Runbooks that really run record every run in `runs.log` (what ran, which
bot process ran it, when it started and ended), so a step run twice, run by the wrong replica,
or run beside another turn of its thread shows there.
"""

from __future__ import annotations

import contextlib
import sys
import textwrap
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.crashing import Bot, start
from tests.http.served import free_port
from tests.polling import eventually
from tests.sse import read_sse

LEASE_SECONDS = 2

# argv[1] the run log, argv[2] what this run is; logs "start <what> <bot pid> <time>", and "end …"
RUN = ("import os, sys, time; log = open(sys.argv[1], 'a', buffering=1); "
       "line = lambda phase: ' '.join([phase, sys.argv[2], str(os.getppid()), repr(time.time())]) + chr(10); "
       "log.write(line('start')); time.sleep(float(sys.argv[3])); log.write(line('end')); "
       "print('done', sys.argv[2])")

RUNBOOKS = """
    [[runbooks]]
    name = "mark"
    description = "Change a unit (needs an approval)"
    argv = ["{python}", "-c", "{script}", "{log}", "{{unit}}", "0"]
    risk = "write"
    timeout = 30
    [runbooks.params.unit]
    type = "string"
    pattern = "^u[0-9]+$"

    [[runbooks]]
    name = "check"
    description = "Check a unit for a while (read-only: runs at once)"
    argv = ["{python}", "-c", "{script}", "{log}", "{{unit}}", "{{seconds}}"]
    risk = "read"
    timeout = 900
    [runbooks.params.unit]
    type = "string"
    pattern = "^u[0-9]+$"
    [runbooks.params.seconds]
    type = "string"
    pattern = "^[0-9.]+$"
"""


@dataclass
class Run:
    """One line of the run log."""

    phase: str  # "start" or "end"
    what: str
    bot_pid: int
    at: float


@dataclass
class Replicas:
    a: Bot
    b: Bot
    folder: Path

    def runs(self) -> list[Run]:
        log = self.folder / "runs.log"
        if not log.exists():
            return []
        lines = [line.split() for line in log.read_text().splitlines() if line]
        return [Run(phase, what, int(pid), float(at)) for phase, what, pid, at in lines]

    def started(self) -> list[Run]:
        return [run for run in self.runs() if run.phase == "start"]


def sqlite_database(folder: Path) -> str:
    """The `[storage]` lines of two processes sharing one SQLite file."""
    return f'path = "{folder / "bot.db"}"\nthread_leases = true\n'


def write_config(folder: Path, name: str, storage: str, port: int) -> Path:
    (folder / name).mkdir(parents=True, exist_ok=True)
    config = folder / name / "chatops.toml"
    runbooks = RUNBOOKS.format(python=sys.executable, script=RUN, log=folder / "runs.log")
    config.write_text(textwrap.dedent(f"""
        [storage]
        lease_seconds = {LEASE_SECONDS}
    """) + storage + textwrap.dedent(f"""
        [llm]
        model = "test"
        [http]
        listen = "127.0.0.1:{port}"
    """) + textwrap.dedent(runbooks))
    return config


@contextlib.asynccontextmanager
async def two_replicas(folder: Path, storage: str) -> AsyncIterator[Replicas]:
    """Start replicas `a` and `b` on the database `storage` names; stop (or reap) both at the end."""
    async with aiohttp.ClientSession() as session:
        bots: list[Bot] = []
        outputs: list[str] = []
        try:
            for name in ("a", "b"):
                port = free_port()
                bots.append(await start(write_config(folder, name, storage, port), port, session))
            yield Replicas(a=bots[0], b=bots[1], folder=folder)
        finally:
            outputs += [bot.stop() for bot in bots if bot.process.poll() is None]
        for output in outputs:  # checked only when the test itself passed: its own failure comes first
            assert "Traceback" not in output, output


async def thread_of(bot: Bot, thread_id: str) -> dict[str, Any]:
    status, view = await bot.call("GET", f"/api/v1/threads/{thread_id}")
    assert status == 200, view
    return view


async def answered(bot: Bot, thread_id: str, answers: int = 1, timeout: float = 30) -> dict[str, Any]:
    """The thread once it holds `answers` bot messages."""

    async def probe() -> dict[str, Any] | None:
        view = await thread_of(bot, thread_id)
        return view if len([m for m in view["messages"] if m["role"] == "bot"]) >= answers else None

    return await eventually(probe, timeout=timeout, what=f"{answers} answer(s) in {thread_id}")


async def read_events(bot: Bot, thread_id: str, *, until: str, last_event_id: str | None = None,
                      timeout: float = 20) -> list[tuple[int, dict[str, Any]]]:
    """Read the thread's event stream on `bot` until an event of type `until` (bounded)."""
    return await read_sse(bot.session, f"{bot.url}/api/v1/threads/{thread_id}/events", until=until,
                          last_event_id=last_event_id, timeout=timeout)
