"""Messages sent while no replica held the gateway, answered by the replica that takes it over.

Discord delivers a message to the gateway session open when it is sent; during a leader failover
(the old leader died, the standby has not connected yet) there is none, and the message was
lost. The new leader reads, once connected, what was posted in the last `CATCH_UP_SECONDS` in
every channel it serves and every thread with recent activity
(`GET /channels/{id}/messages?after=`), and hands each message to the usual path. Messages the
old leader already handled are dropped there by their delivery ids (the message id, kept in
the store), so nothing is answered twice and nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import discord
from discord.utils import time_snowflake

log = logging.getLogger("chatops.discord")

HISTORY_LIMIT = 100  # messages read per channel: a failover gap is seconds, not hours


def catch_up_window(lease_seconds: float) -> float:
    """How far back to look: the longest gap a failover leaves (the lease running out, then a
    connect), with room to spare."""
    return max(120.0, 6 * lease_seconds)


def channels_to_read(client: discord.Client, configured: Iterable[str], guilds: Iterable[str],
                     thread_ids: Iterable[str]) -> list[int]:
    """Channel ids to read: the configured channels (or, without any, the text channels of the
    servers the bot serves) and the threads with recent activity (`discord:<guild>:<id>`, `discord:dm:<id>`)."""
    wanted: dict[int, None] = {}
    configured = [c for c in configured if c.isdigit()]
    if configured:
        wanted.update(dict.fromkeys(int(c) for c in configured))
    else:
        allowed = set(guilds)
        for guild in client.guilds:
            if not allowed or str(guild.id) in allowed:
                wanted.update(dict.fromkeys(channel.id for channel in guild.text_channels))
    for thread_id in thread_ids:
        tail = thread_id.rsplit(":", 1)[-1]
        if tail.isdigit():
            wanted[int(tail)] = None
    return list(wanted)


async def catch_up(client: discord.Client, channel_ids: list[int], seconds: float,
                   handle: Callable[[discord.Message], None]) -> int:
    """Hand every message of the last `seconds` in these channels to `handle`, oldest first;
    returns how many were handed (duplicates are the hub's to drop)."""
    after = discord.Object(id=time_snowflake(datetime.now(UTC) - timedelta(seconds=seconds)))
    handed = 0
    for channel_id in channel_ids:
        channel = client.get_channel(channel_id) or client.get_partial_messageable(channel_id)
        try:
            async for message in channel.history(after=after, oldest_first=True, limit=HISTORY_LIMIT):
                if message.author.bot:
                    continue
                handle(message)
                handed += 1
        except discord.HTTPException as exc:  # no access, or gone: the other channels still count
            log.warning("discord: could not read channel %s to catch up: %s", channel_id, exc)
    return handed
