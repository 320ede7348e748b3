"""Which process owns which live work, and who takes over after one dies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chatops.bot.model import (
    ThreadRef,
    UserRef,
    utcnow,
)
from chatops.storage import ownership
from chatops.storage.dialect import SQLITE
from chatops.storage.operations import new_id, reads, statement, ts, writes
from chatops.storage.ownership import ProcessIdentity, TakenOver
from chatops.storage.parts.part import Part
from chatops.storage.sqlite import WAL_CHECKPOINT_AT, WAL_SIZE_LIMIT


class LiveWork(Part):
    """Which process owns which live work, and who takes over after one dies."""

    @reads
    def live_processes(self) -> list[dict[str, Any]]:
        """The bot processes using this database now: not stopped, and heartbeating within the
        lease (`chatops migrate-storage` refuses to copy under them)."""
        alive_since = ts(utcnow() - timedelta(seconds=self.lease_seconds))
        rows = self.db.execute("SELECT host, pid, heartbeat_at FROM processes WHERE stopped_at IS NULL "
                               "AND heartbeat_at > ? ORDER BY heartbeat_at DESC", [alive_since]).fetchall()
        return [{"host": r[0], "pid": r[1], "heartbeat_at": r[2]} for r in rows]

    @writes
    def register_process(self) -> str:
        """Give this process an identity and a first heartbeat; its live work is owned by it."""
        identity = ProcessIdentity.of_this_process(new_id("proc"))
        ownership.register(self.db, identity, ts())
        if self.dialect is SQLITE:
            # the heartbeat loop checkpoints the log between turns; this safety net checkpoints at
            # the commit that takes the log past five eighths of its limit, so a burst of turns
            # between heartbeats (or a disk that filled and emptied) cannot grow it past the limit
            page_size = int(self.db.execute("PRAGMA page_size").fetchone()[0])
            self.db.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_AT // page_size}")
            self.db.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")  # the log shrinks back after a checkpoint
        self.identity = identity
        return identity.id

    @statement
    def heartbeat(self) -> bool:
        """Tell other processes this one is alive; False if it was declared stopped meanwhile."""
        if self.identity is None:
            return False
        return ownership.heartbeat(self.db, self.identity.id, ts())

    @writes
    def take_over_orphans(self) -> TakenOver:
        """Find dead processes (silent past the lease, or gone from this host), and mark what they
        held: running steps and plans become `interrupted`, their runbooks' process groups are
        handed back to be killed. Each row is taken by exactly one caller."""
        now = ts()
        cutoff = self._cutoff()
        if self.identity is not None:
            dead = ownership.dead_local_processes(self.db, self.identity)
            for process_id in ownership.retire(self.db, dead, now):
                self._audit("process.dead", detail={"process": process_id})
        steps, plans = ownership.interrupt_orphaned_work(self.db, cutoff, now)
        children = ownership.orphaned_children(self.db, self.identity, cutoff) if self.identity else []
        for step_id in steps:
            self._audit("step.interrupted", step_id=step_id)
        for plan_id in plans:
            self._audit("plan.interrupted", plan_id=plan_id)
        return TakenOver(steps=steps, plans=plans, children=children)

    @writes
    def retire_process(self) -> TakenOver:
        """On a clean stop: this process is stopped, and what it still held is interrupted now
        rather than after the lease (the work was cancelled with the process's tasks)."""
        if self.identity is None:
            return TakenOver([], [], [])
        ownership.retire(self.db, [self.identity.id], ts())
        taken = self.take_over_orphans.blocking(self)  # type: ignore[attr-defined]
        return taken

    @writes
    def disown_thread_work(self, thread_id: str) -> int:
        """This process gives up its unfinished work in a thread whose turn a storage fault cut
        short (see `ownership.disown_thread_work`); the next orphan sweep takes it over."""
        if self.identity is None:
            return 0
        return ownership.disown_thread_work(self.db, self.identity.id, thread_id)

    @writes
    def claim_orphaned_turns(self, limit: int = 50) -> list[ownership.ClaimedTurn]:
        """Take over turns that a dead process left unfinished, or a live one gave up after a
        storage fault (a message with no answer and no live plan)."""
        if self.identity is None:
            return []
        return ownership.claim_orphaned_turns(self.db, self.identity.id, self._cutoff(), limit)

    @writes
    def claim_turn_of_event(self, platform: str, event_id: str) -> ownership.ClaimedTurn | None:
        """A retried delivery of a message whose turn a dead process left unfinished: take the
        turn over and return the claim (None when the turn ended, has a live plan, or its owner lives)."""
        if self.identity is None:
            return None
        row = self.db.execute("SELECT message_id FROM events WHERE platform = ? AND event_id = ?",
                              [platform, event_id]).fetchone()
        if row is None or row[0] is None:
            return None
        busy = self.db.execute("SELECT 1 FROM plans WHERE message_id = ? AND status IN "
                               "('proposed', 'approved', 'running')", [row[0]]).fetchone()
        if busy:
            return None
        claim = ownership.new_claim()
        if not ownership.claim_turn(self.db, row[0], self.identity.id, self._cutoff(), claim):
            return None
        return ownership.ClaimedTurn(row[0], after_outage=False, claim=claim)

    @reads
    def unfinished_turn(self, message_id: str) -> dict[str, Any] | None:
        """What resuming a turn needs: its thread, requester, text (as perceived) and its plans."""
        row = self.db.execute(
            "SELECT t.platform, t.channel, t.external_id, m.platform, m.user_id, m.user_name, m.perceived_text, "
            "m.created_at FROM messages m JOIN threads t ON t.id = m.thread_id "
            "WHERE m.id = ? AND m.turn_ended_at IS NULL", [message_id]).fetchone()
        if row is None:
            return None
        plans = self.plans_for_message.blocking(self, message_id)  # type: ignore[attr-defined]
        history = self.db.execute(
            "SELECT role, perceived_text, user_name, created_at FROM messages WHERE thread_id = "
            "(SELECT thread_id FROM messages WHERE id = ?) AND created_at < ? ORDER BY created_at DESC, rowid DESC "
            "LIMIT 20", [message_id, row[7]]).fetchall()
        return {"thread": ThreadRef(platform=row[0], channel=row[1] or "", thread=row[2]),
                "user": UserRef(platform=row[3], id=row[4], name=row[5] or ""), "text": row[6] or "",
                "plans": plans,
                "history": [{"role": h[0], "text": h[1], "user": h[2], "created_at": h[3]} for h in reversed(history)]}

    @statement
    def record_child(self, step_id: str, pgid: int, start_ticks: str) -> None:
        """A runbook started a process group for this step: remembered until it is reaped, so a
        process started after a crash can kill it."""
        if self.identity is None:
            return
        me = self.identity
        self.db.execute(
            "INSERT INTO children (pgid, process_id, step_id, host, boot_id, start_ticks, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host, pgid) DO UPDATE SET process_id = excluded.process_id, "
            "step_id = excluded.step_id, boot_id = excluded.boot_id, start_ticks = excluded.start_ticks, "
            "started_at = excluded.started_at",
            [pgid, me.id, step_id, me.host, me.boot_id, start_ticks, ts()])

    @statement
    def forget_child(self, pgid: int) -> None:
        if self.identity is None:
            return
        self.db.execute("DELETE FROM children WHERE host = ? AND pgid = ? AND process_id = ?",
                        [self.identity.host, pgid, self.identity.id])
