"""Driving the adapter the way Slack does: signed HTTP requests built from the recorded payloads in
`payloads/`, with the ids of the fake's users, channels and messages put in.

`sign(secret, timestamp, body)` is Slack's v0 scheme: `v0=` + HMAC-SHA256 of
`v0:{timestamp}:{raw body}` keyed with the signing secret.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.fakes.slack_api import APP_ID, BOT_USER_ID, TEAM_ID

PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """`event` in the envelope Slack posts (from the recorded `app_mention` delivery)."""
    body = payload("event_callback_app_mention")
    body.update({"team_id": TEAM_ID, "api_app_id": APP_ID, "event": event,
                 "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}", "event_time": int(time.time())})
    body["authorizations"][0].update({"team_id": TEAM_ID, "user_id": BOT_USER_ID})
    return body


def as_mention(message_event: dict[str, Any]) -> dict[str, Any]:
    """The `app_mention` event Slack sends for a message that mentions the bot."""
    event = {k: v for k, v in message_event.items() if k not in ("channel_type", "subtype", "upload",
                                                                  "display_as_bot", "parent_user_id")}
    event["type"] = "app_mention"
    return event


def view_submission(view: dict[str, Any], *, user: str, values: dict[str, dict[str, str]]) -> dict[str, Any]:
    """A modal submitted: Slack's `view_submission` payload, with `values` as
    {block_id: {action_id: text}} in the view's `state`."""
    return {
        "type": "view_submission", "team": {"id": TEAM_ID, "domain": "fake-team"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID, "token": "verification-token-unused", "trigger_id": f"{time.time():.0f}.1.trigger",
        "view": {**view, "id": f"V{secrets.token_hex(5).upper()}", "team_id": TEAM_ID, "app_id": APP_ID,
                 "bot_id": "B0BOT00001", "hash": secrets.token_hex(8), "previous_view_id": None,
                 "root_view_id": None, "state": {"values": {
                     block: {action: {"type": "plain_text_input", "value": text} for action, text in actions.items()}
                     for block, actions in values.items()}}},
        "response_urls": [], "is_enterprise_install": False, "enterprise": None,
    }


def block_actions(card: dict[str, Any], *, channel: str, user: str, action_id: str,
                  trigger_id: str | None = None, ticked: list[str] | None = None) -> dict[str, Any]:
    """A click on one of a posted card's buttons (the card as the fake stores it); `ticked`: the
    values of the card's checkboxes left ticked, sent in `state` as Slack does."""
    body = payload("block_actions")
    if ticked is not None:
        block = next(b for b in card["blocks"] if b["type"] == "actions")
        box = next(e for e in block["elements"] if e["type"] == "checkboxes")
        body["state"] = {"values": {block["block_id"]: {box["action_id"]: {
            "type": "checkboxes", "selected_options": [o for o in box["options"] if o["value"] in ticked]}}}}
    if trigger_id is not None:
        body["trigger_id"] = trigger_id
    button = next(element for block in card["blocks"] if block["type"] == "actions"
                  for element in block["elements"] if element["action_id"] == action_id)
    actions_block = next(block for block in card["blocks"] if block["type"] == "actions")
    body["user"] = {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID}
    body["api_app_id"] = APP_ID
    body["team"]["id"] = TEAM_ID
    body["container"] = {"type": "message", "message_ts": card["ts"], "channel_id": channel, "is_ephemeral": False}
    if card.get("thread_ts"):
        body["container"]["thread_ts"] = card["thread_ts"]
    body["channel"] = {"id": channel, "name": "ops"}
    body["message"] = copy.deepcopy(card)
    body["actions"] = [{"action_id": action_id, "block_id": actions_block["block_id"], "text": button["text"],
                        "value": button["value"], "style": button.get("style"), "type": "button",
                        "action_ts": f"{time.time():.6f}"}]
    return body


class SignedSender:
    """Posts to the adapter's `/slack/events` as Slack would, signed with `secret`."""

    def __init__(self, url: str, secret: str) -> None:
        self.url = url
        self.secret = secret

    async def post(self, body: bytes, content_type: str, *, timestamp: int | None = None,
                   signature: str | None = None, retry_num: int | None = None) -> tuple[int, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
                   "X-Slack-Signature": signature or sign(self.secret, stamp, body)}
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
        async with aiohttp.ClientSession() as session, session.post(self.url, data=body, headers=headers) as response:
            return response.status, await response.text()

    async def event(self, body: dict[str, Any], **options: Any) -> int:
        status, _ = await self.post(json.dumps(body).encode(), "application/json", **options)
        return status

    async def interaction(self, body: dict[str, Any], **options: Any) -> int:
        form = urlencode({"payload": json.dumps(body)}).encode()
        status, _ = await self.post(form, "application/x-www-form-urlencoded", **options)
        return status
