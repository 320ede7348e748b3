"""Who a Slack user is to the bot: a display name, and the user groups (`S…`) that `[roles]` name.

Both come from the Web API (`users.info`, `usergroups.users.list`) and are cached for `ttl`
seconds; concurrent lookups of the same user or group share one call. Only the groups that the
configuration mentions are asked about, so policy can match `slack = ["S0614TZR7"]` without
listing every group of the workspace. A failed lookup (a wrong group id, a missing scope, Slack
down) is logged and means "no name" or "not a member" — the safe side for approvals — for
`FAILURE_TTL` seconds, then it is asked again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from slack_sdk.web.async_client import AsyncWebClient

from chatops.adapters.slack.client import error_of
from chatops.bot.config import Config
from chatops.bot.model import UserRef

log = logging.getLogger("chatops.slack.people")
T = TypeVar("T")
PLATFORM = "slack"
FAILURE_TTL = 30.0  # a failed lookup is asked again after this many seconds


def configured_groups(config: Config) -> list[str]:
    """Slack user-group ids named anywhere under `[roles]` (entries that start with `S`)."""
    groups = {entry for members in config.roles.values() for entry in members.slack if entry.startswith("S")}
    return sorted(groups)


class People:
    def __init__(self, client: AsyncWebClient, groups: list[str], *, ttl: float = 300.0) -> None:
        self.client = client
        self.groups = list(groups)
        self.ttl = ttl
        self._cache: dict[str, _Entry] = {}

    async def user(self, user_id: str, name_hint: str = "") -> UserRef:
        """The user with name and configured group memberships filled in."""
        name = name_hint or await self.name(user_id)
        memberships = await asyncio.gather(*(self.members(group) for group in self.groups))
        groups = tuple(group for group, members in zip(self.groups, memberships, strict=True) if user_id in members)
        return UserRef(platform=PLATFORM, id=user_id, name=name, groups=groups)

    async def name(self, user_id: str) -> str:
        async def fetch() -> str:
            response = await self.client.users_info(user=user_id)
            user = response.get("user") or {}
            profile = user.get("profile") or {}
            return (profile.get("display_name") or profile.get("real_name") or user.get("real_name")
                    or user.get("name") or user_id)

        return await self._cached(f"user:{user_id}", fetch, fallback=user_id)

    async def members(self, group_id: str) -> frozenset[str]:
        async def fetch() -> frozenset[str]:
            response = await self.client.usergroups_users_list(usergroup=group_id)
            return frozenset(response.get("users") or ())

        return await self._cached(f"group:{group_id}", fetch, fallback=frozenset())

    async def _cached(self, key: str, fetch: Callable[[], Awaitable[T]], *, fallback: T) -> T:
        now = time.monotonic()
        entry = self._cache.get(key)
        if entry is None or now >= entry.expires:
            entry = _Entry(expires=now + self.ttl)
            entry.future = asyncio.ensure_future(self._fetch(key, entry, fetch, fallback))
            self._cache[key] = entry
        return await asyncio.shield(entry.future)

    async def _fetch(self, key: str, entry: _Entry, fetch: Callable[[], Awaitable[T]], fallback: T) -> T:
        try:
            return await fetch()
        except Exception as exc:
            log.warning("Slack lookup %s failed: %s", key, error_of(exc))
            entry.expires = time.monotonic() + FAILURE_TTL
            return fallback


@dataclass
class _Entry:
    expires: float
    future: asyncio.Future[Any] = field(init=False)
