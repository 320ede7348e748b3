"""Interaction payloads completed before discord.py parses them.

Discord documents `channel`, `version`, `application_id` and `attachment_size_limit` on an
interaction, but its own example of an application command carries only `channel_id`, and
discord.py 2.7 reads the last three (and `member.flags`) as required (a `KeyError` drops the event: the user gets
nothing) and derives `Interaction.channel_id` from the `channel` object alone (`None` without it).
This module fills what can be known from elsewhere and remembers the raw `channel_id`, so the
adapter can fetch the channel by id; a payload still unusable gets a private answer, never silence.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024  # Discord's upload limit without server boosts
REMEMBERED = 512  # raw channel ids kept for interactions not yet answered
EPHEMERAL = 1 << 6
CHANNEL_MESSAGE = 4  # interaction response type: a message answering the interaction
UNREADABLE = ("I could not read that command (Discord sent it in a shape I do not understand). "
              "Mention me in a channel instead, or try again.")
NO_CHANNEL = ("I could not tell which channel this command came from, so nothing was run. "
              "Mention me in the channel instead, or try the command again.")


class RawChannels:
    """The `channel_id` of interactions that came without a `channel` object, by interaction id."""

    def __init__(self) -> None:
        self._ids: OrderedDict[int, int] = OrderedDict()

    def remember(self, interaction_id: int, channel_id: int) -> None:
        self._ids[interaction_id] = channel_id
        while len(self._ids) > REMEMBERED:
            self._ids.popitem(last=False)

    def take(self, interaction_id: int) -> int | None:
        return self._ids.pop(interaction_id, None)


def complete(data: dict[str, Any], application_id: int | None, channels: RawChannels) -> None:
    """Fill, in place, what discord.py needs and the payload left out (never overwriting)."""
    data.setdefault("version", 1)
    data.setdefault("attachment_size_limit", DEFAULT_ATTACHMENT_LIMIT)
    if application_id is not None:
        data.setdefault("application_id", str(application_id))
    member = data.get("member")
    if isinstance(member, dict):
        member.setdefault("flags", 0)  # a member's flags, absent from payloads older than them
    channel = data.get("channel") or {}
    raw_id = data.get("channel_id")
    if not channel.get("id") and raw_id and str(raw_id).isdigit() and str(data.get("id", "")).isdigit():
        channels.remember(int(data["id"]), int(raw_id))


def private_answer(text: str) -> dict[str, Any]:
    """The body of an interaction callback that answers only the person who used the command."""
    return {"type": CHANNEL_MESSAGE, "data": {"content": text, "flags": EPHEMERAL}}
