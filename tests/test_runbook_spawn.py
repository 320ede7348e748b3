"""Starting a runbook runs no Python in the forked child.

CI stalled for 80 minutes in `Popen`: a runbook was started with a `preexec_fn` (to ask for the
parent-death signal), so CPython forked a full copy of the threaded bot and ran Python in it. In that
copy the other threads are gone, and freeing their state ran the finaliser of a video frame that an
earlier perception had left in a worker thread; the finaliser waited for a decoder thread that did
not exist in the child. The event loop waited for the child's exec, so the whole bot stopped.

Here a thread holds an object whose finaliser blocks when it runs in any process but this one, the
way that decoder's did; the runbook must still start, run and answer. The driver is a separate
process so that a regression is a failed test, not a stalled suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from chatops.tools.process_groups import dying_with_parent

REPO = Path(__file__).resolve().parent.parent

DRIVER = """
import asyncio, os, sys, threading, time
from chatops.bot.config import RunbookConfig
from chatops.bot.model import ThreadRef, UserRef
from chatops.tools.context import ToolContext
from chatops.tools.runbooks import runbook_tool

PARENT = os.getpid()


class BlocksInAForkedChild:
    def __del__(self):
        if os.getpid() != PARENT:
            time.sleep(3600)


held = threading.local()
release = threading.Event()


def worker():
    held.value = BlocksInAForkedChild()
    release.wait()


threading.Thread(target=worker, daemon=True).start()


async def main():
    spec = runbook_tool(RunbookConfig.model_validate({"name": "probe", "description": "t",
                                                      "argv": ["echo", "started"]}))
    ctx = ToolContext(requester=UserRef(platform="console", id="t"), thread=ThreadRef(platform="console", thread="t"))
    for _ in range(3):
        print((await spec.run(ctx, spec.validate({}))).stdout.strip(), flush=True)

asyncio.run(main())
"""


def test_a_runbook_starts_while_another_thread_holds_state_a_forked_child_cannot_free() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    try:
        done = subprocess.run([sys.executable, "-c", DRIVER], capture_output=True, text=True, env=env, timeout=60)
    except subprocess.TimeoutExpired:
        raise AssertionError("starting the runbook stalled the bot (Python ran between fork and exec)") from None
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["started"] * 3


def test_the_parent_death_signal_is_set_by_the_first_program_the_child_runs() -> None:
    """On Linux with util-linux, the child's first program is `setpriv --pdeathsig KILL`, which asks the
    kernel for the signal before the gate or the runbook's program runs, and exec keeps it."""
    probe = ("import ctypes, signal; value = ctypes.c_int(); "
             "ctypes.CDLL(None).prctl(2, ctypes.byref(value), 0, 0, 0); print(value.value == signal.SIGKILL)")
    argv = dying_with_parent([sys.executable, "-c", probe])  # 2 = PR_GET_PDEATHSIG
    assert Path(argv[0]).name == "setpriv"
    assert subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout.strip() == "True"
    bare = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=True)
    assert bare.stdout.strip() == "False"
