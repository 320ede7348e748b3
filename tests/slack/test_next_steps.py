"""An answer's next steps in Slack (issue 20): Block Kit buttons under the answer; a click says the
step in the thread as the clicker's and plans it there, like a typed request (through the fake Web
API and signed `block_actions` deliveries, with the real slack-bolt and slack-sdk in the path)."""

from __future__ import annotations

import socket

from chatops.adapters.slack.cards import NEXT_STEP_ACTION
from chatops.tools.builtin.tcp_check import tcp_check
from tests.slack.conftest import CAROL, CHANNEL
from tests.slack.driver import block_actions


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def next_buttons(message: dict) -> list[dict]:
    return [element for block in message.get("blocks", []) if block.get("block_id") == "next_steps"
            for element in block["elements"]]


async def test_a_next_step_button_plans_the_step_in_the_thread_as_the_clickers(start_slack):
    slack = await start_slack()
    slack.bot.hub.registry.add(tcp_check)
    port = closed_port()
    request = f"!tcp_check host=127.0.0.1 port={port}"
    event = await slack.mention(request)
    answer = await slack.fake.wait_for(
        lambda: next((m for m in slack.fake.bot_replies(CHANNEL, event["ts"]) if next_buttons(m)), None),
        what="an answer with next-step buttons")
    [button] = next_buttons(answer)
    assert button["action_id"] == f"{NEXT_STEP_ACTION}.0" and button["value"] == request
    assert button["text"]["text"] == f"▶ Check again whether 127.0.0.1:{port} accepts connections"
    await slack.adapter.settle()

    # carol holds no role: a read-only check is hers to ask for, as if she had typed it
    body = block_actions(answer, channel=CHANNEL, user=CAROL, action_id=button["action_id"])
    assert await slack.sender.interaction(body) == 200
    await slack.answer(CHANNEL, event["ts"], f"↪ <@{CAROL}>: `{request}`")

    await slack.fake.wait_for(lambda: sum(1 for m in slack.fake.bot_replies(CHANNEL, event["ts"])
                                          if next_buttons(m)) == 2, what="the clicked step's answer")
    await slack.adapter.settle()
    thread_id = f"slack:{CHANNEL}:{event['ts']}"
    plans = await slack.bot.store.thread_plans(thread_id)
    assert len(plans) == 2 and {p.requester.id for p in plans} == {"U0ALICE001", CAROL}
    assert all(p.steps[0].tool == "tcp_check" and int(p.steps[0].args["port"]) == port for p in plans)
    # the same click delivered again (a retry) plans nothing more
    assert await slack.sender.interaction(body) == 200
    await slack.adapter.settle()
    assert len(await slack.bot.store.thread_plans(thread_id)) == 2
