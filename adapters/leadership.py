"""Leading through a lease: something only one replica may do at a time (hold Discord's one gateway
session per bot) is done by whichever process holds a named lease in the database.

Every replica tries at a fraction of the lease: the holder renews it, the others stand by and take
it once it is free (expired, released on a clean stop, or its holder stopped heartbeating), so a
standby takes over within about one lease after the leader dies. A leader that cannot renew (the
lease went to another replica after it was paused, or the database is unreachable) stops leading
once its own hold runs out, counted on its monotonic clock from before the renewal was asked: it
never believes it holds the lease longer than the others do (apart from clock skew between hosts,
which the lease must exceed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

log = logging.getLogger("chatops.leadership")

Change = Callable[[], Awaitable[None]]


class LeaseStore(Protocol):
    """The named leases of `storage.Store` (adapters do not import the store itself)."""

    async def hold_lease(self, name: str, seconds: float | None = None) -> bool: ...
    async def release_lease(self, name: str) -> None: ...


class Leadership:
    """Holds the lease `name` for this process while it can, and says when that changes:
    `on_elected` when this process starts leading, `on_deposed` when it stops."""

    def __init__(self, store: LeaseStore, name: str, *, seconds: float, on_elected: Change, on_deposed: Change,
                 interval: float | None = None) -> None:
        self.store = store
        self.name = name
        self.seconds = seconds
        self.interval = interval or max(0.2, seconds / 3)
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.leading = False
        self._held_until = 0.0  # monotonic: the end of this process's last confirmed hold
        self._task: asyncio.Task[None] | None = None

    @property
    def held(self) -> bool:
        """Whether this process's last confirmed hold has not run out yet."""
        return time.monotonic() < self._held_until

    async def try_hold(self) -> bool:
        """Take or renew the lease once; True if this process holds it now. A storage failure
        counts as holding only while the last confirmed hold lasts."""
        asked = time.monotonic()
        try:
            held = await self.store.hold_lease(self.name, self.seconds)
        except Exception as exc:  # the database went away: nobody can take the lease from us meanwhile
            log.warning("lease %s: could not reach the database (%s)", self.name, exc)
            return self.held
        self._held_until = asked + self.seconds if held else 0.0
        return held

    async def step(self) -> bool:
        """One round: take or renew the lease, and start or stop leading accordingly."""
        held = await self.try_hold()
        if held and not self.leading:
            log.info("lease %s: this process leads now", self.name)
            await self.on_elected()  # if this fails, the next round tries again
            self.leading = True
        elif not held and self.leading:
            self.leading = False
            log.warning("lease %s: this process no longer holds it; standing by", self.name)
            await self.on_deposed()
        return held

    def start(self) -> None:
        """Keep trying (or renewing) every `interval` from now on."""
        if self._task is None:
            self._task = asyncio.create_task(self._keep(), name=f"chatops-lease-{self.name}")

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.step()
            except Exception:  # a failed start is retried at the next round
                log.exception("lease %s: changing role failed", self.name)

    async def stop(self) -> None:
        """Stop trying and renewing (the lease, if held, stays until `release` or its expiry)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def release(self) -> None:
        """Give the lease up if this process holds it (once it no longer does what the lease is
        for), so that a standby takes over at its next try instead of after the lease runs out."""
        if self.leading or self.held:
            self.leading = False
            self._held_until = 0.0
            try:
                await self.store.release_lease(self.name)
            except Exception as exc:  # it expires on its own
                log.warning("lease %s: could not release it (%s)", self.name, exc)
