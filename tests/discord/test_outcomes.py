"""What a finished step looks like in Discord, through the fake gateway and REST API: who asked, a
finding marked ⚠ (never ✅), and a program's whole output on the card or attached."""

from __future__ import annotations

from tests.conftest import ScriptedModel, reply
from tests.discord.conftest import ALICE, MENTION, cards_in, eventually, said
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
    embed = fake_discord.messages[card["id"]]["embeds"][0]
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields["Requested by"] == f"<@{ALICE.id}>"
    assert fields["Status"].startswith("⚠ Found a problem") and "✅" not in fields["Status"]
    assert "⚠ problem" in embed["description"] and "⚠ db is down: connection refused" in embed["description"]
    # the whole output of the program: on the card while it fits, else as an attached file
    attached = [f for call in fake_discord.calls_to("POST", rf"/channels/{request['id']}/messages")
                for f in call.files]
    shown = embed["description"] + "\n".join(data.decode() for _, data in attached)
    for line in DF_LINES:
        assert line in shown
