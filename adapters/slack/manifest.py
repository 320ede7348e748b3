"""The Slack app manifest `chatops slack-manifest` prints: paste it into api.slack.com/apps →
Create New App → From a manifest, and the app has every scope, event and setting the adapter uses.

Scopes, each for something the adapter does:
`app_mentions:read` (mentions), `channels:history` / `groups:history` / `im:history` (messages in
threads the bot is in and in DMs), `chat:write` (answers, plan cards, card edits, ephemeral
refusals), `files:read` (voice clips and images sent to the bot), `files:write` (long results as
files), `reactions:write` (the 👀 working reaction), `users:read` (names on cards),
`usergroups:read` (role membership through user groups), `assistant:write` (the thread status
where the app is an assistant).

In HTTP mode (`slack.mode = "http"`) the manifest turns Socket Mode off and needs the public
URL Slack posts events and clicks to (`request_url`); the configuration does not know it, so a
placeholder stands there: replace it with your proxy's `https://…/slack/events` before pasting.
"""

from __future__ import annotations

from typing import Any

from bot.config import Config

BOT_SCOPES = [
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "im:history",
    "chat:write",
    "files:read",
    "files:write",
    "reactions:write",
    "users:read",
    "usergroups:read",
    "assistant:write",
]
BOT_EVENTS = ["app_mention", "message.channels", "message.groups", "message.im"]
EVENTS_PATH = "/slack/events"
PLACEHOLDER_URL = "https://chatops.example.com" + EVENTS_PATH


def slack_manifest(config: Config, *, name: str = "chatops", request_url: str | None = None) -> dict[str, Any]:
    """The app manifest (a dict, printed as JSON) for this configuration's connection mode."""
    socket = config.slack.mode == "socket"
    manifest: dict[str, Any] = {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "Chat-ops: plans tool calls, asks for approval, runs them and answers in the thread.",
            "background_color": "#2c2d30",
        },
        "features": {
            "app_home": {"home_tab_enabled": False, "messages_tab_enabled": True,
                         "messages_tab_read_only_enabled": False},
            "bot_user": {"display_name": name, "always_online": True},
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": {"bot_events": list(BOT_EVENTS)},
            "interactivity": {"is_enabled": True},
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket,
            "token_rotation_enabled": False,
        },
    }
    if not socket:
        url = request_url or PLACEHOLDER_URL
        manifest["settings"]["event_subscriptions"]["request_url"] = url
        manifest["settings"]["interactivity"]["request_url"] = url
    return manifest
