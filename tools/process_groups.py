"""Child processes that cannot outlive the bot.

Two defences, because one is not enough: a child asks the kernel to SIGKILL it when the bot dies
(Linux `PR_SET_PDEATHSIG`), which covers the group leader; and every process group is recorded in
storage while it runs, so a bot started after a crash kills any group still alive (grandchildren a
script left behind). A group is killed only if its leader is the very process recorded (same start
time), never a stranger that reused the id.

The parent-death signal is asked for by util-linux's `setpriv --pdeathsig KILL`, the first program
the child runs, not by Python code between fork and exec (a `preexec_fn`): in a forked copy of a
threaded bot that code shares the heap with threads that no longer exist, and freeing their state
ran a video decoder's finaliser, which waited forever on a lock of a thread that was gone. The
event loop waited for the child's exec with it (a whole CI run stalled in `Popen`). Without a
`preexec_fn` CPython spawns with vfork and runs no Python in the child at all.

The record is a database write, and under load it can take longer than a script needs to start a
helper: a bot SIGKILLed in between left a helper in a group nobody had recorded, alive after every
bot was gone (issue 22, the chaos soak's `orphan_processes`). So the program does not run until its
group is recorded: after `setpriv`, the child is a `gate` (`/bin/sh`, which checks that its parent
is still the bot, waits for one line on its stdin and then `exec`s the program in the same process,
hence the same group and the same parent-death signal). A bot killed before it says "go" closes the
gate's stdin (and takes the gate with it), and nothing else exists.
"""

from __future__ import annotations

import errno
import functools
import os
import shutil
import signal
from collections.abc import Mapping
from pathlib import Path

GATE_SHELL = "/bin/sh"
# a parent that is no longer the bot (it died before the parent-death signal was set) runs nothing;
# then one line on stdin (the bot's "go") before the program runs, with stdin from /dev/null then;
# the program and its arguments are positional parameters ("$@"): the shell never parses them. EOF
# instead of "go" (the bot gave up on the start, or died) runs nothing.
GATE_SCRIPT = '[ "$PPID" = "$1" ] || exit 125; shift; read -r _ || exit 125; {unset}exec "$@" </dev/null'
# util-linux (Essential in Debian): sets the parent-death signal, then execs the rest of its argv
PARENT_DEATH = ("--pdeathsig", "KILL", "--")
# variables a shell may add to the environment it passes on (dash exports PWD, bash SHLVL): the
# program gets the environment the runbook gave, not the shell's additions
SHELL_VARIABLES = ("PWD", "OLDPWD", "SHLVL")
GATE_NAME = "chatops-gate"  # the shell's $0, so `ps` shows what the waiting process is

@functools.cache
def _setpriv() -> str | None:
    """util-linux's `setpriv`, where this kernel has parent-death signals (Linux) and it is installed."""
    if not Path("/proc/self").exists():
        return None
    return shutil.which("setpriv", path=os.defpath)  # /usr/bin in util-linux, whatever the bot's PATH


def dying_with_parent(argv: list[str]) -> list[str]:
    """`argv` run so that the kernel SIGKILLs it when the bot dies: behind `setpriv --pdeathsig`.
    Where there is no `setpriv`, `argv` as it is: the recorded process group still lets the next
    bot kill what a crashed one left."""
    setpriv = _setpriv()
    return [setpriv, *PARENT_DEATH, *argv] if setpriv else list(argv)


def read_stat(pid: int | str) -> str:
    """`/proc/<pid>/stat` ("" when the process is gone or there is no procfs). Read with `open`,
    not `pathlib`: CPython's pathlib interns every part of a path, so a scan of /proc put each
    process id on the machine into the interpreter's interned-string table and freed it again;
    that churn filled the table's free slots until it doubled (1.9 -> 3.8 MB, a step in the chaos
    soak's steady RSS minutes after start, issue 23)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read()
    except OSError:
        return ""


def start_ticks(pid: int) -> str:
    """When `pid` started, in clock ticks since boot ("" when unknown)."""
    stat = read_stat(pid)
    if not stat:
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
        stat = read_stat(entry)
        if not stat:
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


def gated(argv: list[str], env: Mapping[str, str]) -> list[str] | None:
    """`argv` behind the gate (see the module docstring), or None when there is no `/bin/sh`
    (the program then runs at once, covered by the parent-death signal alone). Without a PATH in
    `env` the program is named by the path the bot would have run, as `exec` would search another."""
    if not Path(GATE_SHELL).is_file():
        return None
    program = argv[0]
    if "PATH" not in env and "/" not in program:
        program = shutil.which(program, path=os.defpath) or program
    added = [name for name in SHELL_VARIABLES if name not in env]
    script = GATE_SCRIPT.format(unset=f"unset {' '.join(added)}; " if added else "")
    return [GATE_SHELL, "-c", script, GATE_NAME, str(os.getpid()), program, *argv[1:]]


def program_problem(program: str, env: Mapping[str, str], cwd: Path | None) -> OSError | None:
    """Why `program` cannot be executed, as the OSError an `exec` of it would raise (None when it
    can): behind the gate the shell execs it, so the bot must find out before, to refuse the run
    with the same words (`not found`, `Permission denied`, `Exec format error`)."""
    if "/" in program:
        path = Path(cwd or Path.cwd()) / program
    else:
        found = shutil.which(program, path=env.get("PATH", os.defpath))
        if found is None:
            return FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)
        path = Path(found)
    if not path.exists():
        return FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)
    if path.is_dir() or not os.access(path, os.X_OK):
        return PermissionError(errno.EACCES, os.strerror(errno.EACCES), program)
    try:
        with path.open("rb") as head:
            first = head.readline(256)
    except OSError as exc:
        return exc
    if first.startswith(b"#!"):  # a script: its interpreter must be there too
        interpreter = first[2:].split()[:1]
        if not interpreter or not Path(os.fsdecode(interpreter[0])).is_file():
            return FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)
    elif not first.startswith(b"\x7fELF"):
        return OSError(errno.ENOEXEC, os.strerror(errno.ENOEXEC), program)  # sh would run it as a script
    return None
