"""The Discord adapter (discord.py): threads, plan cards with Approve / Deny buttons that survive
restarts, voice messages and images, and `/ops`. See docs/discord.md for the set-up."""

from chatops.adapters.discord.adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]
