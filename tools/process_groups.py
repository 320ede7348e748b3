"""Child processes that cannot outlive the bot.

Two defences, because one is not enough: a child asks the kernel to SIGKILL it when the bot dies
(Linux `PR_SET_PDEATHSIG`, set between fork and exec), which covers the group leader; and every
process group is recorded in storage while it runs, so a bot started after a crash kills any
group still alive (grandchildren a script left behind). A group is killed only if its leader is
the very process recorded (same start time), never a stranger that reused the id.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
from collections.abc import Callable
from pathlib import Path

PR_SET_PDEATHSIG = 1

_libc: ctypes.CDLL | None = None
try:  # loaded in the parent: nothing may be loaded between fork and exec
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
except OSError:
    _libc = None


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that makes the child get SIGKILL when the bot dies; None off Linux. If the
    bot died before the child could ask, the child exits at once."""
    if _libc is None or not hasattr(os, "getppid") or not Path("/proc/self").exists():
        return None
    parent = os.getpid()
    prctl = _libc.prctl

    def arm() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return arm


def start_ticks(pid: int) -> str:
    """When `pid` started, in clock ticks since boot ("" when unknown)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[1].split()
    return fields[19] if len(fields) > 19 else ""


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes in a process group, from /proc."""
    members = []
    try:
        entries = [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return members
    for entry in entries:
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state not in ("Z", "X"):
            members.append(int(entry))
    return members


def kill_group(pgid: int, leader_start_ticks: str) -> bool:
    """SIGKILL a recorded process group if it is still the one recorded; True if it was killed.
    The leader may be gone while its children live on in the group: then the group is killed if
    no process now holds the leader's id (the id cannot have been reused as a new group's)."""
    members = group_members(pgid)
    if not members:
        return False
    current = start_ticks(pgid)
    if current and leader_start_ticks and current != leader_start_ticks:
        return False  # the id now belongs to another process: not ours to kill
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    return True
