"""Housekeeping a running bot does between turns, never inside one: WAL checkpoints and retention.

Called from the hub's heartbeat loop; each job runs when it is due, on the store's thread.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from chatops.bot.config import Config
from chatops.bot.model import utcnow
from chatops.storage import Store

log = logging.getLogger("chatops.maintenance")

CHECKPOINT_EVERY = 30.0  # seconds
PRUNE_EVERY = 24 * 3600.0
FIRST_PRUNE_AFTER = 60.0


class Maintenance:
    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.retention_days = config.storage.retention_days
        now = time.monotonic()
        self._next_checkpoint = now + CHECKPOINT_EVERY
        self._next_prune = now + FIRST_PRUNE_AFTER

    async def run_due(self) -> None:
        now = time.monotonic()
        if now >= self._next_checkpoint:
            self._next_checkpoint = now + CHECKPOINT_EVERY
            await self.store.checkpoint()
        if self.retention_days and now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY
            counts = await self.store.prune(utcnow() - timedelta(days=self.retention_days))
            if any(counts.values()):
                log.info("retention (%d days): deleted %s", self.retention_days, counts)
