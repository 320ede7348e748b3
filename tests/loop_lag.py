"""How late the event loop runs while some work is under way: the measure of "never blocks"."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


async def with_loop_lag(work: Awaitable[T], tick: float = 0.01) -> tuple[T, float]:
    """Await `work` while a ticker sleeps `tick` in a loop; returns its result and the worst lateness (s)."""
    lags: list[float] = [0.0]

    async def ticker() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(tick)
            lags.append(time.perf_counter() - started - tick)

    ticking = asyncio.create_task(ticker())
    try:
        result: Any = await work
    finally:
        ticking.cancel()
    return result, max(lags)
