"""What a finished step looks like in Slack, through the fake Web API: who asked, a finding marked
⚠ (never a green ✓), and a program's whole output posted in the thread, not its last line."""

from __future__ import annotations

import json

from tests.conftest import ScriptedModel, reply
from tests.finding_tools import DF_LINES, finding_tools
from tests.slack.conftest import CHANNEL


async def test_a_finding_and_a_full_output_in_a_slack_thread(start_slack):
    model = ScriptedModel([reply({"tool": "probe", "args": {"target": "db"}}, {"tool": "disk_usage"},
                                 goal="check db and disks")])
    slack = await start_slack(model.planner())
    for item in finding_tools():
        slack.bot.hub.registry.add(item, source="builtin")
    event = await slack.mention("is the db ok, and the disks?")
    card = await slack.card(CHANNEL, event["ts"])
    await slack.answer(CHANNEL, event["ts"], "Found a problem")
    await slack.adapter.settle()
    final = json.dumps(slack.fake.message(CHANNEL, card["ts"]).get("blocks", []), ensure_ascii=False)
    assert "requested by" in final
    assert "⚠ db is down: connection refused" in final and "⚠ Found a problem." in final
    assert "✓ Done." not in final
    posted = "\n".join(await slack.texts(CHANNEL, event["ts"]))
    # the whole table, header first: Slack escapes <, > and & in text it shows
    for line in DF_LINES[:-1]:
        assert line in posted
    assert "&lt;script&gt;" in posted and "<script>" not in posted
