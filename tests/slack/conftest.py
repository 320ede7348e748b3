"""Fixtures for the Slack adapter: a fake Slack, and the adapter started on a scripted bot."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest_asyncio

from chatops.adapters.slack import SlackAdapter
from chatops.adapters.slack.cards import APPROVE_ACTION, DENY_ACTION
from tests.conftest import Bot
from tests.fakes.slack_api import BOT_USER_ID, FakeSlack
from tests.slack.driver import SignedSender, as_mention, block_actions, event_callback, view_submission

ALICE = "U0ALICE001"  # holds `oncall` by user id
BOB = "U0BOB00001"  # holds `oncall` through the user group ONCALL
CAROL = "U0CAROL001"  # no role
ONCALL = "S0ONCALL01"
CHANNEL = "C0OPS00001"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def slack_sections(fake: FakeSlack, mode: str = "http") -> dict[str, Any]:
    return {
        "slack": {"bot_token": fake.bot_token, "app_token": fake.app_token, "signing_secret": SECRET, "mode": mode,
                  "listen": "127.0.0.1:0", "api_base_url": fake.api_url},
        "roles": {"oncall": {"slack": [ALICE, ONCALL]}},
    }


@dataclass
class SlackBot:
    bot: Bot
    adapter: SlackAdapter
    fake: FakeSlack
    sender: SignedSender | None

    async def mention(self, text: str, *, user: str = ALICE, channel: str = CHANNEL, **options: Any) -> dict[str, Any]:
        """A person mentions the bot in a channel; the delivery is acked with 200."""
        event = self.fake.user_message(channel, user, f"<@{BOT_USER_ID}> {text}", **options)
        assert self.sender is not None
        assert await self.sender.event(event_callback(as_mention(event))) == 200
        return event

    async def card(self, channel: str, thread_ts: str, *, index: int = 0) -> dict[str, Any]:
        """The `index`-th plan card the bot posted in the thread (waits for it)."""
        def cards() -> list[dict[str, Any]]:
            return [m for m in self.fake.bot_replies(channel, thread_ts)
                    if any(b.get("block_id", "").startswith("decide:") or "*Plan:*" in str(b.get("text"))
                           for b in m.get("blocks", []))]
        found = await self.fake.wait_for(lambda: len(cards()) > index and cards(), what="a plan card")
        return found[index]

    async def click(self, card: dict[str, Any], *, user: str, approve: bool = True, channel: str = CHANNEL,
                    ticked: list[str] | None = None) -> int:
        """A click on Approve or Deny (a Deny click opens the reason modal: see `deny`)."""
        assert self.sender is not None
        trigger_id = f"{secrets.randbelow(10**10)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"
        self.fake.trigger_ids.add(trigger_id)
        body = block_actions(card, channel=channel, user=user, action_id=APPROVE_ACTION if approve else DENY_ACTION,
                             trigger_id=trigger_id, ticked=ticked)
        return await self.sender.interaction(body)

    async def deny(self, card: dict[str, Any], *, user: str, reason: str = "", channel: str = CHANNEL) -> dict:
        """Deny as a person does: click Deny, then submit the modal it opens (with `reason`)."""
        opened = len(self.fake.modals)
        assert await self.click(card, user=user, approve=False, channel=channel) == 200
        modal = await self.fake.wait_for(lambda: self.fake.modals[opened:], what="the deny modal")
        view = modal[0]["view"]
        assert self.sender is not None
        assert await self.sender.interaction(view_submission(view, user=user, values={"reason": {"reason": reason}})) \
            == 200
        return view

    async def texts(self, channel: str, thread_ts: str) -> list[str]:
        return [m.get("text", "") for m in self.fake.bot_replies(channel, thread_ts)]

    async def answer(self, channel: str, thread_ts: str, contains: str, *, timeout: float = 20.0) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((m for m in self.fake.bot_replies(channel, thread_ts) if contains in m.get("text", "")), None)
        return await self.fake.wait_for(found, timeout=timeout, what=f"a reply containing {contains!r}")

    async def shutdown(self) -> None:
        """Stop the adapter and the bot as a process exit would (for restart tests)."""
        await self.adapter.stop()
        await self.bot.hub.stop()
        await self.bot.store.close()


@pytest_asyncio.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(users={ALICE: "alice", BOB: "bob", CAROL: "carol"}, usergroups={ONCALL: [BOB]}) as fake:
        yield fake


@pytest_asyncio.fixture
async def start_slack(make_bot, fake_slack):
    """`await start_slack(planner, mode="http"|"socket", perceiver=None, **config_sections)`."""
    started: list[SlackAdapter] = []

    async def factory(planner=None, *, mode: str = "http", perceiver=None, **sections: Any) -> SlackBot:
        bot = await make_bot(planner, perceiver=perceiver, **{**slack_sections(fake_slack, mode), **sections})
        runtime = bot.runtime()
        adapter = SlackAdapter(runtime)
        await adapter.start()
        started.append(adapter)
        sender = SignedSender(adapter.url, SECRET) if mode == "http" else None
        return SlackBot(bot=bot, adapter=adapter, fake=fake_slack, sender=sender)

    yield factory
    for adapter in reversed(started):
        await adapter.stop()
