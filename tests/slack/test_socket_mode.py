"""Socket Mode against the fake's websocket: `apps.connections.open` with the app token, `hello`,
envelopes acked by `envelope_id`, a connection refresh with a replayed envelope."""

from __future__ import annotations

import pytest

from chatops.adapters.slack import SlackStartError
from chatops.adapters.slack.cards import APPROVE_ACTION
from tests.slack.conftest import ALICE, BOB, CHANNEL
from tests.slack.driver import as_mention, block_actions, event_callback
from tests.slack.test_http import restart_web


async def test_socket_mode_envelopes_are_acked_and_a_replay_after_a_reconnect_is_one_turn(start_slack):
    model = restart_web()
    slack = await start_slack(model.planner(), mode="socket")
    fake = slack.fake
    await fake.wait_for(lambda: fake.open_sockets == 1, what="the websocket")
    assert fake.connections_opened == 1  # the URL the start-up check opened is the one connected to
    assert fake.calls_of("apps.connections.open")[0].token == fake.app_token
    assert slack.adapter.describe() == "Socket Mode, connected as @chatops (U0BOT00001) in Fake Team"

    event = fake.user_message(CHANNEL, ALICE, f"<@{fake.bot_user_id}> restart web")
    delivery = event_callback(as_mention(event))
    first = await fake.send_envelope("events_api", delivery)
    assert await fake.wait_ack(first) == {"envelope_id": first}
    card = await slack.card(CHANNEL, event["ts"])

    # Slack recycles the connection; the client reconnects and the event is delivered again
    await fake.refresh_connections()
    await fake.wait_for(lambda: fake.connections_opened == 2 and fake.open_sockets == 1, what="a reconnection")
    replay = await fake.send_envelope("events_api", delivery, retry_attempt=1)
    assert (await fake.wait_ack(replay))["envelope_id"] == replay

    click = await fake.send_envelope("interactive", block_actions(card, channel=CHANNEL, user=BOB,
                                                                  action_id=APPROVE_ACTION))
    assert (await fake.wait_ack(click))["envelope_id"] == click
    await slack.answer(CHANNEL, event["ts"], "is back")
    await slack.adapter.settle()

    assert slack.bot.calls.of("restart") == [{"unit": "web"}]
    assert len(model.prompts) == 2  # the plan and the answer: the replay planned nothing
    assert await slack.card(CHANNEL, event["ts"]) == fake.message(CHANNEL, card["ts"])  # still one card
    assert "*Approved* by bob" in str(fake.message(CHANNEL, card["ts"])["blocks"])


async def test_a_wrong_app_token_fails_the_start_with_the_reason(make_bot, fake_slack):
    from chatops.adapters.slack import SlackAdapter
    from tests.slack.conftest import slack_sections

    sections = slack_sections(fake_slack, "socket")
    sections["slack"]["app_token"] = "xapp-1-wrong"
    bot = await make_bot(None, **sections)
    adapter = SlackAdapter(bot.runtime())

    with pytest.raises(SlackStartError, match=r"app token .*invalid_auth"):
        await adapter.start()
    assert fake_slack.open_sockets == 0
    assert adapter.delivery not in bot.hub._sinks  # nothing left subscribed


async def test_a_wrong_bot_token_fails_the_start_with_the_reason(make_bot, fake_slack):
    from chatops.adapters.slack import SlackAdapter
    from tests.slack.conftest import slack_sections

    sections = slack_sections(fake_slack, "http")
    sections["slack"]["bot_token"] = "xoxb-revoked"
    bot = await make_bot(None, **sections)
    adapter = SlackAdapter(bot.runtime())

    with pytest.raises(SlackStartError, match=r"bot token \(auth.test: invalid_auth\)"):
        await adapter.start()
