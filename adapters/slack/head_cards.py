"""Threads the environment opens in Slack: an alert group's card (or a schedule's) posted in the
configured channel, its thread the place where the plan and its Approve / Deny go.

The card is a message with one coloured attachment (red while firing, green once resolved; Block
Kit blocks have no colour of their own) holding the title, the alert for people and, on an
alert's card, **Silence 1h** and **Acknowledge**. Those buttons carry nothing: the thread is the
card's own message, so a click names its thread by where it was clicked. Edits redraw the card
whole (`chat.update`), as Grafana users ask of a resolved alert.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from chatops.adapters.slack.mrkdwn import escape, truncate
from chatops.bot.model import ThreadRef
from chatops.bot.thread_openers import HeadCard

PLATFORM = "slack"
ACKNOWLEDGE_ACTION = "chatops.alert.acknowledge"
SILENCE_ACTION = "chatops.alert.silence"
COLOURS = {"firing": "#E01E5A", "problem": "#E01E5A", "resolved": "#2EB67D", "ok": "#2EB67D"}


def head_card_attachments(card: HeadCard) -> list[dict[str, Any]]:
    """The card as one coloured attachment of Block Kit blocks."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate(f"*{escape(card.title)}*", 3000)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate(escape(card.text) or " ", 3000)}},
    ]
    if card.alert_actions:
        blocks.append({"type": "actions", "block_id": "alert_actions", "elements": [
            {"type": "button", "action_id": SILENCE_ACTION, "value": "1h",
             "text": {"type": "plain_text", "text": "Silence 1h"}},
            {"type": "button", "action_id": ACKNOWLEDGE_ACTION, "value": "ack",
             "text": {"type": "plain_text", "text": "Acknowledge"}}]})
    return [{"color": COLOURS[card.state], "fallback": truncate(card.title, 150), "blocks": blocks}]


class SlackThreads:
    """The hub's opener for Slack (`bot.thread_openers.Opener`)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def open(self, channel: str, card: HeadCard) -> tuple[ThreadRef, dict[str, Any]]:
        response = await self.client.chat_postMessage(channel=channel, text=truncate(card.title, 3000),
                                                      attachments=head_card_attachments(card), unfurl_links=False)
        ref = {"channel": response["channel"], "ts": response["ts"]}
        return ThreadRef(platform=PLATFORM, channel=ref["channel"], thread=ref["ts"]), ref

    async def update(self, ref: dict[str, Any], card: HeadCard) -> None:
        await self.client.chat_update(channel=ref["channel"], ts=ref["ts"], text=truncate(card.title, 3000),
                                      attachments=head_card_attachments(card))
