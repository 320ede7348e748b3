"""Slack with several replicas on one database (issue 15). HTTP mode is stateless behind a load
balancer: a retry of a delivery may land on another replica and is still one turn (storage
de-duplicates on the message), and a click on a card another replica posted is decided and run
once wherever it lands. In Socket Mode every replica holds a connection of its own; Slack spreads
envelopes over them, and the same holds.

Each replica is a bot of its own (its own store connection, process identity, tools and adapter)
on the one database file."""

from __future__ import annotations

from chatops.adapters.slack.cards import APPROVE_ACTION
from tests.fakes.slack_api import BOT_USER_ID
from tests.slack.conftest import ALICE, BOB, CHANNEL, SlackBot
from tests.slack.driver import as_mention, block_actions, event_callback


def runs(*replicas: SlackBot) -> list[dict]:
    """Every run of the `restart` tool, on whichever replica."""
    return [call for replica in replicas for call in replica.bot.calls.of("restart")]


async def settle(*replicas: SlackBot) -> None:
    for replica in replicas:
        await replica.adapter.settle()


async def test_http_mode_behind_a_load_balancer_is_one_turn_per_message_and_any_replica_takes_a_click(
        start_slack):
    first = await start_slack(mode="http")
    second = await start_slack(mode="http")
    fake = first.fake
    event = fake.user_message(CHANNEL, ALICE, f"<@{BOT_USER_ID}> !restart unit=web")
    delivery = event_callback(as_mention(event))

    assert await first.sender.event(delivery) == 200
    assert await second.sender.event(delivery, retry_num=1) == 200  # Slack's retry, routed elsewhere
    assert await second.sender.event(event_callback(event)) == 200  # the same message as `message.channels`
    card = await first.card(CHANNEL, event["ts"])
    await settle(first, second)
    assert len([m for m in fake.bot_replies(CHANNEL, event["ts"]) if "blocks" in m]) == 1  # one card, one turn

    # the approver's click reaches the replica that did not post the card; a second click the other
    assert await second.click(card, user=BOB) == 200
    assert await first.click(card, user=ALICE) == 200
    await second.answer(CHANNEL, event["ts"], "Done:")
    await settle(first, second)
    assert runs(first, second) == [{"unit": "web"}]
    assert "*Approved* by" in str(fake.message(CHANNEL, card["ts"])["blocks"])


async def test_socket_mode_on_two_replicas_each_connected_one_turn_and_a_click_anywhere(start_slack):
    first = await start_slack(mode="socket")
    second = await start_slack(mode="socket")
    fake = first.fake
    await fake.wait_for(lambda: fake.open_sockets == 2, what="a connection per replica")

    event = fake.user_message(CHANNEL, ALICE, f"<@{BOT_USER_ID}> !restart unit=web")
    delivery = event_callback(as_mention(event))
    to_first = await fake.send_envelope("events_api", delivery, to=0)
    card = await first.card(CHANNEL, event["ts"])
    replay = await fake.send_envelope("events_api", delivery, retry_attempt=1, to=1)  # redelivered elsewhere
    assert (await fake.wait_ack(to_first))["envelope_id"] == to_first
    assert (await fake.wait_ack(replay))["envelope_id"] == replay
    await settle(first, second)
    assert len([m for m in fake.bot_replies(CHANNEL, event["ts"]) if "blocks" in m]) == 1

    click = await fake.send_envelope("interactive", block_actions(card, channel=CHANNEL, user=BOB,
                                                                  action_id=APPROVE_ACTION), to=1)
    assert (await fake.wait_ack(click))["envelope_id"] == click
    await second.answer(CHANNEL, event["ts"], "Done:")
    await settle(first, second)
    assert second.bot.calls.of("restart") == [{"unit": "web"}] and runs(first, second) == [{"unit": "web"}]
    assert "*Approved* by bob" in str(fake.message(CHANNEL, card["ts"])["blocks"])
