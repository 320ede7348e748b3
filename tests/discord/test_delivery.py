"""Delivery: a message seen twice (a repeated MESSAGE_CREATE, or events replayed after a gateway
RESUME) is one turn; buttons posted before a restart still work after it; DMs and `/ops`."""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord.http import Route

from chatops.adapters.discord import DiscordAdapter
from tests.conftest import ScriptedModel, reply
from tests.discord.conftest import (
    ALICE,
    BOB,
    MENTION,
    buttons,
    card_status,
    card_steps,
    cards_in,
    discord_sections,
    eventually,
    said,
)
from tests.fakes.discord_gateway import CHANNEL_ID, EPHEMERAL, GUILD_ID, FakeDiscord, Person


async def test_the_same_message_delivered_twice_is_one_turn(discord_bot, fake_discord):
    model = ScriptedModel([reply(answer="first answer"), reply(answer="second answer")])
    running = await discord_bot(model.planner())
    request = await fake_discord.say(ALICE, f"{MENTION} is web1 up?")
    thread_id = request["id"]
    await eventually(said(fake_discord, thread_id, "first answer"))

    await fake_discord.redeliver(request)
    # Events are handled in order and turns in one thread one at a time, so once the next
    # message is answered the repeat has been handled too.
    await fake_discord.say(ALICE, "and web2?", channel_id=thread_id)
    await eventually(said(fake_discord, thread_id, "second answer"))

    assert fake_discord.deliveries_of("MESSAGE_CREATE", request["id"]) == 2
    assert len(model.prompts) == 2  # the repeat never reached the planner
    assert len(fake_discord.calls_to("POST", rf"/channels/{CHANNEL_ID}/messages/\d+/threads")) == 1
    assert len(fake_discord.bot_messages_in(thread_id)) == 2
    history = await running.bot.store.thread_history(f"discord:{GUILD_ID}:{thread_id}")
    assert [m["text"] for m in history if m["role"] == "user"] == ["is web1 up?", "and web2?"]


async def test_events_replayed_after_a_resume_start_no_second_turn(discord_bot, fake_discord):
    model = ScriptedModel([reply(answer="first answer"), reply(answer="after the resume")])
    await discord_bot(model.planner())
    before = fake_discord.last_sequence()
    request = await fake_discord.say(ALICE, f"{MENTION} is web1 up?")
    thread_id = request["id"]
    await eventually(said(fake_discord, thread_id, "first answer"))

    # Discord asks the bot to reconnect; on RESUME it replays everything since `before`,
    # the mention (and the thread's creation, and the bot's own messages) included.
    await fake_discord.reconnect(replay_from=before)
    await eventually(lambda: fake_discord.resumes, what="RESUME")
    await fake_discord.say(ALICE, "and now?", channel_id=thread_id)
    await eventually(said(fake_discord, thread_id, "after the resume"))

    resume = fake_discord.resumes[0]
    assert resume["seq"] > before and resume["session_id"]
    assert fake_discord.connections == 2
    assert fake_discord.deliveries_of("MESSAGE_CREATE", request["id"]) == 2  # the mention, replayed
    assert len(model.prompts) == 2
    assert len(fake_discord.calls_to("POST", rf"/channels/{CHANNEL_ID}/messages/\d+/threads")) == 1
    assert len(fake_discord.bot_messages_in(thread_id)) == 2


async def test_buttons_posted_before_a_restart_still_work_after_it(discord_bot, fake_discord):
    first = await discord_bot(ScriptedModel([reply({"tool": "restart", "args": {"unit": "web"}})]).planner())
    request = await fake_discord.say(ALICE, f"{MENTION} restart web")
    card = (await eventually(lambda: cards_in(fake_discord, request["id"])))[0]
    await first.stop()  # the process ends: adapter, hub and store all closed

    model = ScriptedModel([reply(answer="web restarted after the restart")])
    second = await discord_bot(model.planner())  # a new store on the same file, a new client
    assert fake_discord.connections == 2
    await fake_discord.click(card["id"], buttons(card)["Approve"], BOB)

    await eventually(said(fake_discord, request["id"], "web restarted after the restart"))
    assert second.bot.calls.of("restart") == [{"unit": "web"}]
    assert first.bot.calls.of("restart") == []
    edited = fake_discord.messages[card["id"]]  # the same card, edited by the new process
    assert buttons(edited) == {}
    assert card_status(edited) == f"✅ Done · approved by <@{BOB.id}>"
    assert len(cards_in(fake_discord, request["id"])) == 1


