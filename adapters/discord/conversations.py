"""Which messages are for the bot, and which thread each conversation lives in.

Triggers: any DM (the DM channel is the thread); a mention in a server channel, which starts a
public thread from that message (named from the request); and any message in a thread the bot
started or already talks in. Servers and channels outside `[discord] guilds` / `channels` (when
set) are ignored, and so are bots, the bot itself included.

A thread started from a message has that message's id, so a repeated delivery of the same
mention (a gateway replay after RESUME) finds the same thread, and the hub drops the repeat by
its message id.
"""

from __future__ import annotations

import logging
import re

import discord

from chatops.adapters.discord.embeds import clip
from chatops.adapters.discord.people import PLATFORM
from chatops.bot.card_records import CardRecords
from chatops.bot.config import DiscordConfig
from chatops.bot.model import ThreadRef

log = logging.getLogger("chatops.discord")

THREAD_ALREADY_EXISTS = 160004
THREAD_NAME_LIMIT = 100
ARCHIVE_AFTER_MINUTES = 1440
THREAD_TYPES = (discord.ChannelType.public_thread, discord.ChannelType.private_thread,
                discord.ChannelType.news_thread)


def dm_thread(channel_id: int) -> ThreadRef:
    return ThreadRef(platform=PLATFORM, channel="dm", thread=str(channel_id))


def guild_thread(guild_id: int, thread_id: int) -> ThreadRef:
    return ThreadRef(platform=PLATFORM, channel=str(guild_id), thread=str(thread_id))


def bot_role_id(message: discord.Message) -> int | None:
    """The bot's own managed role in the message's server (people often mention that instead)."""
    role = message.guild.self_role if message.guild is not None else None
    return role.id if role is not None else None


def mentions_bot(message: discord.Message, bot_id: int) -> bool:
    role_id = bot_role_id(message)
    return bot_id in message.raw_mentions or (role_id is not None and role_id in message.raw_role_mentions)


def request_text(message: discord.Message, bot_id: int) -> str:
    """The message without the bot's mention (of its user or of its role)."""
    text = re.sub(rf"<@!?{bot_id}>", "", message.content)
    role_id = bot_role_id(message)
    if role_id is not None:
        text = text.replace(f"<@&{role_id}>", "")
    return text.strip()


def thread_name(text: str) -> str:
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return clip(first_line or "chatops request", THREAD_NAME_LIMIT)


def in_scope(config: DiscordConfig, guild_id: int | None, *channel_ids: int | None) -> bool:
    """Whether a server (and a channel, or a thread's parent) is one the bot listens in."""
    if guild_id is None:
        return config.dms
    if config.guilds and str(guild_id) not in config.guilds:
        return False
    return not config.channels or any(str(c) in config.channels for c in channel_ids if c is not None)


def is_thread(channel: object) -> bool:
    return isinstance(channel, discord.Thread) or getattr(channel, "type", None) in THREAD_TYPES


class Conversations:
    def __init__(self, config: DiscordConfig, cards: CardRecords) -> None:
        self.config = config
        self.cards = cards

    async def thread_for(self, message: discord.Message, me: discord.ClientUser) -> ThreadRef | None:
        """The conversation a message belongs to, starting a thread for a mention in a channel;
        None when the message is not for the bot."""
        if message.author.bot or message.author.id == me.id or message.is_system():
            return None  # other bots, itself, and system messages (pins, joins, thread renames…)
        if not request_text(message, me.id) and not message.attachments:
            return None  # nothing to act on (a bare mention, a sticker)
        if message.guild is None:
            return dm_thread(message.channel.id) if self.config.dms else None
        if self.config.guilds and str(message.guild.id) not in self.config.guilds:
            return None
        mentioned = mentions_bot(message, me.id)
        channel = message.channel
        if is_thread(channel) or isinstance(channel, discord.PartialMessageable):
            ref = guild_thread(message.guild.id, channel.id)
            known = await self.cards.knows_thread(ref.id)
            if isinstance(channel, discord.PartialMessageable):  # a channel or thread not in the cache
                if known:
                    return ref
                if not mentioned or not in_scope(self.config, message.guild.id, channel.id):
                    return None
                return await self._start_thread(message, me) or ref
            parent_id = getattr(channel, "parent_id", None)
            if not in_scope(self.config, message.guild.id, parent_id, channel.id):
                return None
            ours = getattr(channel, "owner_id", None) == me.id or getattr(channel, "me", None) is not None
            return ref if (mentioned or known or ours) else None
        if not mentioned or not in_scope(self.config, message.guild.id, channel.id):
            return None
        return await self._start_thread(message, me) or guild_thread(message.guild.id, channel.id)

    async def _start_thread(self, message: discord.Message, me: discord.ClientUser) -> ThreadRef | None:
        """A public thread from the message; the same thread again for a repeated delivery."""
        assert message.guild is not None
        same = guild_thread(message.guild.id, message.id)  # a thread from a message has its id
        if await self.cards.knows_thread(same.id):
            return same
        try:
            thread = await message.create_thread(name=thread_name(request_text(message, me.id)),
                                                 auto_archive_duration=ARCHIVE_AFTER_MINUTES)
        except discord.HTTPException as exc:
            if exc.code == THREAD_ALREADY_EXISTS:
                return same
            if exc.status in (400, 403):  # not a channel threads can start in, or no permission to
                log.warning("no thread for message %s (%s): answering in the channel", message.id, exc.text)
                return None
            raise
        return guild_thread(message.guild.id, thread.id)
