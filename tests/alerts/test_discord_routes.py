"""Alert groups routed to Discord (issue 21): `[[alerts.routes]] discord_channel`. The webhook
comes in over the real HTTP adapter; the alert card (an embed, red while firing), the thread
started from it with the diagnosis and its Approve / Deny, Silence 1h / Acknowledge, and the
card turned green on resolution go through the real discord.py to the fake Discord."""

from __future__ import annotations

from typing import Any

import aiohttp
import discord
import pytest_asyncio
from pydantic_ai.models.function import FunctionModel

from chatops.adapters.http import HttpAdapter
from chatops.bot.agent.guided import GuidedPlanner
from chatops.tools.builtin.http_check import http_check
from chatops.tools.builtin.tcp_check import tcp_check
from chatops.tools.monitoring.silence_alert import silence_alert
from tests.alerts.test_schedules import health  # noqa: F401  (a fixture)
from tests.alerts.test_webhooks import AM, alert_body, no_model
from tests.discord.conftest import ALICE, MALLORY, buttons, card_plan_id, cards_in, eventually, said
from tests.fakes.discord_gateway import CHANNEL_ID, GUILD_ID


@pytest_asyncio.fixture
async def routed(discord_bot):
    running = await discord_bot(GuidedPlanner(FunctionModel(no_model)), http={"listen": "127.0.0.1:0"},
                                alerts={"alertmanager_url": "http://127.0.0.1:9",
                                        "routes": [{"match": {"severity": "critical"}, "web": False,
                                                    "discord_channel": CHANNEL_ID}]})
    for item in (http_check, tcp_check, silence_alert):
        running.bot.hub.registry.add(item)
    http = HttpAdapter(running.bot.runtime())
    await http.start()
    try:
        yield running, http
    finally:
        await http.stop()


async def post(http: HttpAdapter, body: dict[str, Any]) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.post(http.url.rstrip("/") + AM, json=body) as response:
        assert response.status == 200, await response.text()
        return (await response.json())["threads"][0]


async def test_a_routed_alert_opens_a_discord_thread_from_its_card_and_resolves_it(routed, fake_discord, http_server):
    running, http = routed
    host = http_server.removeprefix("http://")
    opened = await post(http, alert_body("firing", host, description=f"{http_server}/health answers slowly"))
    # `web = false`: the group lives in Discord only, and the webhook names that thread
    assert opened["new"] is True and opened["id"].startswith("discord:")
    [card] = [m for m in fake_discord.bot_messages_in(CHANNEL_ID) if m["embeds"]]
    embed = card["embeds"][0]
    assert embed["title"] == f"🔔 WebDown: {host} is down" and embed["color"] == discord.Colour.red().value
    assert "severity critical" in embed["description"]
    assert buttons(card) == {"Silence 1h": "chatops:alert:silence", "Acknowledge": "chatops:alert:ack"}
    thread_id = card["id"]  # the thread started from the card
    assert opened["id"] == f"discord:{GUILD_ID}:{thread_id}"

    plan_card = (await eventually(lambda: cards_in(fake_discord, thread_id), what="the diagnosis card"))[0]
    plan_id = card_plan_id(plan_card)
    assert set(buttons(plan_card)) >= {"Approve", "Deny"}
    await fake_discord.click(plan_card["id"], buttons(plan_card)["Approve"], ALICE)
    plan = await eventually(lambda: _settled(running, plan_id), what="the approved diagnosis")
    assert plan.status.value == "succeeded"

    await fake_discord.click(card["id"], "chatops:alert:ack", MALLORY)  # no role: told privately
    await eventually(lambda: fake_discord.ephemeral_for(MALLORY), what="mallory's refusal")
    await fake_discord.click(card["id"], "chatops:alert:ack", ALICE)
    await eventually(said(fake_discord, thread_id, "Acknowledged by Alice"), what="the acknowledgement")
    await fake_discord.click(card["id"], "chatops:alert:silence", ALICE)
    silence_card = (await eventually(lambda: cards_in(fake_discord, thread_id)[1:], what="the silence card"))[0]
    assert "silence_alert" in str(silence_card["components"])

    resolved = await post(http, alert_body("resolved", host, ends="2026-12-05T08:30:00Z"))
    assert resolved["id"] == opened["id"] and resolved["status"] == "resolved"
    await eventually(said(fake_discord, thread_id, "✅ Resolved: WebDown after firing for"), what="the resolution")
    edited = fake_discord.messages[card["id"]]["embeds"][0]
    assert edited["title"] == "✅ Resolved: WebDown" and edited["color"] == discord.Colour.green().value
    assert len([m for m in fake_discord.bot_messages_in(CHANNEL_ID) if m["embeds"]]) == 1


async def _settled(running, plan_id: str):
    plan = await running.bot.store.get_plan(plan_id)
    return plan if plan is not None and plan.status.value in ("succeeded", "failed") else None


async def test_a_schedule_routed_to_discord_tells_its_thread_exactly_twice(discord_bot, fake_discord,
                                                                          health):  # noqa: F811
    """`[[schedules]] discord_channel`: one thread started from the schedule's card, each flip told
    there once, the card's colour following the outcome."""
    from chatops.bot.schedules import Scheduler
    from tests.alerts.test_schedules import runs, schedules, until

    running = await discord_bot(schedules=schedules(health.url, web=False, discord_channel=CHANNEL_ID))
    running.bot.hub.registry.add(http_check)
    scheduler = Scheduler(running.bot.hub)
    await scheduler.start()

    def cards() -> list[dict[str, Any]]:
        return [m for m in fake_discord.bot_messages_in(CHANNEL_ID) if m["embeds"]]

    def told() -> list[str]:
        return [m["content"] for card in cards() for m in fake_discord.bot_messages_in(card["id"]) if m["content"]]

    try:
        await until(lambda: _at_least(runs(running.bot), 2))
        assert cards() == []
        health.ok = False
        await eventually(lambda: len(told()) == 1, what="the problem, in Discord")
        assert cards()[0]["embeds"][0]["color"] == discord.Colour.red().value
        health.ok = True
        await eventually(lambda: len(told()) == 2, what="ok again, in Discord")
        seen = await runs(running.bot)
        await until(lambda: _at_least(runs(running.bot), seen + 2))
    finally:
        await scheduler.stop()
    problem, recovered = told()
    assert problem.startswith("🔴 web-health: problem since 20") and recovered.startswith("🟢 web-health: ok again")
    [card] = cards()
    [embed] = card["embeds"]
    assert embed["title"] == "⏱ web-health: ok" and embed["color"] == discord.Colour.green().value
    assert buttons(card) == {}


async def _at_least(count, least: int) -> bool:
    return await count >= least
