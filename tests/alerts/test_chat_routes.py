"""Alert groups and schedules routed to Slack (issue 21): `[[alerts.routes]] slack_channel` and
`[[schedules]] slack_channel`. The webhook comes in over the real HTTP adapter; the card, the plan
with Approve / Deny and the resolution go to the fake Slack through slack-bolt and slack-sdk; the
clicks are signed `block_actions` as Slack sends them."""

from __future__ import annotations

import copy
from typing import Any

import pytest_asyncio
from pydantic_ai.models.function import FunctionModel

from chatops.adapters.http import HttpAdapter
from chatops.adapters.slack.head_cards import ACKNOWLEDGE_ACTION, SILENCE_ACTION
from chatops.bot.agent.guided import GuidedPlanner
from chatops.tools.builtin.http_check import http_check
from chatops.tools.builtin.tcp_check import tcp_check
from chatops.tools.monitoring.silence_alert import silence_alert
from tests.alerts.test_schedules import health  # noqa: F401  (a fixture)
from tests.alerts.test_webhooks import AM, alert_body, no_model
from tests.slack.conftest import ALICE, CAROL, CHANNEL, fake_slack, start_slack  # noqa: F401  (fixtures)
from tests.slack.driver import block_actions

ALERTS = "C0ALERTS001"


@pytest_asyncio.fixture
async def routed(start_slack):  # noqa: F811
    """A bot with the Slack adapter and the HTTP adapter on one runtime; critical alerts go to
    the web chat and to #alerts."""
    slack = await start_slack(GuidedPlanner(FunctionModel(no_model)), http={"listen": "127.0.0.1:0"},
                              alerts={"alertmanager_url": "http://127.0.0.1:9",
                                      "routes": [{"match": {"severity": "critical"}, "slack_channel": ALERTS}]})
    for item in (http_check, tcp_check, silence_alert):
        slack.bot.hub.registry.add(item)
    http = HttpAdapter(slack.bot.runtime())
    await http.start()
    try:
        yield slack, http
    finally:
        await http.stop()


async def post(http: HttpAdapter, body: dict[str, Any]) -> dict[str, Any]:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.post(http.url.rstrip("/") + AM, json=body) as response:
        assert response.status == 200, await response.text()
        return (await response.json())["threads"][0]


def head_cards(fake) -> list[dict[str, Any]]:
    return [m for m in fake.messages.get(ALERTS, []) if m.get("attachments") and not m.get("thread_ts")]


def card_buttons(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for a in message.get("attachments", []) for b in a["blocks"] if b["type"] == "actions"
            for e in b["elements"]]


def click(message: dict[str, Any], action_id: str, user: str) -> dict[str, Any]:
    """`block_actions` for a button inside the card's attachment (Slack sends the same shape)."""
    flat = copy.deepcopy(message)
    flat["blocks"] = [b for a in message["attachments"] for b in a["blocks"]]
    return block_actions(flat, channel=ALERTS, user=user, action_id=action_id)


