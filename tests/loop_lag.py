"""How late the event loop runs while some work is under way: the measure of "never blocks"."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class LoopLag:
    """The worst lateness of a 10 ms ticker (s) and how long the work took (s)."""

    worst: float
    elapsed: float

    def stayed_free(self) -> bool:
        """Work done *on* the loop would hold it for most of the work's duration; work done in an
        executor leaves only GIL hand-offs. A bound relative to the work's length (and never more
        than 1 s) separates the two on a loaded 2-core machine without being a timing test."""
        return self.worst < min(1.0, max(0.2, self.elapsed / 3))


async def with_loop_lag(work: Awaitable[T], tick: float = 0.01) -> tuple[T, LoopLag]:
    """Await `work` while a ticker sleeps `tick` in a loop; returns its result and the loop's lag."""
    lags: list[float] = [0.0]

    async def ticker() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(tick)
            lags.append(time.perf_counter() - started - tick)

    began = time.perf_counter()
    ticking = asyncio.create_task(ticker())
    try:
        result: Any = await work
    finally:
        ticking.cancel()
    return result, LoopLag(worst=max(lags), elapsed=time.perf_counter() - began)
