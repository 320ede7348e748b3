"""How each adapter's connection stands, for `/healthz` and for `chatops run`'s exit status.

Adapters report their state here as it changes (`starting`, `up`, `reconnecting`, `down`,
`stopped`); `/healthz` shows every configured adapter and answers 503 when one is `down`;
`chatops run` exits non-zero once every adapter is down, so a supervisor (systemd, Kubernetes)
restarts it. `reconnecting` is a connection being re-established with backoff: not yet down.
`standby` is healthy: another replica holds the connection only one may hold (Discord's gateway
session), and this one takes over if that replica stops.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from enum import StrEnum


class AdapterState(StrEnum):
    starting = "starting"
    up = "up"
    standby = "standby"
    reconnecting = "reconnecting"
    down = "down"
    stopped = "stopped"


@dataclass
class AdapterStatus:
    state: AdapterState
    detail: str = ""
    since: float = field(default_factory=time.time)


class AdapterHealth:
    def __init__(self) -> None:
        self._status: dict[str, AdapterStatus] = {}
        self._changed = asyncio.Event()

    def report(self, name: str, state: AdapterState, detail: str = "") -> None:
        current = self._status.get(name)
        if current is None or current.state is not state or current.detail != detail:
            self._status[name] = AdapterStatus(state=state, detail=detail)
            self._changed.set()

    def snapshot(self) -> dict[str, AdapterStatus]:
        return dict(self._status)

    def down(self) -> list[str]:
        return [name for name, status in self._status.items() if status.state is AdapterState.down]

    def all_down(self) -> bool:
        live = [s for s in self._status.values() if s.state is not AdapterState.stopped]
        return bool(live) and all(s.state is AdapterState.down for s in live)

    async def wait_all_down(self) -> None:
        """Return once every adapter that was started is down."""
        while not self.all_down():
            self._changed.clear()
            await self._changed.wait()
