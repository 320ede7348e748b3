"""Who wrote or clicked, as a `UserRef`: the Discord user id, a display name, and, in a server,
the member's roles as `role:<id>` so that `[roles.NAME] discord = ["<user id>", "role:<role id>"]`
matches. Every member holds `role:<server id>` (Discord's @everyone role has the server's id)."""

from __future__ import annotations

import discord

from chatops.bot.model import UserRef

PLATFORM = "discord"


def user_ref(user: discord.abc.User) -> UserRef:
    groups: tuple[str, ...] = ()
    if isinstance(user, discord.Member):
        # The role ids the gateway sent with the member, not `Member.roles`, which silently drops
        # roles missing from the cache (e.g. a server that is not cached, or a role created since).
        raw = getattr(user, "_roles", None)
        role_ids = [user.guild.id, *raw] if raw is not None else [role.id for role in user.roles]
        groups = tuple(dict.fromkeys(f"role:{role_id}" for role_id in role_ids))
    return UserRef(platform=PLATFORM, id=str(user.id), name=user.display_name, groups=groups)


def mention_of(user_key: str) -> str:
    """`discord:123` (a `UserRef.key`) as a mention; other platforms' keys as they are."""
    platform, _, user_id = user_key.partition(":")
    return f"<@{user_id}>" if platform == PLATFORM and user_id.isdigit() else user_key
