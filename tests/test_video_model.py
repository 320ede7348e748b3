"""A video's own speech model (issue 26, `whisper.video_model`): a clip may take its own length to be
perceived, a voice note must be heard in seconds, so a video's sound may go to Whisper base while
voice notes keep tiny.en. Real Whisper (tiny.en and the packaged base), real clips made by ffmpeg:
the video model loads on the first clip and never at start, is released when idle and loaded again
by the next clip, and without the `whisper-base` extra videos fall back to the voice model and say so
(the log and `/healthz`)."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatops.bot.config import PerceptionConfig, WhisperConfig
from chatops.bot.perception.pipeline import VIDEO_MODEL_RELEASE_AFTER, Perceiver
from chatops.bot.perception.types import MediaFile
from chatops.bot.perception.whisper_models import BASE_PACKAGES
from tests.blocked_imports import Unimportable
from tests.clips import clip
from tests.conftest import ScriptedModel, make_config, reply
from tests.media import voice_note, wer
from tests.screens import terminal_screenshot

# base gives this sentence back word for word on this machine's code paths; tiny.en too (test_video.py)
SPOKEN = "this is what the terminal shows when I run the health check"
MAX_WER = 0.25
SCREEN = [terminal_screenshot(["$ systemctl status payments", "payments.service: Failed with result 'exit-code'"])]


def a_clip(seconds: int = 4) -> MediaFile:
    data = clip([(SCREEN[0], seconds)], speech=SPOKEN, speech_at=0.5)
    return MediaFile("screen.mp4", data, "video/mp4")


@pytest.fixture(scope="module")
def with_base() -> Iterator[Perceiver]:
    """One pipeline whose videos are heard by base (loaded once for the module's tests)."""
    perceiver = Perceiver(PerceptionConfig(whisper={"video_model": "base"}))
    yield perceiver
    perceiver.close()


@pytest.fixture
def base_missing() -> Iterator[None]:
    """The whisper-base packages unimportable, as on a lean install, for this test only."""
    finder = Unimportable(set(BASE_PACKAGES))
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def test_the_setting_names_the_voice_model_or_another_and_nothing_else():
    assert WhisperConfig().video_model == "base"  # chosen on the tuning clips: issue26-video-model-15.txt
    assert WhisperConfig().video_glossary is False
    assert WhisperConfig(video_model="same").video_model == "same"
    with pytest.raises(ValueError, match="neither a Whisper size"):
        WhisperConfig(video_model="huge")
    with pytest.raises(ValueError, match="neither a Whisper size"):
        WhisperConfig(model="same")  # "same" means something only for videos
    assert VIDEO_MODEL_RELEASE_AFTER == 300.0


async def test_voice_notes_keep_the_voice_model_and_clips_get_the_video_model(with_base: Perceiver):
    await with_base.preload()  # `perception.preload`: the voice model only, never both at start
    assert with_base.loaded_models() == ["whisper:tiny.en"]
    assert with_base.video_speech_state() == "on first use"

    note = await with_base.perceive(MediaFile("note.ogg", voice_note("ogg", SPOKEN), "audio/ogg"))
    assert note.ok and note.kind == "audio" and note.details["model"] == "tiny.en"
    assert not with_base.video_transcriber.loaded  # a voice note does not load the video model

    part = await with_base.perceive(a_clip())
    assert part.ok and part.kind == "video", part.text
    assert part.details["model"] == "base"
    assert wer(SPOKEN, part.details["heard"]) <= MAX_WER, part.details["heard"]
    assert "whisper-video:base" in with_base.loaded_models()
    assert with_base.video_speech_state() == "ready"
    assert with_base.video_transcriber.prompt is None  # no glossary for base (video_glossary)

    again = await with_base.perceive(MediaFile("note2.ogg", voice_note("webm", SPOKEN), "audio/webm"))
    assert again.ok and again.details["model"] == "tiny.en"  # notes after a clip: still tiny.en


async def test_the_idle_video_model_is_released_and_the_next_clip_loads_it_again(with_base: Perceiver):
    video = with_base.video_transcriber
    part = await with_base.perceive(a_clip(3))
    assert part.ok and part.details["model"] == "base" and video.loaded
    video.release_after = 0.3
    try:
        await with_base.perceive(a_clip(5))  # a job restarts the timer with the short wait
        deadline = time.monotonic() + 10
        while video.loaded and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not video.loaded
        assert "whisper-video:base" not in with_base.loaded_models()
        assert with_base.video_speech_state() == "on first use"
        assert with_base.transcriber.loaded  # the voice model is never released
        later = await with_base.perceive(a_clip(6))
        assert later.ok and later.details["model"] == "base"
        assert wer(SPOKEN, later.details["heard"]) <= MAX_WER, later.details["heard"]
    finally:
        video.release_after = VIDEO_MODEL_RELEASE_AFTER
        video.close()


def test_a_model_under_a_transcription_is_not_released(with_base: Perceiver):
    """The release is asked while a transcription is under way (held at its start, so no machine is
    too fast for it): the model is kept, the job ends with its words, and only then is it dropped."""
    from chatops.bot.perception.audio import decode_cut

    video = with_base.video_transcriber
    video.load()
    samples, _ = decode_cut(clip([(SCREEN[0], 2)], speech=SPOKEN, speech_at=0.5), 60)
    started, go = threading.Event(), threading.Event()
    transcribe = video._transcribe_with_model

    def held(*args):  # the real transcription, once the test has asked for the release
        started.set()
        go.wait(60)
        return transcribe(*args)

    video._transcribe_with_model = held
    heard: list[str] = []
    worker = threading.Thread(target=lambda: heard.append(video.transcribe_samples(samples, "clip.mp4").text))
    try:
        worker.start()
        assert started.wait(60)
        assert video.release() is False and video.loaded  # under a job: kept
    finally:
        go.set()
        worker.join()
        del video._transcribe_with_model
    assert heard and "terminal" in heard[0].lower(), heard  # the job finished with its words
    assert video.release() is True and not video.loaded  # idle: released
    video.close()


async def test_without_the_base_extra_videos_fall_back_to_the_voice_model(base_missing, caplog):
    perceiver = Perceiver(PerceptionConfig(whisper={"video_model": "base"}))
    try:
        with caplog.at_level(logging.WARNING, logger="chatops.perception"):
            assert perceiver.video_speech_state() == ("not installed: pip install 'chatops[whisper-base]' "
                                                      "(videos use tiny.en)")
            first = await perceiver.perceive(a_clip())
            second = await perceiver.perceive(a_clip(3))
        assert perceiver.video_transcriber is perceiver.transcriber
        for part in (first, second):
            assert part.ok and part.kind == "video" and part.details["model"] == "tiny.en", part.text
            assert wer(SPOKEN, part.details["heard"]) <= MAX_WER, part.details["heard"]
        said = [r.getMessage() for r in caplog.records if "whisper-base extra is not installed" in r.getMessage()]
        assert len(said) == 1, said  # once, not per clip
    finally:
        perceiver.close()


async def test_healthz_says_the_video_models_state(tmp_path: Path, base_missing):
    from chatops.bot.runtime import start_runtime

    model = ScriptedModel([reply(answer="ok")])
    lean = make_config(tmp_path, llm={"model": "test"}, perception={"whisper": {"video_model": "base"}})
    runtime = await start_runtime(lean, planner=model.planner())
    try:
        states = runtime.model_states()
        assert states["whisper"] == "on first use"
        assert states["whisper_video"] == "not installed: pip install 'chatops[whisper-base]' (videos use tiny.en)"
    finally:
        await runtime.close()


async def test_healthz_has_no_video_state_when_videos_use_the_voice_model(tmp_path: Path):
    from chatops.bot.runtime import start_runtime

    model = ScriptedModel([reply(answer="ok")])
    runtime = await start_runtime(make_config(tmp_path, llm={"model": "test"},
                                              perception={"whisper": {"video_model": "same"}}),
                                  planner=model.planner())
    try:
        assert "whisper_video" not in runtime.model_states()
    finally:
        await runtime.close()
    runtime = await start_runtime(make_config(tmp_path / "base", llm={"model": "test"},
                                              perception={"whisper": {"video_model": "base"}}),
                                  planner=model.planner())
    try:
        assert runtime.model_states()["whisper_video"] == "on first use"
    finally:
        await runtime.close()
