"""Keeping a platform connection alive: exponential backoff with jitter between attempts, and
how many failures in a row make an adapter `down` rather than `reconnecting`."""

from __future__ import annotations

import random

FAILURES_BEFORE_DOWN = 3  # connection attempts that failed in a row before the adapter counts as down


class Backoff:
    """1 s, 2 s, 4 s … up to `cap`, each with ±20 % jitter so many bots do not retry in step."""

    def __init__(self, initial: float = 1.0, cap: float = 60.0) -> None:
        self.initial = initial
        self.cap = cap
        self.attempt = 0

    def next(self) -> float:
        delay = min(self.cap, self.initial * 2 ** self.attempt)
        self.attempt += 1
        return delay * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self.attempt = 0