async def test_a_routed_alert_opens_a_slack_thread_with_its_card_and_plan_and_resolves_it(routed, http_server):
    slack, http = routed
    fake = slack.fake
    host = http_server.removeprefix("http://")
    opened = await post(http, alert_body("firing", host, description=f"{http_server}/health answers slowly"))
    assert opened["new"] is True and opened["id"].startswith("http:")  # `web = true`: the web thread answers

    [card] = await fake.wait_for(lambda: head_cards(fake), what="the alert card in #alerts")
    attachment = card["attachments"][0]
    assert card["text"] == f"🔔 WebDown: {host} is down" and attachment["color"] == "#E01E5A"
    shown = str(attachment["blocks"])
    assert "severity critical" in shown and f"instance={host}" in shown
    assert card_buttons(card) == [SILENCE_ACTION, ACKNOWLEDGE_ACTION]

    # the diagnosis, in the card's thread, with Approve / Deny; the alert's sender approves nothing
    plan_card = await slack.card(ALERTS, card["ts"])
    assert any(b.get("block_id", "").startswith("decide:") for b in plan_card["blocks"])
    assert slack.bot.calls.made == []
    slack_thread = f"slack:{ALERTS}:{card['ts']}"
    [plan] = await slack.bot.store.thread_plans(slack_thread)
    assert plan.requester.platform == "alert" and plan.status.value == "proposed"
    assert (await slack.bot.store.alert_of_thread(slack_thread))["group_key"] == opened["group_key"]
    assert await slack.click(plan_card, user=ALICE, channel=ALERTS) == 200
    await fake.wait_for(lambda: _settled(slack, slack_thread), what="the approved diagnosis")
    [ran] = await slack.bot.store.thread_plans(slack_thread)
    assert ran.status.value == "succeeded" and ran.steps[0].decided_by == f"slack:{ALICE}"
    assert any(s.tool == "http_check" and s.args["url"] == f"{http_server}/health" for s in ran.steps)

    # on-call acknowledges on the card; someone without a role is told no, privately
    assert await slack.sender.interaction(click(card, ACKNOWLEDGE_ACTION, CAROL)) == 200
    await fake.wait_for(lambda: fake.calls_of("chat.postEphemeral"), what="carol's refusal")
    assert await slack.sender.interaction(click(card, ACKNOWLEDGE_ACTION, ALICE)) == 200
    await slack.answer(ALERTS, card["ts"], "Acknowledged by alice")
    # Silence 1h proposes silence_alert with the group's labels: a write step that waits
    assert await slack.sender.interaction(click(card, SILENCE_ACTION, ALICE)) == 200
    silence_card = await slack.card(ALERTS, card["ts"], index=1)
    assert "silence_alert" in str(silence_card["blocks"])
    [silence] = [p for p in await slack.bot.store.thread_plans(slack_thread) if p.steps[0].tool == "silence_alert"]
    assert silence.status.value == "proposed" and silence.steps[0].args["duration"] == "1h"
    assert 'alertname="WebDown"' in silence.steps[0].args["matchers"]

    # resolved: said in the thread, and the card turns green with a "Resolved" title
    resolved = await post(http, alert_body("resolved", host, ends="2026-12-05T08:30:00Z"))
    assert resolved["id"] == opened["id"] and resolved["status"] == "resolved"
    await slack.answer(ALERTS, card["ts"], "✅ Resolved: WebDown after firing for")
    edited = fake.message(ALERTS, card["ts"])
    assert edited["text"] == "✅ Resolved: WebDown" and edited["attachments"][0]["color"] == "#2EB67D"
    assert len(head_cards(fake)) == 1  # one thread per group, on every surface
    # the web chat's thread has the same alert, its own diagnosis and the resolution
    web = await slack.bot.store.thread_view(opened["id"], limit=50)
    assert [m["role"] for m in web["messages"]] == ["user", "bot"] and len(web["plans"]) == 1
    assert web["messages"][1]["text"].startswith("✅ Resolved: WebDown")


async def _settled(slack, thread_id: str) -> bool:
    plans = await slack.bot.store.thread_plans(thread_id)
    return bool(plans) and plans[0].status.value in ("succeeded", "failed")


