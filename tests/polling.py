"""Waiting for something to happen in a test without guessing how long it takes."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


async def eventually(probe: Callable[[], Any], *, timeout: float = 20.0, what: str = "") -> Any:
    """Poll `probe` (plain or async) until it returns something truthy, and return that; fail
    after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what or probe}")
        await asyncio.sleep(0.02)
