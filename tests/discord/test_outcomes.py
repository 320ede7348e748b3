"""What a finished step looks like in Discord, through the fake gateway and REST API: who asked, a
finding marked ⚠ (never ✅), and a program's whole output on the card or attached."""

from __future__ import annotations

import discord

from chatops.adapters.discord.layout import IDS
from tests.conftest import ScriptedModel, reply
from tests.discord.conftest import ALICE, MENTION, card_status, card_steps, cards_in, component, eventually, said
from tests.finding_tools import DF_LINES, finding_tools


async def test_a_finding_and_a_full_output_in_a_discord_thread(discord_bot, fake_discord):
    model = ScriptedModel([reply({"tool": "probe", "args": {"target": "db"}}, {"tool": "disk_usage"},
                                 goal="check db and disks")])
    running = await discord_bot(model.planner())
    for item in finding_tools():
        running.bot.hub.registry.add(item, source="builtin")
    request = await fake_discord.say(ALICE, f"{MENTION} is the db ok, and the disks?")
    await eventually(said(fake_discord, request["id"], "Found a problem"), what="the answer")
    card = cards_in(fake_discord, request["id"])[0]
    shown_card = fake_discord.messages[card["id"]]
    assert component(shown_card, IDS["people"])["content"].startswith(f"Requested by <@{ALICE.id}>")
    status = card_status(shown_card)
    assert status.startswith("⚠ Found a problem") and "✅" not in status
    steps = card_steps(shown_card)
    assert "⚠ problem" in steps and "⚠ db is down: connection refused" in steps
    assert shown_card["components"][0]["accent_color"] == discord.Colour.gold().value  # a finding is never green
    # the whole output of the program: on the card while it fits, else as an attached file
    attached = [f for call in fake_discord.calls_to("POST", rf"/channels/{request['id']}/messages")
                for f in call.files]
    shown = steps + "\n".join(data.decode() for _, data in attached)
    for line in DF_LINES:
        assert line in shown
