"""Slack's agent entry points, driven with the documented event payloads: the Home tab shows
"Waiting for you" (the plans that person may decide, with buttons that work like the card's) and
recent threads; a new assistant thread gets suggested prompts from the configured tools."""

from __future__ import annotations

import asyncio
import json

from chatops.adapters.slack.cards import APPROVE_ACTION
from chatops.tools.builtin import BUILTIN_TOOLS
from tests.cli_inprocess import run_cli
from tests.conftest import ScriptedModel, reply
from tests.slack.conftest import ALICE, BOB, CAROL, CHANNEL
from tests.slack.driver import event_callback, payload


def opened_home(user: str) -> dict:
    event = payload("app_home_opened")
    event.update(user=user, channel="D0HOME0001")
    return event


def home_click(view: dict, *, user: str, action_id: str = APPROVE_ACTION) -> dict:
    """A click on a Home tab button: `block_actions` from a view (no channel, no message)."""
    body = payload("block_actions")
    actions = next(b for b in view["blocks"] if b["type"] == "actions")
    button = next(e for e in actions["elements"] if e["action_id"] == action_id)
    body["user"] = {"id": user, "username": user.lower(), "name": user.lower(), "team_id": body["team"]["id"]}
    body["container"] = {"type": "view", "view_id": "V0HOME0001"}
    body["view"] = {"id": "V0HOME0001", "type": "home", "blocks": view["blocks"]}
    for key in ("channel", "message"):
        body.pop(key, None)
    body["actions"] = [{"action_id": action_id, "block_id": actions["block_id"], "text": button["text"],
                        "value": button["value"], "type": "button", "action_ts": "1700000000.000001"}]
    return body


async def test_the_home_tab_lists_what_waits_for_you_and_a_click_there_decides(start_slack, fake_slack):
    model = ScriptedModel([reply({"tool": "restart", "args": {"unit": "web"}}, goal="restart web"),
                           reply(answer="web is back")])
    slack = await start_slack(model.planner())
    event = await slack.mention("restart web")
    card = await slack.card(CHANNEL, event["ts"])

    assert await slack.sender.event(event_callback(opened_home(BOB))) == 200
    view = await fake_slack.wait_for(lambda: fake_slack.home_views.get(BOB), what="bob's Home tab")
    text = json.dumps(view["blocks"])
    assert view["type"] == "home" and "Waiting for you" in text and "*restart web*" in text
    assert "asked by" in text and f"<#{CHANNEL}>" in text and "Recent threads" in text
    assert await slack.sender.event(event_callback(opened_home(CAROL))) == 200  # no role: nothing to decide
    carol = await fake_slack.wait_for(lambda: fake_slack.home_views.get(CAROL), what="carol's Home tab")
    assert "Nothing waits for your decision." in json.dumps(carol["blocks"])
    assert not [b for b in carol["blocks"] if b["type"] == "actions"]

    assert await slack.sender.interaction(home_click(view, user=BOB)) == 200

    await slack.answer(CHANNEL, event["ts"], "web is back")
    await slack.adapter.settle()
    assert slack.bot.calls.of("restart") == [{"unit": "web"}]
    assert "*Approved* by bob" in json.dumps(fake_slack.message(CHANNEL, card["ts"])["blocks"])  # the card, edited
    assert "Nothing waits for your decision." in json.dumps(fake_slack.home_views[BOB]["blocks"])  # republished


async def test_a_new_assistant_thread_gets_prompts_from_the_configured_tools(start_slack, fake_slack):
    slack = await start_slack(ScriptedModel([]).planner())
    for item in BUILTIN_TOOLS:
        slack.bot.hub.registry.add(item, source="builtin")
    event = payload("assistant_thread_started")
    event["assistant_thread"].update(user_id=ALICE, channel_id="D0ALICE001", thread_ts="1729999327.187299")

    assert await slack.sender.event(event_callback(event)) == 200

    prompts = await fake_slack.wait_for(lambda: fake_slack.suggested_prompts.get(("D0ALICE001", "1729999327.187299")),
                                        what="the suggested prompts")
    assert 1 <= len(prompts) <= 4
    assert all(p["title"] and p["message"] for p in prompts)
    assert "is https://example.com up?" in [p["message"] for p in prompts]


def feedback_click(message: dict, *, user: str, channel: str, positive: bool) -> dict:
    """A 👍 / 👎 click on an answer's `feedback_buttons` (a `block_actions` payload)."""
    body = payload("block_actions")
    block = next(b for b in message["blocks"] if b["type"] == "context_actions")
    element = block["elements"][0]
    button = element["positive_button" if positive else "negative_button"]
    body["user"] = {"id": user, "username": user.lower(), "name": user.lower(), "team_id": body["team"]["id"]}
    body["container"] = {"type": "message", "message_ts": message["ts"], "channel_id": channel,
                         "is_ephemeral": False, "thread_ts": message["thread_ts"]}
    body["channel"] = {"id": channel, "name": "ops"}
    body["message"] = message
    body["actions"] = [{"type": "feedback_buttons", "action_id": element["action_id"],
                        "block_id": block.get("block_id", "b1"), "value": button["value"],
                        "action_ts": "1700000000.000002"}]
    return body


async def test_feedback_on_an_answer_is_kept_and_listed_by_chatops_audit(start_slack, fake_slack, tmp_path):
    fake_slack.streaming_refusal = None
    model = ScriptedModel([reply({"tool": "ping", "args": {"host": "web1"}}), reply(answer="web1 is down")])
    slack = await start_slack(model.planner())
    event = await slack.mention("is web1 up?")
    answer = await slack.answer(CHANNEL, event["ts"], "web1 is down")
    await slack.adapter.settle()
    block = next(b for b in answer["blocks"] if b["type"] == "context_actions")
    assert block["elements"][0]["type"] == "feedback_buttons"
    assert block["elements"][0]["positive_button"]["text"] == {"type": "plain_text", "text": "Good answer",
                                                               "emoji": True}

    assert await slack.sender.interaction(feedback_click(answer, user=CAROL, channel=CHANNEL, positive=False)) == 200

    await slack.adapter.settle()
    entries = await slack.bot.store.audit_log(kind="feedback")
    assert [(e["kind"], e["actor"], e["thread_id"]) for e in entries] == [
        ("feedback.negative", f"slack:{CAROL}", f"slack:{CHANNEL}:{event['ts']}")]
    assert entries[0]["plan_id"] and "web1 is down" in entries[0]["detail"]["answer"]
    if slack.bot.config.storage.url is None:  # the CLI reads the same SQLite file
        (tmp_path / "cli").mkdir()
        (tmp_path / "cli" / "config.toml").write_text(f'[storage]\npath = "{slack.bot.config.storage.path}"\n')
        result = await asyncio.to_thread(run_cli, "audit", "--kind", "feedback", "--json", cwd=tmp_path / "cli")
        assert result.exit_code == 0, result.output
        [row] = [json.loads(line) for line in result.stdout.splitlines()]
        assert (row["kind"], row["actor"]) == ("feedback.negative", f"slack:{CAROL}")
