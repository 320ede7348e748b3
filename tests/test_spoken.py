"""Voice that does not rewrite what was said (issue 11, section 6): spoken addresses normalised
for the planner with the raw transcript kept, and decoding biased only toward values."""

from __future__ import annotations

import pytest

from chatops.bot.config import Config, PerceptionConfig
from chatops.bot.perception.pipeline import Perceiver
from chatops.bot.perception.spoken import normalise_transcript
from chatops.bot.perception.types import MediaFile, Transcript
from chatops.bot.runtime import build_registry, vocabulary
from tests.media import voice_note


@pytest.mark.parametrize(("heard", "planned"), [
    ("h t t p colon slash slash one two seven dot zero dot zero dot one colon eighty eighty slash health",
     "http://127.0.0.1:8080/health"),
    ("is port five four three two open on db dot internal", "is port 5432 open on db.internal"),
    ("check port eighty eighty on localhost", "check port 8080 on localhost"),
    ("deploy version two point three point one", "deploy version 2.3.1"),
    ("H-T-T-P-S colon slash slash api dot example dot com", "https://api.example.com"),
    ("HTTP colon slash slash, 127.0.0.1, colon 8080 slash health.", "HTTP://127.0.0.1:8080/health."),
    ("scale it to twenty two replicas", "scale it to 22 replicas"),
    ("Check port 8,000 on localhost, then 1-2-7 dot 0 dot 0 dot 1.", "Check port 8000 on localhost, then 127.0.0.1."),
])
def test_spoken_addresses_ports_and_versions_become_what_is_typed(heard, planned):
    assert normalise_transcript(heard) == planned


@pytest.mark.parametrize("plain", [
    "please restart the payments service and check the nginx logs",
    "I think the a b test failed, can you look?",
    "what is wrong here",
])
def test_plain_speech_is_left_as_it_was(plain):
    assert normalise_transcript(plain) == plain


def test_the_vocabulary_holds_values_people_say_and_no_tool_names():
    config = Config.model_validate({
        "perception": {"whisper": {"vocabulary": ["web1", "payments-api"]}},
        "runbooks": [{"name": "restart_service", "description": "Restart", "argv": ["true", "{unit}"],
                      "params": {"unit": {"type": "enum", "values": ["nginx", "postgresql"],
                                          "aliases": {"postgres": "postgresql"}}}}]})
    registry, _ = build_registry(config)
    assert vocabulary(config, registry) == ["web1", "payments-api"]  # the user's vocabulary replaces the derived one
    config.perception.whisper.vocabulary = []
    words = vocabulary(config, registry)
    assert {"nginx", "postgresql", "postgres"} <= set(words)
    assert not set(words) & set(registry.names())  # "restart_service", "dns_lookup", … are not biased toward


async def test_transcripts_of_spoken_requests_keep_nginx_and_show_what_was_heard():
    config = Config.model_validate({
        "runbooks": [{"name": "restart_service", "description": "Restart", "argv": ["true", "{unit}"],
                      "params": {"unit": {"type": "enum", "values": ["nginx", "redis", "postgresql"]}}}]})
    registry, _ = build_registry(config)
    perceiver = Perceiver(PerceptionConfig(), vocabulary=vocabulary(config, registry))
    try:
        for said in ("restart the nginx service on web one", "check port four four three on nginx one"):
            part = await perceiver.perceive(MediaFile("note.ogg", voice_note("ogg", said), "audio/ogg"))
            assert "nginx" in part.text.lower(), part.text
            assert "dns" not in part.text.lower()
        assert "443" in part.text, part.text  # the port reaches the planner as digits
    finally:
        perceiver.close()


async def test_a_normalised_transcript_keeps_the_raw_one_beside_it():
    class Heard:  # what Whisper wrote for a spoken URL (the model itself is exercised above)
        loaded = True

        async def transcribe(self, media: MediaFile) -> Transcript:
            return Transcript(text="check h t t p colon slash slash web one dot example dot com", duration=4.0)

        def close(self) -> None:  # the transcriber's interface: the perceiver closes what it holds
            pass

    perceiver = Perceiver(PerceptionConfig())
    perceiver._transcriber = Heard()
    try:
        part = await perceiver.perceive(MediaFile("note.ogg", b"OggS", "audio/ogg"))
    finally:
        perceiver.close()
    assert part.render() == "[voice note, 0:04] check http://web1.example.com"
    assert part.heard == "check h t t p colon slash slash web one dot example dot com"
    assert part.shown().endswith("(as heard: “check h t t p colon slash slash web one dot example dot com”)")
