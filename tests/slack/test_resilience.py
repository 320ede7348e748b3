"""What goes wrong with Slack and what the adapter does about it: a 429 on a card edit, a restart
between the card and the click, an expired plan, Slack answering `ok:false`, long output."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from chatops.adapters.slack.cards import APPROVE_ACTION
from tests.conftest import ScriptedModel, reply
from tests.slack.conftest import ALICE, BOB, CAROL, CHANNEL
from tests.slack.driver import as_mention, block_actions, event_callback
from tests.slack.test_http import buttons, card_text, restart_web


async def test_a_429_on_a_card_edit_is_retried_after_retry_after_and_the_card_ends_right(start_slack):
    slack = await start_slack(restart_web().planner())
    fake = slack.fake
    event = await slack.mention("restart web")
    card = await slack.card(CHANNEL, event["ts"])
    fake.rate_limit("chat.update", times=1, retry_after=1)

    assert await slack.click(card, user=BOB) == 200

    await slack.answer(CHANNEL, event["ts"], "is back")
    await slack.adapter.settle()
    updates = fake.calls_of("chat.update")
    assert updates[0].status == 429 and updates[1].ok
    assert updates[1].at - updates[0].at >= 1.0  # Retry-After was honoured
    assert updates[1].args["ts"] == updates[0].args["ts"] == card["ts"]
    final = card_text(fake.message(CHANNEL, card["ts"]))
    assert "*Approved* by bob" in final and "✓ web restarted" in final and "✓ Done." in final
    assert slack.bot.calls.of("restart") == [{"unit": "web"}]


async def test_a_click_after_a_restart_still_works(start_slack):
    first = await start_slack(restart_web().planner())
    fake = first.fake
    event = await first.mention("restart web")
    card = await first.card(CHANNEL, event["ts"])
    plan_id = buttons(card)[0]["value"]
    await first.adapter.settle()
    await first.shutdown()

    # a new process: new store on the same file, new hub, new adapter (on a new port)
    after_restart = ScriptedModel([reply(answer="web is back")])  # its first call is round 2
    second = await start_slack(after_restart.planner())
    assert second.adapter.url != first.adapter.url
    assert await second.click(card, user=BOB) == 200

    await second.answer(CHANNEL, event["ts"], "is back")
    await second.adapter.settle()
    assert second.bot.calls.of("restart") == [{"unit": "web"}]
    assert first.bot.calls.of("restart") == []
    final = fake.message(CHANNEL, card["ts"])  # the same message was edited
    assert buttons(final) == [] and "*Approved* by bob" in card_text(final) and "✓ web restarted" in card_text(final)
    assert (await second.bot.store.get_plan(plan_id)).status.value == "succeeded"
    assert "web restarted" in after_restart.prompts[0]  # the new process planned from the stored turn

    # and Slack redelivering the original mention to the new process starts nothing
    assert await second.sender.event(event_callback(as_mention(event))) == 200
    await second.adapter.settle()
    assert len([m for m in fake.bot_replies(CHANNEL, event["ts"]) if "*Plan:*" in json.dumps(m.get("blocks"))]) == 1


async def test_an_expired_plan_shows_as_expired_and_its_buttons_only_say_so(start_slack):
    slack = await start_slack(restart_web().planner(), agent={"approval_ttl": 0.3})
    fake = slack.fake
    event = await slack.mention("restart web")
    card = await slack.card(CHANNEL, event["ts"])
    plan = await slack.bot.store.get_plan(buttons(card)[0]["value"])
    await fake.wait_for(lambda: datetime.now(UTC) > plan.expires_at, what="the approval window to pass")

    assert await slack.click(card, user=BOB) == 200

    refusal = await fake.wait_for(lambda: fake.ephemeral, what="an ephemeral answer")
    await slack.adapter.settle()
    assert "expired" in refusal[0]["text"] and refusal[0]["user"] == BOB
    final = fake.message(CHANNEL, card["ts"])
    assert buttons(final) == [] and "*Expired*" in card_text(final) and "⌛ expired" in card_text(final)
    assert slack.bot.calls.made == []
    assert any("expired" in text for text in await slack.texts(CHANNEL, event["ts"]))  # the hub's notice


async def test_slack_errors_are_logged_and_the_adapter_goes_on(start_slack, caplog):
    model = ScriptedModel([reply(answer="first answer"), reply(answer="second answer")])
    slack = await start_slack(model.planner())
    fake = slack.fake
    fake.fail("chat.postMessage", "channel_not_found", times=1)
    fake.fail("reactions.add", "missing_scope")
    fake.fail("users.info", "user_not_found", times=1)

    first = await slack.mention("one")
    await slack.adapter.settle()
    second = await slack.mention("two", user=CAROL)
    await slack.answer(CHANNEL, second["ts"], "second answer")
    await slack.adapter.settle()

    assert len(model.prompts) == 2  # the first turn ran although its answer could not be posted
    assert fake.bot_replies(CHANNEL, first["ts"]) == []
    assert "channel_not_found" in caplog.text
    history = await slack.bot.store.thread_history(f"slack:{CHANNEL}:{first['ts']}")
    assert [m["role"] for m in history] == ["user", "bot"]
    assert history[0]["user"] == ALICE  # users.info failed: the id stands in for the name


async def test_long_output_goes_beside_the_card_as_a_file(start_slack):
    """Issue 24: one message per turn. Output too long for the card's line is a snippet upload,
    never a threaded text reply (main posted outputs under 3,500 characters as a second message)."""
    medium, huge = "m" * 600, "h" * 6000
    model = ScriptedModel([reply({"tool": "ping", "args": {"host": medium}}, {"tool": "ping", "args": {"host": huge}}),
                           reply(answer="pinged")])
    slack = await start_slack(model.planner())
    fake = slack.fake
    event = await slack.mention("ping the long hosts")
    await slack.answer(CHANNEL, event["ts"], "pinged")
    await slack.adapter.settle()

    card = await slack.card(CHANNEL, event["ts"])
    text = card_text(card)
    assert "full output in the file below" in text and len(text) < 10_000
    texts = [m for m in fake.bot_replies(CHANNEL, event["ts"]) if not m.get("files")]
    assert len(texts) == 1, texts  # the card, which carries the answer; the rest are the two snippets
    assert [call.method for call in fake.calls if call.method.startswith("files.")] == [
        "files.getUploadURLExternal", "files.completeUploadExternal"] * 2
    uploads = sorted(fake.uploads.values(), key=lambda upload: len(upload["data"]))
    assert [upload["data"].decode() for upload in uploads] == [f"pong from {medium}", f"pong from {huge}"]
    assert all(upload["channel"] == CHANNEL and upload["thread_ts"] == event["ts"] for upload in uploads)
    assert all(upload["filename"].startswith("ping-") and upload["filename"].endswith(".txt") for upload in uploads)


async def test_long_answers_are_split_into_sections_or_sent_as_a_file(start_slack):
    paragraph = "All **good** here. " * 40  # ~760 characters
    long_answer, huge_answer = "\n\n".join([paragraph] * 14), "\n\n".join([paragraph] * 60)
    model = ScriptedModel([reply(answer=long_answer), reply(answer=huge_answer)])
    slack = await start_slack(model.planner())
    fake = slack.fake

    first = await slack.mention("report")
    message = await slack.answer(CHANNEL, first["ts"], "All *good* here.")
    second = await slack.mention("full report")
    await fake.wait_for(lambda: fake.uploads, what="an upload")
    await slack.adapter.settle()

    sections = [block["text"]["text"] for block in message["blocks"] if block["type"] == "section"]
    assert message["blocks"][-1]["type"] == "context_actions"  # 👍 / 👎 under the answer
    assert len(sections) > 3 and all(len(text) <= 3000 for text in sections)
    assert "".join(sections).count("All *good* here.") == 40 * 14
    assert all(call.ok for call in fake.calls_of("chat.postMessage"))  # within Slack's limits
    upload = next(iter(fake.uploads.values()))
    assert upload["filename"] == "answer.md" and upload["data"].decode() == huge_answer.strip()
    assert upload["thread_ts"] == second["ts"] and "whole answer is in the file" in upload["comment"]


async def expired_while_down(start_slack):
    """A card posted, the bot stopped, the approval window passed, the bot started again."""
    first = await start_slack(restart_web().planner(), agent={"approval_ttl": 0.3})
    event = await first.mention("restart web")
    card = await first.card(CHANNEL, event["ts"])
    plan = await first.bot.store.get_plan(buttons(card)[0]["value"])
    await first.adapter.settle()
    await first.shutdown()
    await first.fake.wait_for(lambda: datetime.now(UTC) > plan.expires_at, what="the approval window to pass")
    second = await start_slack(restart_web().planner(), agent={"approval_ttl": 0.3})
    assert (await second.bot.store.get_plan(plan.id)).status.value == "expired"  # marked by the hub's start
    assert buttons(second.fake.message(CHANNEL, card["ts"]))  # …but the card still offers its buttons
    return second, card


async def test_a_card_whose_plan_expired_while_the_bot_was_down_is_redrawn_on_start(start_slack):
    slack, card = await expired_while_down(start_slack)
    assert await slack.bot.hub.republish_settled() == 1  # what `chatops run` does once adapters listen
    await slack.adapter.settle()
    final = slack.fake.message(CHANNEL, card["ts"])
    assert buttons(final) == [] and "*Expired*" in card_text(final)


async def test_a_click_on_a_card_that_expired_while_the_bot_was_down_fixes_the_card(start_slack):
    slack, card = await expired_while_down(start_slack)
    assert await slack.click(card, user=BOB) == 200
    refusal = await slack.fake.wait_for(lambda: slack.fake.ephemeral, what="an ephemeral answer")
    await slack.adapter.settle()
    assert "expired" in refusal[0]["text"]
    final = slack.fake.message(CHANNEL, card["ts"])
    assert buttons(final) == [] and "*Expired*" in card_text(final)
    assert slack.bot.calls.made == []


async def test_malformed_and_forged_button_payloads_change_nothing(start_slack):
    slack = await start_slack(restart_web().planner())
    fake = slack.fake
    event = await slack.mention("restart web")
    card = await slack.card(CHANNEL, event["ts"])
    plan_id = buttons(card)[0]["value"]

    forged = block_actions(card, channel=CHANNEL, user=BOB, action_id=APPROVE_ACTION)
    forged["actions"][0]["value"] = "p-does-not-exist"
    assert await slack.sender.interaction(forged) == 200
    no_user = block_actions(card, channel=CHANNEL, user=BOB, action_id=APPROVE_ACTION)
    no_user["user"] = {}
    assert await slack.sender.interaction(no_user) == 200
    refusal = await fake.wait_for(lambda: fake.ephemeral, what="an answer to the forged click")
    await slack.adapter.settle()

    assert "no such plan" in refusal[0]["text"] and refusal[0]["user"] == BOB
    assert slack.bot.calls.made == []
    assert (await slack.bot.store.get_plan(plan_id)).status.value == "proposed"
    assert buttons(fake.message(CHANNEL, card["ts"]))  # the real card still waits
    assert await slack.click(card, user=BOB) == 200  # and still works
    await slack.answer(CHANNEL, event["ts"], "is back")
    assert slack.bot.calls.of("restart") == [{"unit": "web"}]
