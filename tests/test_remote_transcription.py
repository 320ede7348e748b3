"""The remote transcription backend configured the way users do it (`remote_api_key` from the
config, not a constructor argument); errors and refusals are covered in `test_audio.py`."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from aiohttp import web

from chatops.bot.config import WhisperConfig
from chatops.bot.perception.audio import Transcriber
from chatops.bot.perception.types import MediaFile
from tests.fakes.serving import serve_on_loopback
from tests.media import voice_note


@pytest.fixture
async def fake_whisper():
    """Records each multipart upload; answers like OpenAI's transcription endpoint."""
    received: list[dict] = []

    async def transcriptions(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer sk-whisper-key":
            return web.json_response({"error": {"message": "bad key"}}, status=401)
        form = await request.post()
        upload = form["file"]
        received.append({"model": form["model"], "prompt": form.get("prompt"), "name": upload.filename,
                         "type": upload.content_type, "data": upload.file.read()})
        return web.json_response({"text": "  restart   the payments service  "})

    app = web.Application()
    app.router.add_post("/v1/audio/transcriptions", transcriptions)
    runner, port = await serve_on_loopback(app)
    yield f"http://127.0.0.1:{port}/v1", received
    await runner.cleanup()


async def test_the_file_really_goes_to_the_remote_endpoint(fake_whisper):
    url, received = fake_whisper
    config = WhisperConfig(backend="openai", remote_url=url, remote_api_key="sk-whisper-key", remote_model="whisper-1")
    transcriber = Transcriber(config, max_seconds=60, executor=ThreadPoolExecutor(1), vocabulary=["nginx"])
    note = voice_note("ogg")

    transcript = await transcriber.transcribe(MediaFile("note.ogg", note, "audio/ogg"))

    assert transcript.text == "restart the payments service" and transcript.model == "remote:whisper-1"
    assert 3 < transcript.duration < 10  # measured locally from the decoded audio
    assert received == [{"model": "whisper-1", "prompt": "Glossary: nginx.", "name": "note.ogg", "type": "audio/ogg",
                         "data": note}]
    assert not transcriber.loaded  # no local model was needed


def test_the_remote_backend_needs_a_url():
    with pytest.raises(ValueError, match="needs remote_url"):
        WhisperConfig(backend="openai")
