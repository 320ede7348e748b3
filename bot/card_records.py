"""What a chat adapter keeps about its plan cards, reached through the hub.

A card is drawn from the plan as stored and edited in place wherever it was posted, also after a
restart or on another replica; so an adapter needs the plan, where its card is (a Slack `ts`, a
Discord message id) and whether a thread is one the bot is in. It gets exactly that here, from
`Hub.cards`, rather than the whole store: adapters stay above the storage layer
(`tests/test_layering.py`), and the store's other operations stay the hub's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from chatops.bot.model import Plan

CARD = "plan_card"


class CardStore(Protocol):
    """The store operations behind the records (`storage.Store` has them)."""

    async def get_plan(self, plan_id: str) -> Plan | None: ...
    async def ref_of(self, platform: str, kind: str, key: str) -> dict[str, Any] | None: ...
    async def remember_ref(self, platform: str, kind: str, key: str, ref: dict[str, Any]) -> None: ...
    async def thread_exists(self, thread_id: str) -> bool: ...
    async def step_files(self, step_id: str) -> list[dict[str, Any]]: ...
    async def read_file(self, digest: str) -> bytes | None: ...
    async def pending_plans(self) -> list[Plan]: ...
    async def list_threads(self, *, platform: str, channel: str | None = None, limit: int = 50,
                           before: str | None = None, decided_by: str | None = None) -> list[dict[str, Any]]: ...


class CardRecords:
    def __init__(self, store: CardStore, approvers: Callable[[Plan], str] | None = None) -> None:
        self._store = store
        self._approvers = approvers

    def who_may_approve(self, plan: Plan) -> str:
        """The card's line on who may decide the plan, from the policy in force (empty: not known)."""
        return self._approvers(plan) if self._approvers is not None else ""

    async def plan(self, plan_id: str) -> Plan | None:
        """The plan as stored now: what its card shows."""
        return await self._store.get_plan(plan_id)

    async def where(self, platform: str, plan_id: str) -> dict[str, Any] | None:
        """Where `platform` posted the plan's card, as it recorded it; None when not posted (yet)."""
        return await self._store.ref_of(platform, CARD, plan_id)

    async def remember(self, platform: str, plan_id: str, ref: dict[str, Any]) -> None:
        """Record (or replace) where the card is, so a later edit finds it from any process."""
        await self._store.remember_ref(platform, CARD, plan_id, ref)

    async def waiting(self, platform: str) -> list[Plan]:
        """Plans of `platform`'s threads that wait for a decision, oldest first (a Home tab)."""
        return [plan for plan in await self._store.pending_plans()
                if plan.thread_id.startswith(f"{platform}:") and plan.needs_approval]

    async def recent_threads(self, platform: str, limit: int = 10) -> list[dict[str, Any]]:
        """`platform`'s threads, newest activity first: id, title, created_at, updated_at."""
        return await self._store.list_threads(platform=platform, limit=limit)

    async def knows_thread(self, thread_id: str) -> bool:
        """Whether the bot has a conversation in this thread (a follow-up needs no mention there)."""
        return await self._store.thread_exists(thread_id)

    async def active_threads(self, platform: str, since: str, limit: int = 200) -> list[str]:
        """Ids of the platform's threads with activity at or after `since` (a stored timestamp),
        newest first: where a new gateway leader looks for messages sent while nobody listened."""
        rows = await self._store.list_threads(platform=platform, limit=limit)
        return [row["id"] for row in rows if row["updated_at"] >= since]

    async def step_files(self, step_id: str) -> list[tuple[dict[str, Any], bytes]]:
        """The files a step made (a chart) with their bytes, to show in the thread beside its card."""
        found = []
        for file in await self._store.step_files(step_id):
            data = await self._store.read_file(str(file.get("sha256") or ""))
            if data is not None:
                found.append((file, data))
        return found
