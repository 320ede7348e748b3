"""A turn held in the middle of its one step, for tests that break something under it (stop the
database, take its plan over) and then let the step finish."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from chatops.tools.registry import ToolRegistry, tool
from tests.conftest import scripted_tools


@dataclass
class HeldTurn:
    turn: asyncio.Task[Any]  # the turn: awaited once `release` is set
    release: asyncio.Event  # lets the step finish
    runs: list[str]  # one entry each time the step ran


async def start_held_turn(bot: Any, thread: str) -> HeldTurn:
    """Start a turn in `thread` whose read step runs until `release` is set; returns once it runs."""
    started, release = asyncio.Event(), asyncio.Event()
    runs: list[str] = []

    @tool(risk="read", timeout=30)
    async def wait_for_release() -> str:
        """Runs until the test releases it."""
        runs.append("ran")
        started.set()
        await release.wait()
        return "done"

    bot.hub.use_registry(ToolRegistry([*scripted_tools(bot.calls), wait_for_release]))
    turn = asyncio.create_task(bot.say("!wait_for_release", thread=thread))
    await asyncio.wait_for(started.wait(), 10)
    return HeldTurn(turn, release, runs)
