"""The discord.py client: intents, start-up hooks, and where gateway events enter the adapter.

Intents: servers, server and DM messages, and **message content**, a privileged intent that must
also be switched on in the developer portal; without it, messages that do not mention the bot
(follow-ups in its threads) arrive with empty text. The members intent is not needed: messages
and interactions carry the author's roles.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from chatops.adapters.discord.head_cards import AlertButton
from chatops.adapters.discord.interactions import UNREADABLE, RawChannels, complete, private_answer
from chatops.adapters.discord.views import DecisionButton, NextStepButton, StepChoice

if TYPE_CHECKING:
    from chatops.adapters.discord.adapter import DiscordAdapter

log = logging.getLogger("chatops.discord")


def intents() -> discord.Intents:
    """Only what the adapter reads: servers and their channels and threads (the cache), messages
    in servers and DMs, and their content."""
    return discord.Intents(guilds=True, guild_messages=True, dm_messages=True, message_content=True)


@app_commands.command(name="ops", description="Ask chatops to do something (works like mentioning the bot)")
@app_commands.describe(request="What you need, in plain words")
async def ops_command(interaction: discord.Interaction[ChatopsClient], request: str) -> None:
    await interaction.client.adapter.on_ops_command(interaction, request)


class ChatopsClient(discord.Client):
    def __init__(self, adapter: DiscordAdapter, *, guild_ready_timeout: float = 2.0) -> None:
        super().__init__(intents=intents(), allowed_mentions=discord.AllowedMentions.none(),
                         guild_ready_timeout=guild_ready_timeout)
        self.adapter = adapter
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(ops_command)
        self.dropped_events = 0
        self.raw_channels = RawChannels()
        self._answers: set[asyncio.Task[None]] = set()
        parsers = self._connection.parsers
        for event, parse in list(parsers.items()):
            parsers[event] = self._guarded(event, parse)
        parsers["INTERACTION_CREATE"] = self._completing(parsers["INTERACTION_CREATE"])

    def _completing(self, parse: Callable[[Any], None]) -> Callable[[Any], None]:
        """INTERACTION_CREATE completed before parsing (see `interactions`); one discord.py still
        cannot parse is answered privately, so the person who used the command is never left
        without a word."""

        def complete_then_parse(data: Any) -> None:
            if isinstance(data, dict):
                complete(data, self.application_id, self.raw_channels)
            dropped = self.dropped_events
            parse(data)
            if self.dropped_events > dropped and isinstance(data, dict) and data.get("id") and data.get("token"):
                task = asyncio.get_running_loop().create_task(self._answer_unreadable(data))
                self._answers.add(task)
                task.add_done_callback(self._answers.discard)

        return complete_then_parse

    async def _answer_unreadable(self, data: dict[str, Any]) -> None:
        route = discord.http.Route("POST", "/interactions/{interaction_id}/{interaction_token}/callback",
                                   interaction_id=data["id"], interaction_token=data["token"])
        try:
            await self.http.request(route, json=private_answer(UNREADABLE))
        except discord.HTTPException as exc:
            log.warning("discord: could not answer an unreadable interaction: %s", exc)

    def _guarded(self, event: str, parse: Callable[[Any], None]) -> Callable[[Any], None]:
        """discord.py lets an exception from one event's parser end the whole gateway connection
        (a KeyError on a field Discord added or dropped); here it costs that one event only."""

        def parse_or_drop(data: Any) -> None:
            try:
                parse(data)
            except Exception as exc:
                self.dropped_events += 1
                log.warning("discord: dropped a %s event discord.py could not parse (%s: %s)",
                            event, type(exc).__name__, exc)

        return parse_or_drop

    async def close(self) -> None:
        """Close, and stop discord.py's wait for the servers after READY. That wait (a task that
        dispatches `ready` once no GUILD_CREATE came for `guild_ready_timeout`) outlives
        `Client.close()`, which sets the client's loop to a placeholder: a client closed within
        the timeout of a READY (a deposed leader's, one replaced after a failed connection) then
        dispatched `ready` on itself closed, an AttributeError in that task and an `on_ready`
        coroutine never awaited. Cancelled before closing, and again after in case a READY was
        read while closing."""
        self._stop_waiting_for_servers()
        await super().close()
        self._stop_waiting_for_servers()

    def _stop_waiting_for_servers(self) -> None:
        waiting = self._connection._ready_task
        if waiting is not None:
            waiting.cancel()

    async def setup_hook(self) -> None:
        # Buttons of every plan, posted before this start or after it, are answered by custom_id.
        self.add_dynamic_items(DecisionButton, StepChoice, NextStepButton, AlertButton)
        await self._sync_commands()

    async def _sync_commands(self) -> None:
        """Register `/ops`: per configured server (visible at once), else globally (Discord may
        take up to an hour to show a new global command). A failure only costs the command."""
        guild_ids = self.adapter.config.discord.guilds
        try:
            if guild_ids:
                for guild_id in guild_ids:
                    guild = discord.Object(id=int(guild_id))
                    self.tree.copy_global_to(guild=guild)
                    await self.tree.sync(guild=guild)
            else:
                await self.tree.sync()
        except discord.HTTPException as exc:
            log.warning("could not register the /ops command: %s", exc)

    async def on_message(self, message: discord.Message) -> None:
        self.adapter.on_message(message)

    async def on_ready(self) -> None:
        self.adapter.connected()

    async def on_resumed(self) -> None:
        self.adapter.connected()

    async def on_disconnect(self) -> None:
        self.adapter.disconnected()

    async def on_decision_click(self, interaction: discord.Interaction, plan_id: str, approve: bool) -> None:
        await self.adapter.on_decision_click(interaction, plan_id, approve)

    async def on_step_choice(self, interaction: discord.Interaction, plan_id: str, steps: list[str]) -> None:
        await self.adapter.on_step_choice(interaction, plan_id, steps)