async def test_a_schedule_routed_to_slack_tells_its_slack_thread_exactly_twice(start_slack, health):  # noqa: F811
    """`[[schedules]] slack_channel`, `web = false`: one Slack thread under the schedule's card,
    a flip to problem and a flip back told there (and nowhere else), the card's colour following."""
    from chatops.bot.schedules import Scheduler, visible_thread
    from tests.alerts.test_schedules import runs, schedules, until

    slack = await start_slack(schedules=schedules(health.url, web=False, slack_channel=ALERTS))
    slack.bot.hub.registry.add(http_check)
    scheduler = Scheduler(slack.bot.hub)
    await scheduler.start()
    fake = slack.fake

    def cards() -> list[dict[str, Any]]:
        return [m for m in fake.messages.get(ALERTS, []) if m.get("attachments") and not m.get("thread_ts")]

    def told() -> list[str]:
        return [m["text"] for card in cards() for m in fake.bot_replies(ALERTS, card["ts"]) if m["ts"] != card["ts"]]

    try:
        await until(lambda: _at_least(runs(slack.bot), 2))
        assert cards() == []  # ok from the start: nothing to say, no thread yet
        health.ok = False
        await fake.wait_for(lambda: len(told()) == 1, what="the problem, in Slack")
        [card] = cards()
        assert card["text"] == "⏱ web-health: problem" and card["attachments"][0]["color"] == "#E01E5A"
        health.ok = True
        await fake.wait_for(lambda: len(told()) == 2, what="ok again, in Slack")
        seen = await runs(slack.bot)
        await until(lambda: _at_least(runs(slack.bot), seen + 2))  # more runs, all ok: silent
    finally:
        await scheduler.stop()
    problem, recovered = told()
    assert problem.startswith("🔴 web-health: problem since 20") and "503" in problem
    assert recovered.startswith("🟢 web-health: ok again after ")
    [card] = cards()
    assert card["text"] == "⏱ web-health: ok" and card["attachments"][0]["color"] == "#2EB67D"
    assert card_buttons(card) == []  # a schedule's card has no alert buttons
    web = await slack.bot.store.thread_view(visible_thread(slack.bot.config.schedules[0]).id)
    assert web is None or [m for m in web["messages"] if m["role"] == "bot"] == []  # `web = false`


async def _at_least(count, least: int) -> bool:
    return await count >= least


def test_check_config_says_when_a_routed_channel_has_no_adapter(tmp_path):
    from chatops.bot.config_check import check_config

    config = tmp_path / "config.toml"
    config.write_text('[[alerts.routes]]\nmatch = { severity = "critical" }\nweb = false\nslack_channel = "C0123456"\n'
                      'discord_channel = "ops-alerts"\n\n'
                      '[[schedules]]\nname = "probe"\nevery = "1m"\nrequest = "is https://example.org/health up?"\n'
                      'slack_channel = "C0123456"\n')
    problems = check_config(config, environ={}, with_tools=False).problems
    assert any(p.startswith("alerts.routes[0].slack_channel: Slack is not configured") for p in problems), problems
    assert any(p.startswith("alerts.routes[0].discord_channel: Discord is not configured") for p in problems)
    assert any(p.startswith("alerts.routes[0].discord_channel: a Discord channel id is a number") for p in problems)
    assert any(p.startswith("schedules[probe].slack_channel: Slack is not configured") for p in problems)
    served = check_config(config, environ={"CHATOPS_SLACK_BOT_TOKEN": "xoxb-1", "CHATOPS_DISCORD_TOKEN": "t"},
                          with_tools=False).problems
    assert not any("is not configured" in p for p in served), served


async def test_a_group_first_seen_while_slack_was_down_gets_its_slack_thread_at_its_next_change(routed, http_server):
    from chatops.adapters.slack.head_cards import SlackThreads

    slack, http = routed
    host = http_server.removeprefix("http://")
    slack.bot.hub.openers.remove("slack")  # the Slack adapter is not up yet
    first = await post(http, alert_body("firing", host))
    assert first["new"] is True and head_cards(slack.fake) == []
    slack.bot.hub.openers.add("slack", SlackThreads(slack.adapter.client))
    again = await post(http, alert_body("firing", "10.9.9.9:80", fingerprint="beef"))  # a new alert of the group
    assert again["id"] == first["id"] and again["new"] is False
    [card] = await slack.fake.wait_for(lambda: head_cards(slack.fake), what="the late alert card")
    assert card["attachments"][0]["color"] == "#E01E5A"
    thread_id = f"slack:{ALERTS}:{card['ts']}"
    assert (await slack.bot.store.alert_of_thread(thread_id))["group_key"] == first["group_key"]
    await slack.card(ALERTS, card["ts"])  # the new alert's diagnosis, with Approve / Deny, in that thread
