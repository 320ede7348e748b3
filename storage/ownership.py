"""Live work belongs to a process: identities, heartbeats, and taking over what a dead one left.

Every bot process registers a row in `processes` and refreshes `heartbeat_at` while it lives.
A running step or plan, and a message whose turn has not ended, carry the id of the process that
works on it (`owner`). Work is orphaned only when its owner has stopped (`stopped_at`) or has not
heartbeated within the lease; whoever notices first takes it over with one conditional UPDATE, so
it happens exactly once however many processes look at the same moment.

The SQL is plain and dialect-neutral (no SQLite-only functions) so the shared-database
deployment can run it unchanged. The only machine-local part is `dead_local_processes`: on the
same host (and boot), a process whose pid is gone is known dead at once, so a restart after a
crash need not wait for the lease to run out.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import sqlite_utils


def _read(path: str) -> str:
    """A /proc file's text, stripped ("" when unreadable). `open`, not `pathlib`: pathlib interns
    each part of a path (the pid), churning CPython's interned-string table at every heartbeat's
    liveness check until the table doubles (issue 23; see tools/process_groups.read_stat)."""
    try:
        with open(path) as file:
            return file.read().strip()
    except OSError:
        return ""


def process_start_ticks(pid: int) -> str:
    """When a process started (clock ticks since boot, from /proc): a pid reused by another
    program has another start time, so a recorded pid can never be mistaken for it."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return ""
    fields = stat.rsplit(")", 1)[1].split()
    return fields[19] if len(fields) > 19 else ""


@dataclass(frozen=True)
class ProcessIdentity:
    """Who this process is, as recorded in `processes`."""

    id: str
    host: str
    pid: int
    boot_id: str
    start_ticks: str

    @classmethod
    def of_this_process(cls, process_id: str) -> ProcessIdentity:
        pid = os.getpid()
        return cls(id=process_id, host=socket.gethostname(), pid=pid,
                   boot_id=_read("/proc/sys/kernel/random/boot_id"), start_ticks=process_start_ticks(pid))


