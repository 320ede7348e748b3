"""A step's chart on the chat surfaces (issue 21): uploaded into the Slack thread (the external
upload flow, through slack-sdk to the fake Slack) and attached in the Discord thread (discord.py
to the fake Discord); the PNG that arrives decodes."""

from __future__ import annotations

import io

import aiohttp
from PIL import Image

from tests.alerts.test_web_chat import chart_tool
from tests.discord.conftest import ALICE, MENTION, eventually
from tests.slack.conftest import CHANNEL, fake_slack, start_slack  # noqa: F401  (fixtures)


def decodes(data: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    return image.size


async def test_a_steps_chart_is_uploaded_into_the_slack_thread(start_slack):  # noqa: F811
    slack = await start_slack()
    slack.bot.hub.registry.add(chart_tool())
    event = await slack.mention("!draw_chart")

    def uploaded() -> list[dict]:
        return [u for u in slack.fake.uploads.values() if u.get("thread_ts") == event["ts"] and u["data"]]

    [upload] = await slack.fake.wait_for(uploaded, what="the chart's upload")
    assert upload["filename"] == "chart.png" and upload["channel"] == CHANNEL
    assert upload["title"] == "draw_chart: chart.png"
    assert decodes(upload["data"]) == (120, 60)


async def test_a_steps_chart_is_attached_in_the_discord_thread(discord_bot, fake_discord):
    running = await discord_bot()
    running.bot.hub.registry.add(chart_tool())
    asked = await fake_discord.say(ALICE, f"{MENTION} !draw_chart")

    def attached() -> list[dict]:
        return [a for m in fake_discord.bot_messages_in(asked["id"]) for a in m["attachments"]
                if a["filename"] == "chart.png"]

    [attachment] = await eventually(attached, what="the chart's attachment")
    async with aiohttp.ClientSession() as session, session.get(attachment["url"]) as response:
        assert response.status == 200
        assert decodes(await response.read()) == (120, 60)
