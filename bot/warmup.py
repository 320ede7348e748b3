"""What is still loading after `chatops run` began to listen, for `/healthz` and for turns.

`chatops run` answers HTTP within a second and loads the tools, the planner and the models in the
background. Each part has a state here (`loading`, `ready`, `on first use`, `failed: …`, `not
installed: pip install …`), which `/healthz` shows as it changes. Turns wait on `ready()`: a
message that arrives while the tools and the planner load is held, never refused.
"""

from __future__ import annotations

import asyncio

from chatops.bot.faults import NotServing

LOADING = "loading"
READY = "ready"
ON_FIRST_USE = "on first use"


class Warmup:
    """Named parts and their load states, and one gate: the tools and the planner are ready."""

    def __init__(self) -> None:
        self._states: dict[str, str] = {}
        self._ready = asyncio.Event()
        self.failure: str | None = None  # why the tools or the planner could not load

    def set(self, part: str, state: str) -> None:
        self._states[part] = state

    def states(self) -> dict[str, str]:
        return dict(self._states)

    def open(self) -> None:
        """The tools and the planner are in place: held turns go on."""
        self._ready.set()

    def fail(self, why: str) -> None:
        """The tools or the planner could not load: the process cannot serve turns."""
        self.failure = why
        self._ready.set()

    @property
    def is_ready(self) -> bool:
        return self._ready.is_set() and self.failure is None

    async def ready(self) -> None:
        """Return once the tools and the planner are in place (at once when they are);
        raises `NotServing` when they failed to load or start-up was cancelled."""
        await self._ready.wait()
        if self.failure is not None:
            raise NotServing(f"the bot could not finish starting: {self.failure}")
