"""Threads the environment opens in Discord: an alert group's card (or a schedule's) posted in
the configured channel, and a thread started from it, where the plan and its Approve / Deny go.

The card is an embed, its colour the alert's state (red while firing, green once resolved), with
**Silence 1h** and **Acknowledge** on an alert's card. A thread started from a message has that
message's id, so a click on the card names its thread by the message it was clicked on; the
buttons are `DynamicItem`s matched by a fixed `custom_id`, alive after a restart.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from chatops.adapters.discord.conversations import ARCHIVE_AFTER_MINUTES, guild_thread
from chatops.bot.model import ThreadRef
from chatops.bot.thread_openers import HeadCard

if TYPE_CHECKING:
    from chatops.adapters.discord.client import ChatopsClient

COLOURS = {"firing": discord.Colour.red(), "problem": discord.Colour.red(), "resolved": discord.Colour.green(),
           "ok": discord.Colour.green()}
ALERT_ID = re.compile(r"chatops:alert:(?P<action>ack|silence)")


class AlertButton(discord.ui.DynamicItem[discord.ui.Button], template=ALERT_ID):
    """Silence 1h / Acknowledge on an alert's card."""

    def __init__(self, action: str) -> None:
        super().__init__(discord.ui.Button(label="Silence 1h" if action == "silence" else "Acknowledge",
                                           style=discord.ButtonStyle.secondary, custom_id=f"chatops:alert:{action}"))
        self.action = action

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> AlertButton:
        return cls(match["action"])

    async def callback(self, interaction: discord.Interaction[ChatopsClient]) -> None:  # type: ignore[override]
        await interaction.client.adapter.on_alert_action(interaction, silence=self.action == "silence")


def head_card_embed(card: HeadCard) -> discord.Embed:
    return discord.Embed(title=card.title[:256], description=card.text[:4096] or None, colour=COLOURS[card.state])


def head_card_view(card: HeadCard) -> discord.ui.View | None:
    if not card.alert_actions:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(AlertButton("silence"))
    view.add_item(AlertButton("ack"))
    return view


class DiscordThreads:
    """The hub's opener for Discord (`bot.thread_openers.Opener`)."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def open(self, channel: str, card: HeadCard) -> tuple[ThreadRef, dict[str, Any]]:
        where = self.client.get_channel(int(channel)) or await self.client.fetch_channel(int(channel))
        guild = getattr(where, "guild", None)
        if guild is None or not isinstance(where, discord.TextChannel):
            raise ValueError(f"{channel} is not a text channel of a server")
        view = head_card_view(card)
        message = await where.send(embed=head_card_embed(card), **({"view": view} if view else {}))
        thread = await message.create_thread(name=card.title[:100], auto_archive_duration=ARCHIVE_AFTER_MINUTES)
        return guild_thread(guild.id, thread.id), {"channel": str(where.id), "message": str(message.id)}

    async def update(self, ref: dict[str, Any], card: HeadCard) -> None:
        view = head_card_view(card)
        message = self.client.get_partial_messageable(int(ref["channel"])).get_partial_message(int(ref["message"]))
        await message.edit(embed=head_card_embed(card), **({"view": view} if view else {}))
