"""Misheard vocabulary terms re-spelled after Whisper (issue 26 item 3), on real speech: espeak-ng
voices, faster-whisper tiny.en with the glossary bias, the real pipeline. The planner reads the
corrected words; the raw transcript stays beside them (`heard`, "as heard" in the thread) and each
rewrite is listed in the part's details. Plain speech comes out exactly as without the correction,
and nothing outside the vocabulary is ever written."""

from __future__ import annotations

import re

import jiwer
import pytest

from chatops.bot.config import PerceptionConfig, WhisperConfig
from chatops.bot.perception.pipeline import Perceiver
from chatops.bot.perception.spoken import normalise_transcript
from chatops.bot.perception.types import MediaFile
from tests.clips import clip
from tests.media import normalise, voice_note
from tests.screens import terminal_screenshot

TEAM = ["postgresql", "mysql", "kubectl", "payments-api", "node4", "db2", "worker3", "argocd", "queue2",
        "rabbitmq", "elasticsearch", "consul", "kafka"]
# Said by espeak-ng, heard by tiny.en as "payment-api" and "my SQL" (default ISA and GENERIC).
MISHEARD = {"check kubectl rollout status for payments api": "payments-api",
            "is mysql replication healthy on node four": "mysql"}
PLAIN = [
    "the council meets in the town hall on tuesday",
    "we visited an old castle by the sea last summer",
    "please send me the quarterly report by friday afternoon",
    "my daughter starts school again next monday",
    "the worker on the night shift fixed the heater",
]


def note(text: str) -> MediaFile:
    return MediaFile("note.ogg", voice_note("ogg", text), "audio/ogg")


@pytest.fixture(scope="module")
def perceiver():
    perceiver = Perceiver(PerceptionConfig(), vocabulary=TEAM)
    yield perceiver
    perceiver.close()


async def test_a_misheard_term_is_written_as_configured(perceiver):
    rewrites = []
    for said, term in MISHEARD.items():
        part = await perceiver.perceive(note(said))
        assert part.ok, part.text
        # the term as configured, or heard right in another case ("MySQL" for "mysql": no slip to correct)
        words = [word.strip(".,?!").lower() for word in part.text.split()]
        assert term.lower() in words, (said, part.heard, part.text)
        fixed = [c for c in part.details.get("corrections", []) if c["term"] == term]
        if fixed:
            assert part.heard is not None and fixed[0]["heard"] in part.heard  # the raw words are kept
            assert f"(as heard: “{part.heard}”)" in part.shown()
            assert jiwer.wer(normalise(said), normalise(part.text)) < jiwer.wer(normalise(said), normalise(part.heard))
        rewrites += fixed
    assert rewrites, "Whisper heard every term right: this test no longer exercises the correction"


async def test_plain_speech_is_left_exactly_as_heard(perceiver):
    for said in PLAIN:
        part = await perceiver.perceive(note(said))
        raw = part.heard or part.text
        assert "corrections" not in part.details, (said, part.details["corrections"])
        assert part.text == normalise_transcript(raw)  # no loss: the same words as without the correction


async def test_a_term_outside_the_vocabulary_is_never_written():
    """A note about nginx and postgresql, with a vocabulary that names neither: whatever Whisper
    heard, no new word appears but a configured term's, and none of those was said."""
    vocabulary = ["mysql", "kafka", "worker3", "consul", "haproxy", "grafana"]
    perceiver = Perceiver(PerceptionConfig(), vocabulary=vocabulary)
    try:
        part = await perceiver.perceive(note("tail the nginx error log and restart postgresql on db two"))
    finally:
        perceiver.close()
    heard = set(re.findall(r"[a-z0-9]+", (part.heard or part.text).lower()))
    written = set(re.findall(r"[a-z0-9]+", part.text.lower()))
    assert written - heard <= {"db2", "2"}  # only the spoken-number form ("db two" → "db 2"): not a term
    assert not {term for term in vocabulary if term in part.text.lower()}, part.text


async def test_the_correction_can_be_turned_off():
    perceiver = Perceiver(PerceptionConfig(whisper=WhisperConfig(correct_transcript=False)), vocabulary=TEAM)
    try:
        parts = [await perceiver.perceive(note(said)) for said in MISHEARD]
    finally:
        perceiver.close()
    for part in parts:
        assert "corrections" not in part.details
        assert part.text == normalise_transcript(part.heard or part.text)


async def test_a_clips_speech_is_corrected_and_its_screen_is_not(perceiver):
    said = "check kubectl rollout status for payments api"
    data = clip([(terminal_screenshot(["payment api rollout", "error: timed out"]), 4)],
                speech=said, speech_at=0.5)
    part = await perceiver.perceive(MediaFile("clip.mp4", data, "video/mp4"))
    assert part.ok and part.kind == "video", part.text
    timeline = part.details["timeline"]
    speech = " ".join(e["text"] for e in timeline if e["kind"] == "said")
    screen = "\n".join(e["text"] for e in timeline if e["kind"] == "on screen")
    assert "payments-api" in speech, (part.details["heard"], speech)
    assert "payment api" in screen and "payments" not in screen  # OCR reads what is written: left so
    if part.details.get("corrections"):
        assert part.heard == part.details["heard"] and "payments-api" not in part.heard
