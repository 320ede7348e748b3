"""Slack message events as the hub's `Inbound`: who may trigger a turn, in which thread, and the
key that makes every delivery of one message a single turn.

A message arrives more than once: as an `app_mention` *and* a `message.*` event when it mentions
the bot in a channel the bot reads (two different `event_id`s), again when Slack retries an HTTP
delivery that was not acknowledged in time (`X-Slack-Retry-Num`, same `event_id`), and again when
Socket Mode replays an envelope after a reconnect. What all of these share is the message itself:
its channel and its `ts` (unique within a channel). So `Inbound.event_id` is
`slack:{channel}:{ts}`, and storage's de-duplication on it turns them into one turn. The
`event_id` Slack assigns would not do: it differs between the mention and the message event.
"""

from __future__ import annotations

from typing import Any

from chatops.adapters.slack.files import attachments_of
from chatops.adapters.slack.mrkdwn import to_plain
from chatops.bot.model import Inbound, ThreadRef, UserRef

PLATFORM = "slack"
# plain messages, messages with files, and thread replies also sent to the channel; everything
# else (edits, deletions, joins, bot messages, …) is not a person talking to the bot
PERSON_SUBTYPES = frozenset({"file_share", "thread_broadcast"})


def is_from_a_person(event: dict[str, Any], *, bot_user_id: str) -> bool:
    if event.get("type") not in ("message", "app_mention"):
        return False
    subtype = event.get("subtype")
    if subtype is not None and subtype not in PERSON_SUBTYPES:
        return False
    if event.get("bot_id") or event.get("bot_profile") or event.get("hidden"):
        return False  # any bot, ourselves included
    user = event.get("user")
    return bool(user) and user != bot_user_id


def is_direct_message(event: dict[str, Any]) -> bool:
    return event.get("channel_type") == "im" or str(event.get("channel", "")).startswith("D")


def thread_of(event: dict[str, Any]) -> ThreadRef:
    """The thread the bot answers in: the message's thread, or the thread it starts."""
    return ThreadRef(platform=PLATFORM, channel=event["channel"], thread=event.get("thread_ts") or event["ts"])


def delivery_key(event: dict[str, Any]) -> str:
    """The de-duplication key of a message, the same for every delivery of it (see above)."""
    return f"slack:{event['channel']}:{event['ts']}"


def inbound_of(event: dict[str, Any], user: UserRef, *, bot_user_id: str) -> Inbound:
    return Inbound(event_id=delivery_key(event), thread=thread_of(event), user=user,
                   text=to_plain(event.get("text") or "", bot_user_id=bot_user_id),
                   attachments=attachments_of(event))
