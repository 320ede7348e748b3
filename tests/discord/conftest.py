"""Fixtures for the Discord adapter: a fake Discord on 127.0.0.1 and a bot connected to it through
the real adapter (discord.py's HTTP client, gateway and parsers all run unchanged)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest_asyncio

from chatops.adapters.discord import DiscordAdapter
from chatops.adapters.discord.layout import IDS, STEP_ID_BASE
from tests.conftest import Bot
from tests.fakes.discord_gateway import (
    BOT_ID,
    COMPONENTS_V2,
    GUILD_ID,
    ONCALL_ROLE,
    TOKEN,
    FakeDiscord,
    Person,
    walk_components,
)
from tests.polling import eventually as eventually  # re-exported for the Discord tests

ALICE = Person("1300000000000000010", "alice", (ONCALL_ROLE,))
BOB = Person("1300000000000000011", "bob", (ONCALL_ROLE,))
MALLORY = Person("1300000000000000012", "mallory", ())
MENTION = f"<@{BOT_ID}>"


@dataclass
class DiscordBot:
    bot: Bot
    adapter: DiscordAdapter
    fake: FakeDiscord

    async def stop(self) -> None:
        await self.adapter.stop()
        await self.bot.hub.stop()
        await self.bot.store.close()


def discord_sections(fake: FakeDiscord, **extra: Any) -> dict[str, Any]:
    sections: dict[str, Any] = {
        "discord": {"token": TOKEN, "api_base_url": fake.api_base_url, "gateway_url": fake.gateway_url,
                    "guilds": [GUILD_ID]},
        "roles": {"oncall": {"discord": [f"role:{ONCALL_ROLE}"]}},
    }
    sections.update(extra)
    return sections


@pytest_asyncio.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


@pytest_asyncio.fixture
async def discord_bot(make_bot, fake_discord: FakeDiscord) -> AsyncIterator[Callable[..., Any]]:
    """`await discord_bot(planner, perceiver=None, **config_sections)` → a `DiscordBot` whose adapter
    is connected to the fake (READY and GUILD_CREATE received)."""
    started: list[DiscordAdapter] = []

    async def start(planner: Any = None, *, perceiver: Any = None, **sections: Any) -> DiscordBot:
        bot = await make_bot(planner, perceiver=perceiver, **discord_sections(fake_discord, **sections))
        runtime = bot.runtime()
        adapter = DiscordAdapter(runtime, guild_ready_timeout=0.05)
        await adapter.start()
        started.append(adapter)
        return DiscordBot(bot=bot, adapter=adapter, fake=fake_discord)

    yield start
    for adapter in started:
        await adapter.stop()


def cards_in(fake: FakeDiscord, channel_id: str) -> list[dict[str, Any]]:
    """The bot's plan cards in a channel (Components V2 messages, or embeds), oldest first."""
    return [m for m in fake.bot_messages_in(channel_id) if m["embeds"] or int(m.get("flags") or 0) & COMPONENTS_V2]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """label → custom_id of the buttons one can click on a message (badges are disabled buttons)."""
    return {c["label"]: c["custom_id"] for c in walk_components(message.get("components") or [])
            if c.get("type") == 2 and not c.get("disabled")}


def component(message: dict[str, Any], component_id: int) -> dict[str, Any]:
    """A card's component by its fixed id (`adapters.discord.layout.IDS`)."""
    return next(c for c in walk_components(message.get("components") or []) if c.get("id") == component_id)


def card_status(message: dict[str, Any]) -> str:
    return component(message, IDS["status"])["content"]


def card_steps(message: dict[str, Any]) -> str:
    """The steps' text on a card: each step section's text display, and the overflow text."""
    every = walk_components(message.get("components") or [])
    return "\n\n".join(c["content"] for c in every
                        if (c.get("type") == 10 and (c.get("id") or 0) > STEP_ID_BASE) or c.get("id") == IDS["more"])


def card_plan_id(message: dict[str, Any]) -> str:
    return component(message, IDS["footer"])["content"].split()[2]


def texts_in(fake: FakeDiscord, channel_id: str) -> list[str]:
    return [m["content"] for m in fake.bot_messages_in(channel_id) if m["content"]]


def said(fake: FakeDiscord, channel_id: str, fragment: str) -> Callable[[], list[str]]:
    """A probe for `eventually`: the bot's messages in the channel that contain `fragment`."""
    return lambda: [text for text in texts_in(fake, channel_id) if fragment in text]
