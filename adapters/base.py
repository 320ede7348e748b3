"""What every chat adapter looks like to `chatops run`.

An adapter turns platform events into `Inbound` messages and `Decision`s for the hub, and renders
the hub's `Outbound` events (subscribed with `hub.add_sink`) in its own UI. The hub, storage and
config come from the `Runtime`; the adapter never reaches into the agent.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Adapter(Protocol):
    name: str

    async def start(self) -> None:
        """Connect or listen; return once the adapter is serving (raise with a clear reason if it cannot)."""

    async def stop(self) -> None:
        """Disconnect, unsubscribe from the hub and let in-flight work finish or be cancelled."""

    def describe(self) -> str:
        """One line for the operator: where to reach the bot through this adapter."""