def still_running(pid: int, start_ticks: str) -> bool:
    """Whether the process recorded as (pid, start time) is still the one running under that pid."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    current = process_start_ticks(pid)
    if current and start_ticks and current != start_ticks:
        return False
    state = _read(f"/proc/{pid}/stat").rsplit(")", 1)[-1].split()[:1]
    return state != ["Z"]


def live_owner_sql(column: str = "owner") -> str:
    """A condition true when `column` names no live process (never set, stopped, or silent past
    the lease); takes one parameter, the oldest heartbeat that still counts as alive."""
    return (f"({column} IS NULL OR {column} NOT IN (SELECT id FROM processes "
            "WHERE stopped_at IS NULL AND heartbeat_at > ?))")


def register(db: sqlite_utils.Database, me: ProcessIdentity, now: str) -> None:
    db.execute(
        "INSERT INTO processes (id, host, pid, boot_id, start_ticks, started_at, heartbeat_at, stopped_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
        [me.id, me.host, me.pid, me.boot_id, me.start_ticks, now, now],
    )


def heartbeat(db: sqlite_utils.Database, process_id: str, now: str) -> bool:
    """Refresh this process's heartbeat; False if its row says it stopped (then it must not
    take on work: another process has already taken over what it held)."""
    return db.execute("UPDATE processes SET heartbeat_at = ? WHERE id = ? AND stopped_at IS NULL",
                      [now, process_id]).rowcount == 1


def retire(db: sqlite_utils.Database, process_ids: Iterable[str], now: str) -> list[str]:
    """Mark processes stopped (once); returns the ids this call marked."""
    marked = []
    for process_id in process_ids:
        if db.execute("UPDATE processes SET stopped_at = ? WHERE id = ? AND stopped_at IS NULL",
                      [now, process_id]).rowcount == 1:
            marked.append(process_id)
    return marked


def dead_local_processes(db: sqlite_utils.Database, me: ProcessIdentity) -> list[str]:
    """Processes recorded on this host that are known dead: another boot, or their pid gone."""
    rows = db.execute(
        "SELECT id, pid, boot_id, start_ticks FROM processes WHERE host = ? AND stopped_at IS NULL AND id <> ?",
        [me.host, me.id],
    ).fetchall()
    return [row[0] for row in rows
            if (me.boot_id and row[2] and row[2] != me.boot_id) or not still_running(int(row[1]), row[3] or "")]


@dataclass
class TakenOver:
    """What one sweep took over from dead processes."""

    steps: list[str]
    plans: list[str]
    children: list[tuple[int, str]]  # (process group, start ticks of its leader) to kill


INTERRUPTED_STEP = "interrupted: the bot process running this step stopped before it finished"
STORAGE_CUT_STEP = ("interrupted: the database could not be written when this step ended, so its result "
                    "was not kept")


class ClaimedTurn(NamedTuple):
    """An unfinished turn taken over, and why it was unfinished."""

    message_id: str
    after_outage: bool
    """Given up by a live process whose storage failed under it (`disown_thread_work`), rather
    than left by a process that stopped: the thread is told the database was out, not that the
    bot restarted."""
    claim: str = ""
    """This claim's token (`messages.turn_claim`): only the run that carries it may propose a
    plan for the turn or answer it (see `new_claim`)."""


def new_claim() -> str:
    """A fresh token for one claim of a turn. The process id alone cannot tell two runs of one
    turn apart inside one process: a resumption that went stale while it planned (another process
    claimed the turn meanwhile) saw the turn as its own again once this process took it back by
    another road (deciding the other process's plan), and proposed a second plan for the message
    (issue 22, twice2). The receiving run's claim is the empty token (`turn_claim` NULL); a
    decision's is the decided plan's id."""
    return "c-" + secrets.token_hex(8)


def interrupt_orphaned_work(db: sqlite_utils.Database, cutoff: str, now: str) -> tuple[list[str], list[str]]:
    """Mark running steps and running (or approved, not yet started) plans of dead owners
    `interrupted`: one conditional UPDATE each, so exactly one process wins each row."""
    steps = [r[0] for r in db.execute(
        "UPDATE steps SET status = 'interrupted', finished_at = ?, error = COALESCE(error, ?) "
        f"WHERE status = 'running' AND {live_owner_sql()} RETURNING id", [now, INTERRUPTED_STEP, cutoff]).fetchall()]
    plans = [r[0] for r in db.execute(
        "UPDATE plans SET status = 'interrupted' "
        f"WHERE status IN ('running', 'approved') AND {live_owner_sql()} RETURNING id", [cutoff]).fetchall()]
    for plan_id in plans:
        db.execute("UPDATE steps SET status = 'skipped' WHERE plan_id = ? AND status = 'approved'", [plan_id])
    return steps, plans


def claim_orphaned_turns(db: sqlite_utils.Database, me: str, cutoff: str, limit: int = 50) -> list[ClaimedTurn]:
    """Take over user messages whose turn never ended and whose owner is dead, unless a plan of
    theirs is still waiting or running (a decision resumes those). A message with no owner was
    given up after a storage fault (`disown_thread_work`)."""
    candidates = [ClaimedTurn(r[0], bool(r[1])) for r in db.execute(
        "SELECT m.id, m.owner IS NULL FROM messages m WHERE m.role = 'user' AND m.turn_ended_at IS NULL "
        f"AND {live_owner_sql('m.owner')} AND NOT EXISTS (SELECT 1 FROM plans p WHERE p.message_id = m.id "
        "AND p.status IN ('proposed', 'approved', 'running')) ORDER BY m.created_at LIMIT ?",
        [cutoff, limit]).fetchall()]
    claimed = []
    for candidate in candidates:
        claim = new_claim()
        if claim_turn(db, candidate.message_id, me, cutoff, claim):
            claimed.append(candidate._replace(claim=claim))
    return claimed


def disown_thread_work(db: sqlite_utils.Database, me: str, thread_id: str) -> int:
    """Give up what this (live) process holds in a thread whose turn died under it: its running
    or approved plans, their running steps and the unfinished turns of the thread's messages
    become nobody's, so the orphan sweep interrupts and answers them as after a crash. Returns
    the number of rows given up."""
    messages = "SELECT id FROM messages WHERE thread_id = ?"
    plans = f"SELECT id FROM plans WHERE message_id IN ({messages})"
    given = db.execute("UPDATE steps SET owner = NULL, error = COALESCE(error, ?) "
                       f"WHERE status = 'running' AND owner = ? AND plan_id IN ({plans})",
                       [STORAGE_CUT_STEP, me, thread_id]).rowcount
    given += db.execute("UPDATE plans SET owner = NULL WHERE status IN ('running', 'approved') AND owner = ? "
                        f"AND message_id IN ({messages})", [me, thread_id]).rowcount
    given += db.execute("UPDATE messages SET owner = NULL WHERE thread_id = ? AND role = 'user' "
                        "AND turn_ended_at IS NULL AND owner = ?", [thread_id, me]).rowcount
    return given


def claim_turn(db: sqlite_utils.Database, message_id: str, me: str, cutoff: str, claim: str) -> bool:
    """Take over one message's unfinished turn if its owner is dead, under the token `claim`
    (which supersedes every earlier claim, this process's own included); True if this call did."""
    return db.execute(
        f"UPDATE messages SET owner = ?, turn_claim = ? WHERE id = ? AND turn_ended_at IS NULL AND {live_owner_sql()}",
        [me, claim, message_id, cutoff]).rowcount == 1


def holds_turn_sql() -> str:
    """A condition on `messages` true while the run with this claim holds the message's turn:
    this process owns it, the claim is the latest one, and the turn has not ended. Takes three
    parameters: the message id, the process id and the claim token ('' for the receiving run)."""
    return "id = ? AND owner = ? AND COALESCE(turn_claim, '') = ? AND turn_ended_at IS NULL"


def orphaned_children(db: sqlite_utils.Database, me: ProcessIdentity, cutoff: str) -> list[tuple[int, str]]:
    """Process groups that runbooks started under a dead process on this host and boot; the
    rows are removed, so each group is handed to exactly one killer."""
    rows = db.execute(
        "DELETE FROM children WHERE host = ? AND boot_id = ? "
        f"AND {live_owner_sql('process_id')} RETURNING pgid, start_ticks",
        [me.host, me.boot_id, cutoff]).fetchall()
    return [(int(r[0]), r[1] or "") for r in rows]
