"""Perception work shared fairly between users.

Transcription and OCR run in one small worker pool (`perception.workers`). Handing it every
file of a message at once let one user's hundred screenshots queue ahead of everybody else's
voice note (16 s of OCR). Here each user has at most `workers` jobs in the pool at a time (the
rest wait their turn outside it, so another user's job waits behind at most that many), and at
most `max_queued` files admitted at once, waiting or being read; more are refused at once with
a reason instead of queueing without end.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class PerUserQueue:
    """Admission and turns of perception jobs, per user key."""

    def __init__(self, *, running: int, max_queued: int) -> None:
        self.running = running
        self.max_queued = max_queued
        self._admitted: dict[str, int] = {}
        self._turns: dict[str, asyncio.Semaphore] = {}

    def admit(self, user: str) -> bool:
        """Count one more file of `user` in, unless they already have `max_queued` in."""
        if self._admitted.get(user, 0) >= self.max_queued:
            return False
        self._admitted[user] = self._admitted.get(user, 0) + 1
        return True

    def leave(self, user: str) -> None:
        """One admitted file is done (read, refused or failed)."""
        left = self._admitted.get(user, 0) - 1
        if left > 0:
            self._admitted[user] = left
        else:
            self._admitted.pop(user, None)
            self._turns.pop(user, None)  # nobody of theirs waits on it any more

    @asynccontextmanager
    async def turn(self, user: str) -> AsyncIterator[None]:
        """Hold one of `user`'s places in the worker pool while a job runs."""
        semaphore = self._turns.setdefault(user, asyncio.Semaphore(self.running))
        async with semaphore:
            yield