async def test_a_card_whose_plan_expired_while_the_bot_was_down_is_brought_up_to_date(discord_bot, fake_discord):
    planner = ScriptedModel([reply({"tool": "restart", "args": {"unit": "web"}})]).planner()
    first = await discord_bot(planner, agent={"approval_ttl": 0.3})
    request = await fake_discord.say(ALICE, f"{MENTION} restart web")
    card = (await eventually(lambda: cards_in(fake_discord, request["id"])))[0]
    await first.stop()
    await asyncio.sleep(0.4)  # the approval window passes while the bot is down

    second = await discord_bot(planner, agent={"approval_ttl": 0.3})
    assert buttons(fake_discord.messages[card["id"]])  # the card still offers its buttons
    assert await second.bot.hub.republish_settled() == 1  # what `chatops run` does once adapters listen
    await eventually(lambda: buttons(fake_discord.messages[card["id"]]) == {}, what="the buttons to go")
    assert second.bot.calls.of("restart") == []


async def test_dms_can_be_switched_off(discord_bot, fake_discord):
    model = ScriptedModel([reply(answer="answered")])
    await discord_bot(model.planner(), discord={**discord_sections(fake_discord)["discord"], "dms": False})
    dm = fake_discord.dm_channel(ALICE)
    await fake_discord.say(ALICE, "ping db1 please", channel_id=dm)
    request = await fake_discord.say(ALICE, f"{MENTION} hello")  # a server mention still works (and comes after)
    await eventually(said(fake_discord, request["id"], "answered"))
    assert len(model.prompts) == 1 and "hello" in model.prompts[0]
    assert cards_in(fake_discord, dm) == [] and not said(fake_discord, dm, "answered")()


async def test_a_dm_is_its_own_thread(discord_bot, fake_discord):
    model = ScriptedModel([reply({"tool": "ping", "args": {"host": "db1"}}), reply(answer="db1 answers")])
    running = await discord_bot(model.planner())
    dm = fake_discord.dm_channel(ALICE)

    await fake_discord.say(ALICE, "ping db1 please", channel_id=dm)

    await eventually(said(fake_discord, dm, "db1 answers"))
    assert running.bot.calls.of("ping") == [{"host": "db1"}]
    assert not fake_discord.calls_to("POST", r"/channels/\d+/messages/\d+/threads")
    card = cards_in(fake_discord, dm)[0]  # read-only: a card without buttons, showing the result
    assert buttons(card) == {}
    assert "pong from db1" in card_steps(card)
    assert await running.bot.store.thread_exists(f"discord:dm:{dm}")


async def test_messages_that_are_not_for_the_bot_are_ignored(discord_bot, fake_discord):
    elsewhere = fake_discord.add_text_channel("random")
    model = ScriptedModel([reply(answer="answered")])
    await discord_bot(model.planner(), discord={**discord_sections(fake_discord)["discord"], "channels": [CHANNEL_ID]})
    other_bot = Person("1300000000000000099", "otherbot", bot=True)

    await fake_discord.say(ALICE, "just chatting, no mention")
    await fake_discord.say(ALICE, MENTION)  # a bare mention: nothing to act on
    await fake_discord.say(other_bot, f"{MENTION} restart everything")
    await fake_discord.say(ALICE, f"{MENTION} not in this channel", channel_id=elsewhere)
    request = await fake_discord.say(ALICE, f"{MENTION} hello")
    await eventually(said(fake_discord, request["id"], "answered"))

    assert len(model.prompts) == 1 and "hello" in model.prompts[0]
    assert len(fake_discord.calls_to("POST", r"/channels/\d+/messages/\d+/threads")) == 1


async def test_a_mention_of_the_bots_role_counts_as_a_mention(discord_bot, fake_discord):
    model = ScriptedModel([reply(answer="answered")])
    await discord_bot(model.planner())
    bot_role = next(role["id"] for role in fake_discord.guild["roles"] if role.get("tags", {}).get("bot_id"))

    request = await fake_discord.say(ALICE, f"<@&{bot_role}> is web1 up?")

    await eventually(said(fake_discord, request["id"], "answered"))
    assert fake_discord.channels[request["id"]]["name"] == "is web1 up?"
    assert "is web1 up?" in model.prompts[0] and bot_role not in model.prompts[0]


async def test_the_ops_command_works_like_a_mention(discord_bot, fake_discord):
    model = ScriptedModel([reply({"tool": "ping", "args": {"host": "web1"}}), reply(answer="web1 is up")])
    running = await discord_bot(model.planner())
    assert [c["name"] for c in fake_discord.commands[GUILD_ID]] == ["ops"]

    interaction_id = await fake_discord.slash(ALICE, "is web1 up?")

    interaction = fake_discord.interactions[interaction_id]
    await eventually(lambda: interaction.original_id in fake_discord.channels, what="the thread")
    thread_id = interaction.original_id
    assert interaction.callback["type"] == 4
    assert fake_discord.messages[thread_id]["content"] == f"<@{ALICE.id}> asked: is web1 up?"
    await eventually(said(fake_discord, thread_id, "web1 is up"))
    assert running.bot.calls.of("ping") == [{"host": "web1"}]
    assert "is web1 up?" in model.prompts[0]


