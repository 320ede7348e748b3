"""Discord's limits (the fake refuses what Discord refuses: 2,000 characters per message, 4,096
per embed description, 25 fields, 6,000 per embed; with Components V2, 40 components and 4,000
characters of text) and its rate limits (a 429 is discord.py's to
wait out and retry: no call of the adapter bypasses its HTTP client)."""

from __future__ import annotations

from tests.conftest import ScriptedModel, reply
from tests.discord.conftest import ALICE, BOB, MENTION, buttons, card_steps, cards_in, eventually, said, texts_in
from tests.fakes.discord_gateway import walk_components


async def test_long_results_go_as_a_file_and_long_answers_are_split(discord_bot, fake_discord):
    host = "db-" + "x" * 3000
    answer = "\n".join(f"line {n}: " + "y" * 90 for n in range(50))  # ~5,000 characters
    model = ScriptedModel([reply({"tool": "ping", "args": {"host": host}}), reply(answer=answer)])
    await discord_bot(model.planner())

    request = await fake_discord.say(ALICE, f"{MENTION} ping the long host")

    await eventually(said(fake_discord, request["id"], "line 49"), what="the end of the answer")
    messages = fake_discord.bot_messages_in(request["id"])
    card = cards_in(fake_discord, request["id"])[0]
    assert sum(len(c.get("content") or "") for c in walk_components(card["components"])) <= 4000
    upload = next(m for m in messages if m["attachments"])
    assert upload["content"].startswith("Full output of `ping`")
    assert upload["attachments"][0]["filename"].startswith("ping-")
    stored = next(data for path, (data, _) in fake_discord.cdn.items() if path.endswith(".txt"))
    assert stored.decode() == f"pong from {host}"
    parts = [text for text in texts_in(fake_discord, request["id"]) if text.startswith("line") or "\nline" in text]
    assert len(parts) == 3 and all(len(part) <= 2000 for part in parts)
    assert "\n".join(parts) == answer


async def test_a_very_long_answer_is_attached_whole(discord_bot, fake_discord):
    answer = "z" * 9000
    await discord_bot(ScriptedModel([reply(answer=answer)]).planner())

    request = await fake_discord.say(ALICE, f"{MENTION} tell me everything")

    attached = await eventually(lambda: [m for m in fake_discord.bot_messages_in(request["id"]) if m["attachments"]])
    message = attached[0]
    assert len(message["content"]) <= 2000 and message["content"].endswith("(the whole text is attached)")
    assert message["attachments"][0]["filename"] == "answer.txt"
    assert any(data == answer.encode() for data, _ in fake_discord.cdn.values())


async def test_a_plan_of_twenty_steps_fits_one_card(discord_bot, fake_discord):
    steps = [{"tool": "restart", "args": {"unit": f"unit-{n}-" + "u" * 200}, "reason": "r" * 300} for n in range(20)]
    model = ScriptedModel([reply(*steps, goal="g" * 400), reply(answer="all restarted")])
    running = await discord_bot(model.planner(), agent={"max_steps": 20})

    request = await fake_discord.say(ALICE, f"{MENTION} restart everything")

    card = (await eventually(lambda: cards_in(fake_discord, request["id"])))[0]
    every = walk_components(card["components"])
    assert len(every) <= 40 and sum(len(c.get("content") or "") for c in every) <= 4000  # Components V2 limits
    assert "**20. restart**" in card_steps(card)
    assert "**1. restart**" in card_steps(card)
    await fake_discord.click(card["id"], buttons(card)["Approve"], BOB)
    await eventually(said(fake_discord, request["id"], "all restarted"))
    assert len(running.bot.calls.of("restart")) == 20


async def test_rate_limited_calls_are_retried_by_discord_py(discord_bot, fake_discord):
    model = ScriptedModel([reply({"tool": "restart", "args": {"unit": "web"}}), reply(answer="web restarted")])
    await discord_bot(model.planner())
    fake_discord.rate_limit_once("POST", r"/channels/\d+/messages/\d+/threads")
    fake_discord.rate_limit_once("POST", r"/channels/\d+/messages")
    fake_discord.rate_limit_once("PATCH", r"/channels/\d+/messages/\d+")

    request = await fake_discord.say(ALICE, f"{MENTION} restart web")
    card = (await eventually(lambda: cards_in(fake_discord, request["id"])))[0]
    await fake_discord.click(card["id"], buttons(card)["Approve"], BOB)
    await eventually(said(fake_discord, request["id"], "web restarted"))

    for method, pattern in (("POST", r"/channels/\d+/messages/\d+/threads"), ("POST", r"/channels/\d+/messages"),
                            ("PATCH", r"/channels/\d+/messages/\d+")):
        statuses = [call.status for call in fake_discord.calls_to(method, pattern)]
        assert statuses[:2] == [429, statuses[1]] and statuses[1] in (200, 201), (method, pattern, statuses)
