"""Files in Discord messages: a voice message (ogg/Opus, flagged IS_VOICE_MESSAGE, with
`duration_secs`) and an image are downloaded from the CDN URL under the size cap and perceived
(real Whisper and Tesseract), and what they say reaches the planner."""

from __future__ import annotations

import pytest

from chatops.bot.config import PerceptionConfig
from chatops.bot.perception.pipeline import Perceiver
from tests.conftest import ScriptedModel, reply
from tests.discord.conftest import ALICE, MENTION, eventually, said
from tests.fakes.discord_gateway import CHANNEL_ID, IS_VOICE_MESSAGE
from tests.media import voice_note
from tests.screens import terminal_screenshot


async def test_a_voice_message_in_the_thread_is_transcribed_for_the_planner(discord_bot, fake_discord,
                                                                            shared_perceiver):
    model = ScriptedModel([reply(answer="listening"), reply(answer="heard you")])
    running = await discord_bot(model.planner(), perceiver=shared_perceiver)
    request = await fake_discord.say(ALICE, f"{MENTION} I will send a voice note")
    thread_id = request["id"]
    await eventually(said(fake_discord, thread_id, "listening"))

    audio = voice_note("ogg")
    attachment = fake_discord.voice_message(thread_id, audio, seconds=4.2)
    voice = await fake_discord.say(ALICE, "", channel_id=thread_id, attachments=[attachment], flags=IS_VOICE_MESSAGE)

    await eventually(said(fake_discord, thread_id, "heard you"), timeout=120, what="the answer to the voice note")
    heard = model.prompts[1].lower()
    assert "restart" in heard and "payment" in heard and "nginx" in heard
    assert len(fake_discord.cdn_downloads) == 1
    notice = next(text for text in [m["content"] for m in fake_discord.bot_messages_in(thread_id)]
                  if text.startswith("[voice note"))
    assert "payment" in notice.lower()
    stored = await running.bot.store.thread_history(f"discord:{voice['guild_id']}:{thread_id}")
    assert "payment" in stored[-2]["text"].lower()  # the perceived text is what the thread remembers


async def test_an_image_with_a_mention_is_read_for_the_planner(discord_bot, fake_discord, shared_perceiver):
    model = ScriptedModel([reply(answer="I see the crash loop")])
    await discord_bot(model.planner(), perceiver=shared_perceiver)
    image = fake_discord.upload(CHANNEL_ID, "pods.png", terminal_screenshot(), "image/png", width=1280, height=720)

    request = await fake_discord.say(ALICE, f"{MENTION} what is wrong here?", attachments=[image])

    await eventually(said(fake_discord, request["id"], "I see the crash loop"), timeout=120)
    seen = model.prompts[0]
    assert "what is wrong here?" in seen
    assert "CrashLoopBackOff" in seen and "payments-api" in seen
    assert fake_discord.channels[request["id"]]["name"] == "what is wrong here?"


@pytest.fixture
def capped_perceiver():
    """Perception that takes files up to 4 KB (nothing gets far enough to load a model)."""
    perceiver = Perceiver(PerceptionConfig(max_bytes=4096))
    yield perceiver
    perceiver.close()


async def test_a_file_over_the_cap_is_refused_without_downloading_it(discord_bot, fake_discord, capped_perceiver):
    model = ScriptedModel([reply(answer="ok")])
    await discord_bot(model.planner(), perceiver=capped_perceiver)
    big = fake_discord.upload(CHANNEL_ID, "huge.png", terminal_screenshot(), "image/png")

    request = await fake_discord.say(ALICE, f"{MENTION} look", attachments=[big])

    warning = await eventually(said(fake_discord, request["id"], "huge.png"))
    assert "huge.png" in warning[0] and "larger than the" in warning[0]
    assert fake_discord.cdn_downloads == []
    prompts = await eventually(lambda: model.prompts, what="the planner to be asked")  # after the notice
    assert "larger than" in prompts[0]


async def test_a_file_that_streams_past_the_cap_is_cut_off(discord_bot, fake_discord, capped_perceiver):
    model = ScriptedModel([reply(answer="ok")])
    await discord_bot(model.planner(), perceiver=capped_perceiver)
    screenshot = terminal_screenshot()
    lying = fake_discord.upload(CHANNEL_ID, "small.png", screenshot, "image/png", size=1000, chunked=True)

    request = await fake_discord.say(ALICE, f"{MENTION} look", attachments=[lying])

    await eventually(said(fake_discord, request["id"], "small.png"))
    assert fake_discord.cdn_downloads  # declared small, so fetched, with no length: counted while read
    prompts = await eventually(lambda: model.prompts, what="the planner to be asked")
    assert "small.png" in prompts[0] and "larger than the" in prompts[0]
    assert len(screenshot) > 10 * 4096


async def test_a_video_with_a_mention_is_watched_for_the_planner(discord_bot, fake_discord, shared_perceiver):
    from tests.clips import clip

    model = ScriptedModel([reply(answer="I see the 503")])
    await discord_bot(model.planner(), perceiver=shared_perceiver)
    screens = [(terminal_screenshot(["$ curl -sI https://shop.example.com"]), 2),
               (terminal_screenshot(["$ curl -sI https://shop.example.com", "HTTP/2 503"]), 2)]
    video = fake_discord.upload(CHANNEL_ID, "screen.webm", clip(screens, fmt="webm"), "video/webm",
                                width=1280, height=720)

    request = await fake_discord.say(ALICE, f"{MENTION} what is wrong here?", attachments=[video])

    await eventually(said(fake_discord, request["id"], "I see the 503"), timeout=120)
    seen = model.prompts[0]
    assert '\n[video 0:0' in seen and '] on screen at 0:00: "$ curl -sI https://shop.example.com"' in seen
    assert '; at 0:02: "HTTP/2 503"' in seen  # a short new line is a scene change too
