"""Plans in Discord: a mention starts a thread, the plan card carries Approve / Deny, a click is
acknowledged at once, checked against the roles, and the card is edited as the plan runs."""

from __future__ import annotations

import discord

from chatops.adapters.discord.layout import IDS
from chatops.bot.model import PlanStatus
from tests.conftest import ScriptedModel, reply
from tests.discord.conftest import (
    ALICE,
    BOB,
    MALLORY,
    MENTION,
    buttons,
    card_plan_id,
    card_status,
    card_steps,
    cards_in,
    component,
    eventually,
    said,
)
from tests.fakes.discord_gateway import CHANNEL_ID, COMPONENTS_V2, EPHEMERAL, Person

MESSAGE_CONTENT_INTENT = 1 << 15


def restart_model(answer: str = "web restarted") -> ScriptedModel:
    return ScriptedModel([reply({"tool": "restart", "args": {"unit": "web"}, "reason": "it hangs"}),
                          reply(answer=answer)])


async def test_a_mention_starts_a_thread_with_a_plan_card_and_approving_runs_it(discord_bot, fake_discord):
    running = await discord_bot(restart_model().planner())

    request = await fake_discord.say(ALICE, f"{MENTION} restart web please")

    thread_id = request["id"]  # a thread started from a message has the message's id
    card = (await eventually(lambda: cards_in(fake_discord, thread_id), what="the plan card"))[0]
    assert fake_discord.calls_to("POST", rf"/channels/{CHANNEL_ID}/messages/{thread_id}/threads")
    assert fake_discord.channels[thread_id]["name"] == "restart web please"
    assert fake_discord.calls_to("POST", rf"/channels/{thread_id}/typing")
    assert card["flags"] & COMPONENTS_V2 and card["content"] == "" and card["embeds"] == []
    container = card["components"][0]
    assert container["type"] == 17 and container["accent_color"] == discord.Colour.orange().value
    assert component(card, IDS["heading"])["content"] == "## Plan: restart"
    assert "**1. restart** `unit=web` · 🟠 write" in card_steps(card)
    assert "it hangs" in card_steps(card)
    assert "Waiting for approval" in card_status(card)
    assert component(card, IDS["people"])["content"].startswith(f"Requested by <@{ALICE.id}>")
    plan_id = card_plan_id(card)
    assert buttons(card) == {"Approve": f"chatops:approve:{plan_id}", "Deny": f"chatops:deny:{plan_id}"}
    assert running.bot.calls.of("restart") == []  # a write step waits

    await fake_discord.click(card["id"], buttons(card)["Approve"], BOB)

    await eventually(said(fake_discord, thread_id, "web restarted"), what="the answer")
    assert running.bot.calls.of("restart") == [{"unit": "web"}]
    edited = fake_discord.messages[card["id"]]
    assert buttons(edited) == {}  # decided: no more buttons
    assert "✓ ok" in card_steps(edited)
    assert "web restarted" in card_steps(edited)  # the step's result on the card
    assert card_status(edited) == f"✅ Done · approved by <@{BOB.id}>"
    assert edited["components"][0]["accent_color"] == discord.Colour.green().value
    callback = fake_discord.interactions[next(iter(fake_discord.interactions))].callback
    assert callback == {"type": 6}  # deferred at once; the card edits follow
    assert fake_discord.ephemeral == []
    posts = fake_discord.calls_to("POST", r"/channels/\d+/messages")
    assert posts and all(call.body["allowed_mentions"] == {"parse": []} for call in posts)  # never pings
    identify = next(frame for frame in fake_discord.gateway_frames if frame["op"] == 2)
    assert identify["d"]["intents"] & MESSAGE_CONTENT_INTENT


async def test_deny_runs_nothing_and_says_who_denied(discord_bot, fake_discord):
    running = await discord_bot(restart_model().planner())
    request = await fake_discord.say(ALICE, f"{MENTION} restart web")
    card = (await eventually(lambda: cards_in(fake_discord, request["id"])))[0]

    click = await fake_discord.click(card["id"], buttons(card)["Deny"], BOB)

    modal = await eventually(lambda: fake_discord.interactions[click].modal, what="the deny modal")
    assert modal["title"] == "Deny this plan" and modal["components"][0]["type"] == 18  # a label around the input
    assert running.bot.calls.of("restart") == [] and buttons(fake_discord.messages[card["id"]])  # not yet decided
    await fake_discord.submit_modal(click, BOB, {"chatops:deny-reason": "web is being migrated"})

    denial = await eventually(said(fake_discord, request["id"], "nothing was changed"), what="the denial")
    assert "Reason: “web is being migrated”" in denial[0]
    assert running.bot.calls.of("restart") == []
    edited = fake_discord.messages[card["id"]]
    assert buttons(edited) == {}
    assert card_status(edited) == f"🚫 Denied by <@{BOB.id}>: nothing was changed"
    assert "⊘ denied" in card_steps(edited)
    [decided] = await running.bot.store.audit_log(kind="plan.decided")
    assert decided["detail"]["note"] == "web is being migrated"


