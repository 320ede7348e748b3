"""Files with a message: voice clips and screenshots go through perception to the planner;
downloads carry the bot token only to Slack and stop at the size cap."""

from __future__ import annotations

import pytest

from chatops.adapters.slack.files import SlackFiles, attachments_of
from chatops.bot.model import Attachment
from chatops.bot.perception.types import PerceptionError
from tests.conftest import ScriptedModel, reply
from tests.media import voice_note
from tests.screens import terminal_screenshot
from tests.slack.conftest import ALICE
from tests.slack.driver import event_callback, payload

DM = "D0ALICE001"


async def test_a_voice_clip_and_a_screenshot_reach_the_planner_as_text(start_slack, shared_perceiver):
    model = ScriptedModel([reply(answer="I see a crash loop and heard a restart request")])
    slack = await start_slack(model.planner(), perceiver=shared_perceiver)
    fake = slack.fake
    voice = fake.add_file("audio_message.webm", voice_note("webm"), "audio/webm", user=ALICE)
    screen = fake.add_file("pods.png", terminal_screenshot(), "image/png", user=ALICE)
    message = fake.user_message(DM, ALICE, "what about these?", files=[voice, screen])

    assert await slack.sender.event(event_callback(message)) == 200

    await slack.answer(DM, message["ts"], "crash loop", timeout=180)
    prompt = model.prompts[0]
    assert "what about these?" in prompt
    # Whisper heard the clip: its own part, since the screenshot's text says "payments" too (and
    # tiny.en hears "payment service" on every CPU path: the key words, as in tests/test_audio.py)
    heard = prompt.split("[voice note", 1)[1].split("\n[image:", 1)[0].lower()
    assert "restart" in heard and "payment" in heard and "nginx" in heard, heard
    assert "crashloopbackoff" not in heard  # the screenshot's part is not in it
    assert "CrashLoopBackOff" in prompt and "kubectl get pods" in prompt  # Tesseract read the screenshot
    assert sorted(fake.downloads) == sorted([(voice["id"], True), (screen["id"], True)])
    notices = await slack.texts(DM, message["ts"])
    assert any(text.startswith("[voice note") for text in notices)  # what was heard is shown in the thread
    stored = await slack.bot.store.thread_history(f"slack:{DM}:{message['ts']}")
    assert "CrashLoopBackOff" in stored[0]["text"]


def test_files_of_a_recorded_event_become_attachments():
    found = attachments_of(payload("message_file_share"))

    assert [(a.name, a.mime_type, a.size) for a in found] == [("pods.png", "image/png", 13735),
                                                               ("audio_message.webm", "audio/webm", 38420)]
    assert found[1].url == "https://files.slack.com/files-pri/T061EG9R6-F0S43Q0AB/download/audio_message.webm"


async def test_downloads_need_the_bot_token_and_stop_at_the_cap(fake_slack):
    data = b"\x89PNG" + bytes(50_000)
    item = fake_slack.add_file("big.png", data, "image/png")
    url = item["url_private_download"]
    files = SlackFiles(fake_slack.bot_token, fake_slack.api_url)
    wrong = SlackFiles("xoxb-someone-else", fake_slack.api_url)
    try:
        assert await files.fetch(Attachment(name="big.png", mime_type="image/png", url=url), 1_000_000) == data

        with pytest.raises(PerceptionError, match="larger than"):
            await files.fetch(Attachment(name="big.png", url=url), 10_000)
        with pytest.raises(PerceptionError, match="larger than"):  # the size Slack announced is checked first
            await files.fetch(Attachment(name="big.png", url=url, size=len(data)), 10_000)
        with pytest.raises(PerceptionError, match="login page"):
            await wrong.fetch(Attachment(name="big.png", url=url), 1_000_000)
        before = len(fake_slack.downloads)
        with pytest.raises(PerceptionError, match="not a Slack file URL"):
            await files.fetch(Attachment(name="x.png", url="http://attacker.example/x.png"), 1_000_000)
        assert len(fake_slack.downloads) == before
    finally:
        await files.close()
        await wrong.close()
    assert fake_slack.downloads[0] == (item["id"], True) and (item["id"], False) in fake_slack.downloads
    assert SlackFiles("t", "https://slack.com/api/").trusted("https://files.slack.com/files-pri/T1-F1/download/a")
    assert not SlackFiles("t", "https://slack.com/api/").trusted("https://files.slack.com.evil.example/a")
    assert not SlackFiles("t", "https://slack.com/api/").trusted("http://files.slack.com/files-pri/T1-F1/a")
    local = SlackFiles("t", "http://127.0.0.1:8000/api/")
    assert local.trusted("http://127.0.0.1:8000/files/a") and not local.trusted("http://127.0.0.1:9000/files/a")


async def test_file_stubs_are_completed_with_files_info(start_slack, shared_perceiver):
    model = ScriptedModel([reply(answer="read it")])
    slack = await start_slack(model.planner(), perceiver=shared_perceiver)
    fake = slack.fake
    screen = fake.add_file("pods.png", terminal_screenshot(), "image/png", user=ALICE)
    stub = {"id": screen["id"], "mode": "hosted", "file_access": "check_file_info", "created": screen["created"]}
    gone = {"id": "F000000404", "mode": "hosted", "file_access": "check_file_info", "created": screen["created"]}
    message = fake.user_message(DM, ALICE, "see this", files=[stub, gone])

    assert await slack.sender.event(event_callback(message)) == 200

    await slack.answer(DM, message["ts"], "read it", timeout=120)
    assert [c.args["file"] for c in fake.calls_of("files.info")] == [screen["id"], "F000000404"]
    assert "CrashLoopBackOff" in model.prompts[0]
    assert fake.downloads == [(screen["id"], True)]


async def test_a_slack_clip_with_a_screen_and_a_voice_reaches_the_planner_as_a_timeline(start_slack, shared_perceiver):
    """A clip (a screen recording with voice: `subtype: slack_video`, `video/mp4`) is perceived
    like any video: what was said, and what was on screen when."""
    from tests.clips import clip

    model = ScriptedModel([reply(answer="the rollout is broken")])
    slack = await start_slack(model.planner(), perceiver=shared_perceiver)
    fake = slack.fake
    screens = [(terminal_screenshot(["$ ./deploy.sh checkout-web"]), 2),
               (terminal_screenshot(["$ ./deploy.sh checkout-web", "ERROR health check failed: HTTP 503"]), 2)]
    recording = fake.add_file("Recording 2026-12-05.mp4", clip(screens, speech="this is what the deploy shows",
                                                               speech_at=0.5), "video/mp4", user=ALICE)
    assert recording["subtype"] == "slack_video"
    message = fake.user_message(DM, ALICE, "why?", files=[recording])

    assert await slack.sender.event(event_callback(message)) == 200

    await slack.answer(DM, message["ts"], "the rollout is broken", timeout=180)
    prompt = model.prompts[0]
    assert "[video 0:04] on screen at 0:00: \"$ ./deploy.sh checkout" in prompt
    assert "said at 0:0" in prompt and "deploy" in prompt.split("said at", 1)[1]
    assert "on screen at 0:02: \"ERROR health check failed: HTTP 503\"" in prompt
    assert fake.downloads == [(recording["id"], True)]
    notices = await slack.texts(DM, message["ts"])
    assert any(text.startswith("[video 0:04]") for text in notices)  # what was perceived is shown in the thread
