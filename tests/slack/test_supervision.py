"""Slack Socket Mode under failure (issue 12, failure 10, and the supervision of failure 3's
kind): slash commands and shortcuts are acked with a short helpful reply; a dropped connection
comes back; revoked tokens are reported down and recover when the tokens work again."""

from __future__ import annotations

from chatops.bot.health import AdapterState
from tests.slack.conftest import ALICE, CHANNEL
from tests.slack.driver import as_mention, event_callback


def slash_command(text: str = "restart web") -> dict:
    return {"token": "verification-token", "team_id": "T0FAKETEAM", "team_domain": "fake-team",
            "channel_id": CHANNEL, "channel_name": "ops", "user_id": ALICE, "user_name": "alice",
            "command": "/ops", "text": text, "api_app_id": "A0APP00001", "is_enterprise_install": "false",
            "response_url": "https://hooks.slack.com/commands/T0FAKETEAM/1/x", "trigger_id": "1.2.3"}


def message_shortcut() -> dict:
    return {"type": "message_action", "token": "verification-token", "action_ts": "1700000001.000100",
            "team": {"id": "T0FAKETEAM", "domain": "fake-team"}, "user": {"id": ALICE, "username": "alice",
                                                                          "team_id": "T0FAKETEAM"},
            "channel": {"id": CHANNEL, "name": "ops"}, "callback_id": "ask_chatops", "trigger_id": "1.2.4",
            "message_ts": "1700000000.000100", "response_url": "https://hooks.slack.com/app/x",
            "message": {"type": "message", "user": ALICE, "ts": "1700000000.000100", "text": "web is down"}}


def state(slack) -> AdapterState | None:
    status = slack.bot.runtime().health.snapshot().get("slack")
    return status.state if status else None


async def test_slash_commands_and_shortcuts_are_acked_with_a_short_helpful_reply(start_slack):
    slack = await start_slack(mode="socket")
    fake = slack.fake
    command = await fake.send_envelope("slash_commands", slash_command())
    ack = await fake.wait_ack(command, timeout=5)
    assert "Mention me" in ack["payload"]["text"] and "/ops" in ack["payload"]["text"]
    fake.user_message(CHANNEL, ALICE, "web is down")  # the message the shortcut was used on
    shortcut = await fake.send_envelope("interactive", message_shortcut())
    assert (await fake.wait_ack(shortcut, timeout=5))["envelope_id"] == shortcut
    await fake.wait_for(lambda: fake.ephemeral, what="a private hint for the clicker")
    assert fake.ephemeral[0]["user"] == ALICE and "mention me" in fake.ephemeral[0]["text"]
    assert slack.bot.calls.made == []  # nothing was planned or run


async def test_a_dropped_socket_mode_connection_comes_back(start_slack):
    slack = await start_slack(mode="socket")
    fake = slack.fake
    await fake.wait_for(lambda: fake.open_sockets == 1, what="the websocket")
    await fake.close_sockets()
    await fake.wait_for(lambda: fake.connections_opened >= 2 and fake.open_sockets == 1, what="a reconnection")
    event = fake.user_message(CHANNEL, ALICE, f"<@{fake.bot_user_id}> !ping host=db1")
    await fake.wait_ack(await fake.send_envelope("events_api", event_callback(as_mention(event))))
    await slack.answer(CHANNEL, event["ts"], "Done:")
    assert state(slack) is AdapterState.up


async def test_revoked_tokens_are_reported_down_and_recover(start_slack):
    slack = await start_slack(mode="socket")
    fake = slack.fake
    await fake.revoke_tokens()
    await fake.wait_for(lambda: state(slack) is AdapterState.down, what="the adapter reported down")
    detail = slack.bot.runtime().health.snapshot()["slack"].detail
    assert "token_revoked" in detail and detail in slack.adapter.describe()
    fake.restore_tokens()
    await fake.wait_for(lambda: state(slack) is AdapterState.up, timeout=40, what="the adapter up again")
