"""Reading /proc adds nothing to CPython's interned-string table (issue 23).

CPython's pathlib interns every part of a path (`sys.intern` in `parse_parts`). The bot scans
/proc for a process group's members every 50 ms while a runbook is terminated, and checks owners'
pids at every heartbeat: through pathlib each scan interned every process id on the machine and
freed it again. That churn used up the interned table's free slots until it doubled (1.9 -> 3.8
MB, the step of the chaos soak's steady RSS, found with a malloc logger: the new block came from
`PyUnicode_InternInPlace` under `sys.intern`). The /proc readers must give the same answers
without interning: counted here by wrapping `sys.intern`, which pathlib looks up at each call.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from chatops.storage.ownership import process_start_ticks, still_running
from chatops.tools.process_groups import group_members, kill_group, read_stat, start_ticks
from chatops.tools.runbooks import _group_alive, _terminate_group


@pytest.fixture
def interned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every string passed to `sys.intern` while the test runs."""
    seen: list[str] = []
    real = sys.intern

    def counting(text: str) -> str:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(sys, "intern", counting)
    return seen


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A real process leading its own group, as a runbook's program does."""
    process = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        yield process
    finally:
        process.kill()
        process.wait()


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs procfs")
def test_group_scans_and_start_times_intern_nothing(interned: list[str], sleeper: subprocess.Popen[bytes]) -> None:
    pid = sleeper.pid
    assert read_stat(pid).startswith(f"{pid} (sleep)")
    assert read_stat(2**22 + 1) == ""  # over pid_max: no such process
    assert group_members(pid) == [pid]
    assert _group_alive(pid)
    ticks = start_ticks(pid)
    assert ticks.isdigit()
    assert process_start_ticks(pid) == ticks
    assert still_running(pid, ticks)
    assert not still_running(pid, str(int(ticks) + 1))  # another process under a reused id
    assert interned == []


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs procfs")
def test_killing_a_group_interns_nothing(interned: list[str], sleeper: subprocess.Popen[bytes]) -> None:
    pid = sleeper.pid
    assert kill_group(pid, start_ticks(pid))
    sleeper.wait(timeout=5)
    assert group_members(pid) == []
    assert interned == []


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs procfs")
def test_terminating_a_runbook_group_interns_nothing(interned: list[str]) -> None:
    """The grace loop that scanned /proc every 50 ms (most of the churn in the soak): a program
    that ignores SIGTERM keeps it scanning until the SIGKILL."""

    async def run() -> int | None:
        process = await asyncio.create_subprocess_exec(
            "sh", "-c", "trap '' TERM; sleep 30", start_new_session=True)
        await asyncio.sleep(0.2)  # the trap is set
        await _terminate_group(process, grace=0.5)
        return await asyncio.wait_for(process.wait(), 5)

    returncode = asyncio.run(run())
    assert returncode == -9  # the grace ran out while the group was scanned, then SIGKILL
    assert interned == []
