"""Leases held by one process at a time: a thread's turns, or a named duty."""

from __future__ import annotations

from datetime import timedelta

from chatops.bot.model import (
    utcnow,
)
from chatops.storage import leases, thread_leases
from chatops.storage.leases import Lease
from chatops.storage.operations import reads, statement, ts, writes
from chatops.storage.parts.part import Part


class ThreadBusy:
    """What a receiving operation returns instead of a message id when it was asked to take the
    thread's lease and another live process holds it: nothing was stored, the turn waits and asks
    again (`bot.thread_locks.TurnLease`)."""

    def __repr__(self) -> str:
        return "THREAD_BUSY"


THREAD_BUSY = ThreadBusy()


class Leases(Part):
    """Leases held by one process at a time: a thread's turns, or a named duty."""

    def _take_turn_lease(self, thread_id: str) -> bool:
        """The first statement of a turn's receiving transaction (see `receive`): the lease and
        the message are stored together, so a turn costs no transaction of its own for it."""
        if self.identity is None:
            return True
        return thread_leases.take(self.db, thread_id, self.identity.id, ts(), self._cutoff())

    def _release_turn_lease(self, thread_id: str) -> None:
        """The last statement of the transaction that stores a turn's answer."""
        if self.identity is not None:
            thread_leases.release(self.db, thread_id, self.identity.id)

    @statement
    def take_thread_lease(self, thread_id: str) -> bool:
        """Take the lease on a thread's turns for this process; False while another live process
        holds it (see storage/thread_leases.py). Without an identity there is nothing to own."""
        if self.identity is None:
            return True
        return thread_leases.take(self.db, thread_id, self.identity.id, ts(), self._cutoff())

    @statement
    def renew_thread_lease(self, thread_id: str) -> bool:
        """Keep this process's lease on a thread whose turn still runs (every third of the lease)."""
        if self.identity is None:
            return True
        return thread_leases.renew(self.db, thread_id, self.identity.id, ts())

    @statement
    def release_thread_lease(self, thread_id: str) -> None:
        if self.identity is None:
            return
        thread_leases.release(self.db, thread_id, self.identity.id)

    @writes
    def hold_lease(self, name: str, seconds: float | None = None) -> bool:
        """Take the named lease when it is free (never held, expired, or its holder stopped or
        stopped heartbeating) or renew it when this process holds it, for `seconds` (the store's
        lease by default). True if this process holds it now; False if another live one does.
        The caller counts its hold from before this call, so it never believes it holds the lease
        longer than the others believe."""
        if self.identity is None:
            raise RuntimeError("register_process() first: a lease is held by a process")
        moment = utcnow()
        return leases.hold(self.db, name, self.identity.id, ts(moment),
                           ts(moment + timedelta(seconds=seconds or self.lease_seconds)), self._cutoff())

    @writes
    def release_lease(self, name: str) -> bool:
        """Give the lease up if this process holds it (a clean stop): a standby takes it at its
        next try instead of after the lease runs out."""
        if self.identity is None:
            return False
        return leases.release(self.db, name, self.identity.id)

    @reads
    def lease_holder(self, name: str) -> Lease | None:
        """Who holds the named lease, as stored (for `/healthz` details and diagnostics)."""
        return leases.holder_of(self.db, name)