async def test_a_deny_click_without_the_role_gets_no_modal_only_a_private_refusal(discord_bot, fake_discord):
    running = await discord_bot(restart_model().planner())
    request = await fake_discord.say(ALICE, f"{MENTION} restart web")
    card = (await eventually(lambda: cards_in(fake_discord, request["id"])))[0]

    click = await fake_discord.click(card["id"], buttons(card)["Deny"], MALLORY)

    refusal = await eventually(lambda: fake_discord.ephemeral_for(MALLORY), what="the refusal")
    assert "You cannot deny this plan" in refusal[0]["content"]
    assert fake_discord.interactions[click].modal is None
    assert buttons(fake_discord.messages[card["id"]])  # still waiting
    assert running.bot.calls.of("restart") == []


async def test_a_click_without_the_role_is_refused_privately_and_nothing_runs(discord_bot, fake_discord):
    running = await discord_bot(restart_model().planner())
    request = await fake_discord.say(ALICE, f"{MENTION} restart web")
    card = (await eventually(lambda: cards_in(fake_discord, request["id"])))[0]
    before = [m["content"] for m in fake_discord.bot_messages_in(request["id"])]

    await fake_discord.click(card["id"], buttons(card)["Approve"], MALLORY)

    typing_before = len(fake_discord.calls_to("POST", rf"/channels/{request['id']}/typing"))
    refusal = (await eventually(lambda: fake_discord.ephemeral_for(MALLORY), what="the ephemeral refusal"))[0]
    assert refusal["content"] == "You cannot approve this plan: approving a write step needs the role: oncall."
    assert len(fake_discord.calls_to("POST", rf"/channels/{request['id']}/typing")) == typing_before
    assert refusal["flags"] & EPHEMERAL
    assert running.bot.calls.of("restart") == []
    plan_id = buttons(card)["Approve"].rsplit(":", 1)[1]
    assert (await running.bot.store.get_plan(plan_id)).status is PlanStatus.proposed
    assert [m["content"] for m in fake_discord.bot_messages_in(request["id"])] == before  # nothing public
    assert fake_discord.messages[card["id"]]["components"]  # the buttons stay for someone allowed

    await fake_discord.click(card["id"], buttons(card)["Approve"], BOB)  # someone with the role can
    await eventually(lambda: running.bot.calls.of("restart"), what="the approved restart")
    assert len(fake_discord.calls_to("POST", rf"/channels/{request['id']}/typing")) > typing_before


async def test_two_clicks_run_the_plan_once(discord_bot, fake_discord):
    running = await discord_bot(restart_model().planner())
    request = await fake_discord.say(ALICE, f"{MENTION} restart web")
    card = (await eventually(lambda: cards_in(fake_discord, request["id"])))[0]

    await fake_discord.click(card["id"], buttons(card)["Approve"], BOB)
    await fake_discord.click(card["id"], buttons(card)["Approve"], ALICE)  # before the first one's edit

    second = (await eventually(lambda: fake_discord.ephemeral_for(ALICE), what="the second clicker's answer"))[0]
    assert second["content"].startswith("You cannot approve this plan: the plan is already ")
    await eventually(said(fake_discord, request["id"], "web restarted"))
    assert running.bot.calls.of("restart") == [{"unit": "web"}]
    assert fake_discord.ephemeral_for(BOB) == []
    assert [i.callback for i in fake_discord.interactions.values()] == [{"type": 6}, {"type": 6}]


async def test_a_danger_step_needs_someone_other_than_the_requester(discord_bot, fake_discord):
    model = ScriptedModel([reply({"tool": "drop_database", "args": {"name": "staging"}}), reply(answer="dropped")])
    running = await discord_bot(model.planner())
    request = await fake_discord.say(ALICE, f"{MENTION} drop the staging database")
    card = (await eventually(lambda: cards_in(fake_discord, request["id"])))[0]
    assert "🔴 danger" in card_steps(card)

    await fake_discord.click(card["id"], buttons(card)["Approve"], ALICE)

    refusal = (await eventually(lambda: fake_discord.ephemeral_for(ALICE)))[0]
    assert "an approver other than the requester" in refusal["content"]
    assert running.bot.calls.of("drop_database") == []

    await fake_discord.click(card["id"], buttons(card)["Approve"], BOB)
    await eventually(said(fake_discord, request["id"], "dropped"))
    assert running.bot.calls.of("drop_database") == [{"name": "staging"}]