async def test_a_wrong_token_stops_the_start_with_discords_refusal(make_bot, fake_discord):
    sections = discord_sections(fake_discord)
    sections["discord"]["token"] = "MTIz.wrong.token"
    bot = await make_bot(None, **sections)
    adapter = DiscordAdapter(bot.runtime())
    base = Route.BASE

    with pytest.raises(discord.LoginFailure):
        await adapter.start()

    assert base == Route.BASE  # discord.py's endpoints are put back
    assert fake_discord.connections == 0


class BrokenPlanner:
    """A planner with a bug (not a PlannerError, which the hub answers itself)."""

    reviews_results = True

    async def plan(self, request):
        raise RuntimeError("a bug in the planner")


async def test_a_turn_that_fails_unexpectedly_is_apologised_for(discord_bot, fake_discord):
    await discord_bot(BrokenPlanner())

    request = await fake_discord.say(ALICE, f"{MENTION} is web1 up?")

    apology = await eventually(said(fake_discord, request["id"], "something went wrong"))
    assert apology == ["❌ Sorry, something went wrong while handling that (RuntimeError). Nothing more was run."]


async def test_without_the_message_content_intent_enabled_the_start_says_so(make_bot):
    async with FakeDiscord(message_content_enabled=False) as fake:
        bot = await make_bot(None, **discord_sections(fake))
        adapter = DiscordAdapter(bot.runtime(),
                                 guild_ready_timeout=0.05)

        with pytest.raises(discord.PrivilegedIntentsRequired, match="privileged intents"):
            await adapter.start()


async def test_without_permission_to_start_threads_it_answers_in_the_channel(discord_bot, fake_discord):
    fake_discord.thread_permission = False
    model = ScriptedModel([reply(answer="answered here")])
    await discord_bot(model.planner())

    request = await fake_discord.say(ALICE, f"{MENTION} is web1 up?")

    await eventually(said(fake_discord, CHANNEL_ID, "answered here"))
    assert fake_discord.calls_to("POST", rf"/channels/{CHANNEL_ID}/messages/{request['id']}/threads")[0].status == 403


async def test_the_ops_command_as_documented_without_a_channel_object_works(discord_bot, fake_discord):
    """Discord's own example interaction carries `channel_id` and no `channel` (nor `version`,
    `application_id`, `attachment_size_limit`): the channel is fetched by id and the turn runs."""
    model = ScriptedModel([reply({"tool": "ping", "args": {"host": "web1"}}), reply(answer="web1 is up")])
    running = await discord_bot(model.planner())

    interaction_id = await fake_discord.slash_documented(ALICE, "is web1 up?")

    interaction = fake_discord.interactions[interaction_id]
    await eventually(lambda: interaction.original_id in fake_discord.channels, what="the thread")
    thread_id = interaction.original_id
    assert fake_discord.channels[thread_id]["parent_id"] == CHANNEL_ID
    assert fake_discord.messages[thread_id]["content"] == f"<@{ALICE.id}> asked: is web1 up?"
    await eventually(said(fake_discord, thread_id, "web1 is up"))
    assert running.bot.calls.of("ping") == [{"host": "web1"}]


async def test_the_documented_ops_command_in_a_dm_answers_in_the_dm(discord_bot, fake_discord):
    model = ScriptedModel([reply(answer="hello there")])
    await discord_bot(model.planner())
    dm = fake_discord.dm_channel(ALICE)

    await fake_discord.slash_documented(ALICE, "hi", channel_id=dm)

    await eventually(said(fake_discord, dm, "hello there"))


async def test_an_ops_command_without_any_channel_gets_a_clear_private_answer(discord_bot, fake_discord):
    model = ScriptedModel([reply(answer="never")])
    running = await discord_bot(model.planner())

    interaction_id = await fake_discord.slash_documented(ALICE, "restart web", drop=("channel_id",))

    interaction = fake_discord.interactions[interaction_id]
    await eventually(lambda: interaction.callback, what="an answer")
    assert interaction.callback["type"] == 4
    assert interaction.callback["data"]["flags"] & EPHEMERAL
    assert "could not tell which channel" in interaction.callback["data"]["content"]
    assert model.prompts == [] and running.bot.calls.of("restart") == []


async def test_an_interaction_discord_py_cannot_parse_still_gets_a_private_answer(discord_bot, fake_discord):
    model = ScriptedModel([reply(answer="never")])
    await discord_bot(model.planner())

    interaction_id = await fake_discord.slash_documented(ALICE, "restart web", drop=("type",))

    interaction = fake_discord.interactions[interaction_id]
    await eventually(lambda: interaction.callback, what="an answer")
    assert interaction.callback["data"]["flags"] & EPHEMERAL
    assert "could not read that command" in interaction.callback["data"]["content"]
    assert model.prompts == []
