"""An answer's next steps in Discord (issue 20): buttons under the answer (`chatops:next:N`); a
click echoes the step as the clicker's and plans it in the same thread, like a typed request
(the real discord.py against the fake gateway and REST API)."""

from __future__ import annotations

import socket

from chatops.tools.builtin.tcp_check import tcp_check
from tests.discord.conftest import ALICE, MALLORY, MENTION, buttons, eventually, said


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_a_next_step_button_plans_the_step_in_the_thread_as_the_clickers(discord_bot, fake_discord):
    running = await discord_bot()
    running.bot.hub.registry.add(tcp_check)
    port = closed_port()
    request = f"!tcp_check host=127.0.0.1 port={port}"
    asked = await fake_discord.say(ALICE, f"{MENTION} {request}")
    thread_id = asked["id"]

    def answers() -> list[dict]:
        return [m for m in fake_discord.bot_messages_in(thread_id) if "chatops:next:0" in buttons(m).values()]

    [answer] = await eventually(answers, what="an answer with a next-step button")
    assert "refuses connections" in answer["content"]
    label = f"▶ Check again whether 127.0.0.1:{port} accepts connections"
    assert buttons(answer) == {label: "chatops:next:0"}

    await fake_discord.click(answer["id"], "chatops:next:0", MALLORY)  # no role: a read is hers to ask for

    await eventually(said(fake_discord, thread_id, f"↪ <@{MALLORY.id}>: `{request}`"), what="the echo")
    await eventually(lambda: len(answers()) == 2, what="the clicked step's answer")
    stored = [p for t in await running.bot.store.list_threads(platform="discord") for p in
              await running.bot.store.thread_plans(t["id"])]
    assert len(stored) == 2 and {p.requester.id for p in stored} == {ALICE.id, MALLORY.id}
    assert all(p.steps[0].tool == "tcp_check" and int(p.steps[0].args["port"]) == port for p in stored)
