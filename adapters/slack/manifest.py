"""The Slack app manifest `chatops slack-manifest` prints: paste it into api.slack.com/apps →
Create New App → From a manifest, and the app has every scope, event and setting the adapter uses.

Scopes, each for something the adapter does:
`app_mentions:read` (mentions), `channels:history` / `groups:history` / `im:history` (messages in
threads the bot is in and in DMs), `chat:write` (answers, plan cards, card edits, ephemeral
refusals), `files:read` (voice clips and images sent to the bot), `files:write` (long results as
files), `reactions:write` (the 👀 working reaction), `users:read` (names on cards),
`usergroups:read` (role membership through user groups), `assistant:write` (the thread status
where the app is an assistant).

Agent apps: `features.agent_view` (Slack's entry point for agents: a description and up to four
suggested prompts, taken from the configured tools' own examples, the team's runbooks and plugins
before the built-ins), the Home tab ("Waiting for you" and recent threads, `app_home_opened`), the
messages tab, and `assistant_thread_started` for workspaces still on the older assistant view.

In HTTP mode (`slack.mode = "http"`) the manifest turns Socket Mode off and needs the public
URL Slack posts events and clicks to (`request_url`); the configuration does not know it, so a
placeholder stands there: replace it with your proxy's `https://…/slack/events` before pasting.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chatops.bot.config import Config
from chatops.tools.registry import ToolSpec

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
BOT_EVENTS = ["app_mention", "message.channels", "message.groups", "message.im", "app_home_opened",
              "assistant_thread_started"]
MAX_PROMPTS = 4  # Slack shows up to four suggested prompts
PROMPT_TITLE = 75
AGENT_DESCRIPTION = ("Ask for a check or a fix in plain words (or send a screenshot or a voice note): I plan the "
                     "tool calls, run the read-only ones at once, and ask an approver before anything changes.")
SOURCE_ORDER = {"runbook": 0, "plugin": 1, "mcp": 2, "builtin": 3}
EVENTS_PATH = "/slack/events"
PLACEHOLDER_URL = "https://chatops.example.com" + EVENTS_PATH


def suggested_prompts(specs: Iterable[ToolSpec]) -> list[dict[str, str]]:
    """Up to four `{title, message}` prompts from the tools' own examples: one per tool, the
    team's tools (runbooks, plugins, MCP) before the built-ins, in registry order otherwise."""
    ranked = sorted((spec for spec in specs if spec.examples),
                    key=lambda spec: SOURCE_ORDER.get(spec.source, 3))
    prompts = []
    for spec in ranked[:MAX_PROMPTS]:
        title = spec.summary if len(spec.summary) <= PROMPT_TITLE else spec.summary[: PROMPT_TITLE - 1] + "…"
        prompts.append({"title": title, "message": spec.examples[0]})
    return prompts


def slack_manifest(config: Config, *, name: str = "chatops", request_url: str | None = None,
                   prompts: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The app manifest (a dict, printed as JSON) for this configuration's connection mode;
    `prompts` are the agent view's suggested prompts (`suggested_prompts`)."""
    socket = config.slack.mode == "socket"
    manifest: dict[str, Any] = {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "Chat-ops: plans tool calls, asks for approval, runs them and answers in the thread.",
            "background_color": "#2c2d30",
        },
        "features": {
            "app_home": {"home_tab_enabled": True, "messages_tab_enabled": True,
                         "messages_tab_read_only_enabled": False},
            "agent_view": {"agent_description": AGENT_DESCRIPTION, "suggested_prompts": list(prompts or [])},
            "assistant_view": {"assistant_description": AGENT_DESCRIPTION,
                               "suggested_prompts": list(prompts or [])},
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