async def test_roles_list_discord_user_ids_and_role_ids(discord_bot, fake_discord):
    """`[roles.oncall] discord = ["<user id>", "role:<role id>"]`: Mallory by her id, Carol by a
    role created after the bot connected (not in its cache: the ids the gateway sent count)."""
    carol = Person("1300000000000000013", "carol", ("1300000000000000999",))
    model = ScriptedModel([reply({"tool": "restart", "args": {"unit": "web"}}), reply(answer="restarted")] * 2)
    running = await discord_bot(model.planner(),
                                roles={"oncall": {"discord": [MALLORY.id, "role:1300000000000000999"]}})

    first = await fake_discord.say(ALICE, f"{MENTION} restart web")
    card = (await eventually(lambda: cards_in(fake_discord, first["id"])))[0]
    await fake_discord.click(card["id"], buttons(card)["Approve"], BOB)  # has the old role only
    refusal = (await eventually(lambda: fake_discord.ephemeral_for(BOB)))[0]
    assert "needs the role: oncall" in refusal["content"]
    await fake_discord.click(card["id"], buttons(card)["Approve"], MALLORY)
    await eventually(said(fake_discord, first["id"], "restarted"))

    second = await fake_discord.say(ALICE, f"{MENTION} restart web again")
    card = (await eventually(lambda: cards_in(fake_discord, second["id"])))[0]
    await fake_discord.click(card["id"], buttons(card)["Approve"], carol)
    await eventually(said(fake_discord, second["id"], "restarted"))
    assert running.bot.calls.of("restart") == [{"unit": "web"}, {"unit": "web"}]


async def test_an_expired_plan_loses_its_buttons(discord_bot, fake_discord):
    running = await discord_bot(restart_model().planner(), agent={"approval_ttl": 0.2})
    request = await fake_discord.say(ALICE, f"{MENTION} restart web")
    card = (await eventually(lambda: cards_in(fake_discord, request["id"])))[0]

    # the hub's expiry sweep, run by hand (the test bot's own sweeper sleeps for an hour)
    await eventually(running.bot.hub.expire_due, what="the plan to expire")

    await eventually(said(fake_discord, request["id"], "expired after"), what="the expiry notice")
    edited = fake_discord.messages[card["id"]]
    assert buttons(edited) == {}
    assert card_status(edited) == "⌛ Expired: nothing that needed approval was run"
    assert running.bot.calls.of("restart") == []


async def test_a_plan_in_a_dm_is_approved_there_by_user_id(discord_bot, fake_discord):
    running = await discord_bot(restart_model().planner(), roles={"oncall": {"discord": [ALICE.id]}})
    dm = fake_discord.dm_channel(ALICE)

    await fake_discord.say(ALICE, "restart web", channel_id=dm)
    card = (await eventually(lambda: cards_in(fake_discord, dm)))[0]
    await fake_discord.click(card["id"], buttons(card)["Approve"], ALICE)  # a DM click carries `user`, no roles

    await eventually(said(fake_discord, dm, "web restarted"))
    assert running.bot.calls.of("restart") == [{"unit": "web"}]
    assert card_status(fake_discord.messages[card["id"]]) == f"✅ Done · approved by <@{ALICE.id}>"


async def test_approving_only_some_steps_from_the_menu_runs_those_and_skips_the_rest(discord_bot, fake_discord):
    both = ({"tool": "restart", "args": {"unit": "web"}}, {"tool": "restart", "args": {"unit": "db"}})
    running = await discord_bot(ScriptedModel([reply(*both, goal="restart web and db"),
                                               reply(answer="db restarted")]).planner())
    request = await fake_discord.say(ALICE, f"{MENTION} restart web and db")
    card = (await eventually(lambda: cards_in(fake_discord, request["id"])))[0]
    menu = component(card, IDS["choice"])["components"][0]
    assert menu["type"] == 3 and menu["custom_id"].startswith("chatops:only:")
    assert [o["label"] for o in menu["options"]] == ["1. restart unit=web", "2. restart unit=db"]

    await fake_discord.choose(card["id"], menu["custom_id"], [menu["options"][1]["value"]], BOB)

    await eventually(said(fake_discord, request["id"], "db restarted"), what="the answer")
    assert running.bot.calls.of("restart") == [{"unit": "db"}]
    edited = fake_discord.messages[card["id"]]
    assert buttons(edited) == {} and "– skipped" in card_steps(edited)
    [decided] = await running.bot.store.audit_log(kind="plan.decided")
    assert decided["detail"]["steps"] == [menu["options"][1]["value"]]
