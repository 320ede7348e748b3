"""How many plans waiting for an approval one user may have proposed per minute, in this process.

A user who may request tools but approve nothing could otherwise fill the approval queue (and,
before tool fingerprints were stored, push the oldest plans out of memory) with a script. A token
bucket per user: `per_minute` plans at once, refilled at `per_minute` a minute. Kept in memory:
with several replicas each one allows its own share, which bounds a flood without a database
trip on every turn.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

FORGET_AFTER = 600.0  # seconds: a user idle this long has a full bucket again, so is forgotten


class PlanRateLimit:
    """A token bucket per user key; `take` answers whether one more plan may be made now."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # user key → (tokens, when counted)
        self._swept = clock()

    def take(self, user_key: str) -> float:
        """0 when a plan may be made now (one token is spent), else the seconds until it may."""
        now = self._clock()
        self._forget_idle(now)
        rate = self.per_minute / 60.0
        tokens, then = self._buckets.get(user_key, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - then) * rate)
        if tokens >= 1.0:
            self._buckets[user_key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[user_key] = (tokens, now)
        return math.ceil((1.0 - tokens) / rate)

    def _forget_idle(self, now: float) -> None:
        if now - self._swept < FORGET_AFTER:
            return
        self._swept = now
        self._buckets = {key: entry for key, entry in self._buckets.items() if now - entry[1] < FORGET_AFTER}
