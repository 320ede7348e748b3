"""The Slack adapter in HTTP mode, driven as Slack drives it: signed requests to `/slack/events`
(events as JSON, clicks as `payload=` forms), answered by a fake Web API that records every call."""

from __future__ import annotations

import asyncio
import json
import time

from chatops.adapters.slack.cards import APPROVE_ACTION, DENY_ACTION
from chatops.bot.model import PlanStatus
from tests.conftest import ScriptedModel, reply
from tests.fakes.slack_api import BOT_USER_ID
from tests.polling import eventually
from tests.slack.conftest import ALICE, BOB, CAROL, CHANNEL
from tests.slack.driver import as_mention, event_callback, sign


def restart_web() -> ScriptedModel:
    return ScriptedModel([reply({"tool": "restart", "args": {"unit": "web"}, "reason": "the user asked"},
                                goal="restart web"),
                          reply(answer="**web** is back: see [the runbook](https://wiki.example.com/web)")])


def buttons(card: dict) -> list[dict]:
    return [e for b in card.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def card_text(card: dict) -> str:
    return json.dumps(card.get("blocks", []), ensure_ascii=False)


async def test_mention_card_approve_result(start_slack):
    model = restart_web()
    slack = await start_slack(model.planner())
    fake = slack.fake

    event = await slack.mention("restart web please")
    card = await slack.card(CHANNEL, event["ts"])

    # the card is in the thread of the mention, with buttons that carry only the plan id
    assert card["thread_ts"] == event["ts"]
    plan_id = buttons(card)[0]["value"]
    assert [(b["action_id"], b["value"]) for b in buttons(card)] == [(APPROVE_ACTION, plan_id), (DENY_ACTION, plan_id)]
    assert "restart web" in card_text(card) and "unit=web" in card_text(card) and "`write`" in card_text(card)
    assert slack.bot.calls.of("restart") == []
    # the card's place is stored just after Slack answers the post: wait for it, do not race it
    stored = await eventually(lambda: slack.bot.store.ref_of("slack", "plan_card", plan_id), what="the card's ref")
    assert stored == {"channel": CHANNEL, "ts": card["ts"], "thread_ts": event["ts"]}
    assert "restart web please" in model.prompts[0] and BOT_USER_ID not in model.prompts[0]  # mention removed

    assert await slack.click(card, user=BOB) == 200  # bob holds oncall through the user group

    answer = await slack.answer(CHANNEL, event["ts"], "is back")
    assert answer["text"].startswith("*web* is back: see <https://wiki.example.com/web|the runbook>")
    assert slack.bot.calls.of("restart") == [{"unit": "web"}]
    await slack.adapter.settle()
    final = fake.message(CHANNEL, card["ts"])
    assert buttons(final) == []  # decided: no more buttons
    text = card_text(final)
    assert "*Approved* by bob" in text and "<!date^" in text
    assert "✓ web restarted" in text and "✓ Done." in text
    updates = fake.calls_of("chat.update", ok_only=True)
    assert updates and all(call.args["ts"] == card["ts"] for call in updates)
    stored = await slack.bot.store.get_plan(plan_id)
    assert stored.status is PlanStatus.succeeded and stored.steps[0].decided_by == f"slack:{BOB}"
    # working status: no assistant thread here, so 👀 on the message while working, ✅ when done
    assert fake.reactions_on(CHANNEL, event["ts"]) == ["white_check_mark"]
    assert [c.args["name"] for c in fake.calls_of("reactions.add", ok_only=True)][:1] == ["eyes"]
    assert fake.ephemeral == []


async def test_deny(start_slack):
    slack = await start_slack(restart_web().planner())
    event = await slack.mention("restart web")
    card = await slack.card(CHANNEL, event["ts"])

    await slack.deny(card, user=ALICE)

    await slack.answer(CHANNEL, event["ts"], "Denied by alice: nothing was changed.")
    await slack.adapter.settle()
    assert slack.bot.calls.made == []
    final = slack.fake.message(CHANNEL, card["ts"])
    assert buttons(final) == [] and "*Denied* by alice" in card_text(final) and "🚫 denied" in card_text(final)


async def test_a_click_without_the_role_is_refused_privately_and_runs_nothing(start_slack):
    slack = await start_slack(restart_web().planner())
    fake = slack.fake
    event = await slack.mention("restart web")
    card = await slack.card(CHANNEL, event["ts"])
    posted_before = len(fake.bot_replies(CHANNEL, event["ts"]))

    assert await slack.click(card, user=CAROL) == 200

    refusal = await fake.wait_for(lambda: fake.ephemeral, what="an ephemeral refusal")
    await slack.adapter.settle()
    assert refusal[0]["user"] == CAROL and refusal[0]["channel"] == CHANNEL
    assert refusal[0]["thread_ts"] == event["ts"]
    assert "needs the role: oncall" in refusal[0]["text"]
    assert slack.bot.calls.made == []
    assert len(fake.bot_replies(CHANNEL, event["ts"])) == posted_before  # nothing public about it
    plan_id = buttons(card)[0]["value"]
    assert (await slack.bot.store.get_plan(plan_id)).status is PlanStatus.proposed
    assert buttons(fake.message(CHANNEL, card["ts"]))  # still waiting for someone allowed
    assert fake.calls_of("reactions.add") == [c for c in fake.calls_of("reactions.add") if c.args["timestamp"]
                                              != card["ts"]]  # no 👀 on the card for a refused click


async def test_a_double_click_runs_once(start_slack):
    slack = await start_slack(restart_web().planner())
    event = await slack.mention("restart web")
    card = await slack.card(CHANNEL, event["ts"])

    statuses = await asyncio.gather(slack.click(card, user=BOB), slack.click(card, user=BOB))

    assert statuses == [200, 200]
    await slack.answer(CHANNEL, event["ts"], "is back")
    await slack.adapter.settle()
    assert slack.bot.calls.of("restart") == [{"unit": "web"}]
    assert len(slack.fake.ephemeral) == 1 and "already" in slack.fake.ephemeral[0]["text"]
    assert "*Approved* by bob" in card_text(slack.fake.message(CHANNEL, card["ts"]))


async def test_the_same_message_delivered_three_times_is_one_turn(start_slack):
    model = ScriptedModel([reply({"tool": "ping", "args": {"host": "db1"}}), reply(answer="db1 answers")])
    slack = await start_slack(model.planner())
    fake = slack.fake
    event = fake.user_message(CHANNEL, ALICE, f"<@{fake.bot_user_id}> is db1 alive?")
    mention = event_callback(as_mention(event), event_id="Ev0MENTION1")

    # the mention, Slack's retry of it, and the `message.channels` event of the same message
    assert await slack.sender.event(mention) == 200
    assert await slack.sender.event(mention, retry_num=1) == 200
    assert await slack.sender.event(event_callback(event, event_id="Ev0MESSAGE1")) == 200
    await slack.adapter.settle()

    await slack.answer(CHANNEL, event["ts"], "db1 answers")
    assert len(model.prompts) == 2  # one turn: a plan, then the answer from its result
    assert slack.bot.calls.of("ping") == [{"host": "db1"}]
    assert len([m for m in fake.bot_replies(CHANNEL, event["ts"]) if "db1 answers" in m["text"]]) == 1
    assert len(await slack.bot.store.thread_history(f"slack:{CHANNEL}:{event['ts']}")) == 2  # the message, the answer


async def test_bad_signature_and_stale_timestamp_are_refused_and_nothing_is_stored(start_slack):
    model = restart_web()
    slack = await start_slack(model.planner())
    fake = slack.fake
    event = fake.user_message(CHANNEL, ALICE, f"<@{fake.bot_user_id}> restart web")
    body = json.dumps(event_callback(as_mention(event))).encode()
    stale = int(time.time()) - 301

    bad, _ = await slack.sender.post(body, "application/json", signature="v0=" + "0" * 64)
    forged, _ = await slack.sender.post(body, "application/json",
                                        signature=sign("not-the-secret", str(int(time.time())), body))
    old, _ = await slack.sender.post(body, "application/json", timestamp=stale)

    assert (bad, forged, old) == (401, 401, 401)
    await slack.adapter.settle()
    assert not await slack.bot.store.thread_exists(f"slack:{CHANNEL}:{event['ts']}")
    assert model.prompts == []
    assert fake.calls_of("chat.postMessage") == [] and fake.calls_of("reactions.add") == []


async def test_messages_that_are_not_for_the_bot_are_ignored(start_slack):
    from tests.slack.driver import payload

    model = ScriptedModel([reply(answer="hello")])
    slack = await start_slack(model.planner())
    fake = slack.fake
    plain = fake.user_message(CHANNEL, ALICE, "just chatting, not to the bot")
    edited = {**payload("message_changed"), "channel": CHANNEL}
    deleted = {**payload("message_deleted"), "channel": CHANNEL}
    other_bot = {**payload("message_bot"), "channel": CHANNEL}
    ourselves = {**payload("message_from_an_app"), "channel": CHANNEL, "user": fake.bot_user_id}
    for event in (plain, edited, deleted, other_bot, ourselves):
        assert await slack.sender.event(event_callback(event)) == 200
    await slack.adapter.settle()

    assert model.prompts == []
    assert fake.calls_of("chat.postMessage") == []


async def test_a_dm_and_a_reply_in_a_known_thread_start_turns_without_a_mention(start_slack):
    model = ScriptedModel([reply(answer="hello there")])
    slack = await start_slack(model.planner())
    fake = slack.fake

    dm = fake.user_message("D0ALICE001", ALICE, "hi bot")
    assert await slack.sender.event(event_callback(dm)) == 200
    await slack.answer("D0ALICE001", dm["ts"], "hello there")

    first = await slack.mention("hello")
    await slack.answer(CHANNEL, first["ts"], "hello there")
    follow_up = fake.user_message(CHANNEL, BOB, "and me?", thread_ts=first["ts"])
    stranger = fake.user_message(CHANNEL, BOB, "unrelated thread", thread_ts=fake.next_ts())
    assert await slack.sender.event(event_callback(follow_up)) == 200
    assert await slack.sender.event(event_callback(stranger)) == 200
    await slack.adapter.settle()

    assert len(model.prompts) == 3  # the DM, the mention, the reply in the bot's thread
    assert "and me?" in model.prompts[2]
    assert len([m for m in fake.bot_replies(CHANNEL, first["ts"]) if m["text"] == "hello there"]) == 2


async def test_the_url_verification_challenge_is_answered(start_slack):
    slack = await start_slack(restart_web().planner())
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": challenge, "type": "url_verification"})

    status, text = await slack.sender.post(body.encode(), "application/json")

    assert status == 200 and json.loads(text) == {"challenge": challenge}


async def test_a_danger_step_needs_an_approver_other_than_the_requester(start_slack):
    model = ScriptedModel([reply({"tool": "drop_database", "args": {"name": "scratch"}}), reply(answer="dropped")])
    slack = await start_slack(model.planner())
    fake = slack.fake
    event = await slack.mention("drop the scratch database")  # alice asks; alice holds oncall
    card = await slack.card(CHANNEL, event["ts"])
    approve = buttons(card)[0]
    assert "confirm" in approve and "`danger`" in card_text(card)

    assert await slack.click(card, user=ALICE) == 200
    refusal = await fake.wait_for(lambda: fake.ephemeral, what="the refusal")
    assert refusal[0]["user"] == ALICE and "other than the requester" in refusal[0]["text"]
    assert slack.bot.calls.made == []

    assert await slack.click(card, user=BOB) == 200
    await slack.answer(CHANNEL, event["ts"], "dropped")
    await slack.adapter.settle()
    assert slack.bot.calls.of("drop_database") == [{"name": "scratch"}]
    assert "*Approved* by bob" in card_text(fake.message(CHANNEL, card["ts"]))


async def test_a_turn_that_fails_says_so_in_the_thread_and_marks_the_message(start_slack):
    slack = await start_slack(ScriptedModel([reply(answer="handled on the retry")]).planner())
    working_handle = slack.bot.hub.handle

    async def broken_handle(inbound, **_options):
        raise RuntimeError("the database is on fire")

    slack.bot.hub.handle = broken_handle  # a failure after the ack, inside the adapter's own work
    event = await slack.mention("restart web")
    apology = await slack.answer(CHANNEL, event["ts"], "Sorry, something went wrong")
    await slack.adapter.settle()
    assert "RuntimeError" in apology["text"] and "on fire" not in apology["text"]  # no internals in the thread
    assert slack.fake.reactions_on(CHANNEL, event["ts"]) == ["x"]

    # Slack's retry of the same event is not dropped as a duplicate: the failed turn gets its second chance
    slack.bot.hub.handle = working_handle
    assert await slack.sender.event(event_callback(as_mention(event)), retry_num=1) == 200
    await slack.answer(CHANNEL, event["ts"], "handled on the retry")


async def test_deny_asks_why_and_the_reason_goes_to_the_thread_and_the_audit_log(start_slack):
    slack = await start_slack(restart_web().planner())
    event = await slack.mention("restart web")
    card = await slack.card(CHANNEL, event["ts"])

    assert await slack.click(card, user=CAROL, approve=False) == 200  # no role: told privately, no modal
    await slack.fake.wait_for(lambda: slack.fake.ephemeral, what="the refusal")
    assert slack.fake.modals == [] and "Your denial was not applied" in slack.fake.ephemeral[0]["text"]

    modal = await slack.deny(card, user=BOB, reason="web is being migrated, wait for #ops-123")

    assert modal["title"]["text"] == "Deny this plan" and "restart web" in json.dumps(modal["blocks"])
    answer = await slack.answer(CHANNEL, event["ts"], "Denied by bob")
    assert "Reason: “web is being migrated, wait for #ops-123”" in answer["text"]
    entries = await slack.bot.store.audit_log(kind="plan.decided")
    assert [(e["actor"], e["detail"]["decision"], e["detail"]["note"]) for e in entries] == [
        (f"slack:{BOB}", "deny", "web is being migrated, wait for #ops-123")]
    assert slack.bot.calls.of("restart") == []


async def test_approving_only_some_steps_runs_those_and_the_card_and_audit_say_which(start_slack):
    both = ({"tool": "restart", "args": {"unit": "web"}}, {"tool": "restart", "args": {"unit": "db"}})
    model = ScriptedModel([reply(*both, goal="restart web and db"),
                           reply(answer="db restarted; web left alone")])
    slack = await start_slack(model.planner())
    event = await slack.mention("restart web and db")
    card = await slack.card(CHANNEL, event["ts"])
    box = next(e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"] if e["type"] == "checkboxes")
    assert [o["text"]["text"] for o in box["options"]] == ["1. restart unit=web", "2. restart unit=db"]
    assert box["initial_options"] == box["options"]  # all ticked: Approve alone approves the whole plan
    db_step = box["options"][1]["value"]

    assert await slack.click(card, user=BOB, ticked=[db_step]) == 200

    await slack.answer(CHANNEL, event["ts"], "web left alone")
    await slack.adapter.settle()
    assert slack.bot.calls.of("restart") == [{"unit": "db"}]
    text = card_text(slack.fake.message(CHANNEL, card["ts"]))
    assert "*Approved* (only step 2; the others skipped) by bob" in text
    assert "– skipped" in text and "db restarted" in text
    [decided] = await slack.bot.store.audit_log(kind="plan.decided")
    assert decided["detail"]["steps"] == [db_step]


async def test_approving_with_nothing_ticked_is_refused_privately(start_slack):
    both = ({"tool": "restart", "args": {"unit": "web"}}, {"tool": "restart", "args": {"unit": "db"}})
    model = ScriptedModel([reply(*both)])
    slack = await start_slack(model.planner())
    event = await slack.mention("restart web and db")
    card = await slack.card(CHANNEL, event["ts"])

    assert await slack.click(card, user=BOB, ticked=[]) == 200

    await slack.fake.wait_for(lambda: slack.fake.ephemeral, what="the refusal")
    assert "choose at least one of the plan's waiting steps" in slack.fake.ephemeral[0]["text"]
    assert slack.bot.calls.of("restart") == []
