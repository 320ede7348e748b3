"""Voice notes generated for the tests: espeak-ng speech, encoded by PyAV the way each platform
sends it (Discord: ogg/opus; Slack: webm/opus or m4a/aac; plus mp3, wav and flac), and broken
files (truncated, corrupted, random, zero bytes).

Needs the Debian package `espeak-ng` (speech synthesis); the encoders are PyAV's bundled FFmpeg
(libopus, aac, libmp3lame, flac, pcm), so no system ffmpeg. Every clip is made once per test run:
files live in one temporary directory (removed at exit) and the byte-returning helpers are cached.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import io
import random
import re
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path
from typing import Literal, overload

import av

SPOKEN = "please restart the payments service and check the nginx logs on web one"
# Ops jargon tiny.en does not know well: what the vocabulary prompt is for.
JARGON = "restart the nginx unit on web one then check kubectl rollout status for payments api"
JARGON_VOCABULARY = ["nginx", "kubectl", "rollout", "payments-api", "web1", "restart_service"]

Format = Literal["ogg", "webm", "m4a", "mp3", "flac", "wav"]
FORMATS: tuple[Format, ...] = ("ogg", "webm", "m4a", "mp3", "flac", "wav")
MIME = {"ogg": "audio/ogg", "webm": "audio/webm", "m4a": "audio/mp4", "mp3": "audio/mpeg", "flac": "audio/flac",
        "wav": "audio/wav"}
CODECS = {  # file format → (PyAV container, audio encoder, sample rate, bit rate)
    "ogg": ("ogg", "libopus", 48000, 32_000),  # Discord voice messages
    "webm": ("webm", "libopus", 48000, 32_000),  # Slack clips recorded in a browser
    "m4a": ("mp4", "aac", 44100, 64_000),  # Slack clips from iOS / macOS
    "mp3": ("mp3", "libmp3lame", 44100, 64_000),
    "flac": ("flac", "flac", 44100, None),
    "wav": ("wav", "pcm_s16le", 22050, None),
}

_WORKDIR = Path(tempfile.mkdtemp(prefix="chatops-media-"))
atexit.register(shutil.rmtree, _WORKDIR, ignore_errors=True)


def _key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


@functools.cache
def _speech_file(text: str, voice: str, speed: int) -> Path:
    path = _WORKDIR / f"speech-{_key(text, voice, speed)}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True,
                   capture_output=True, timeout=60)
    return path


@overload
def speech_wav(text: str = ..., path: None = None, *, voice: str = ..., speed: int = ...) -> bytes: ...
@overload
def speech_wav(text: str, path: Path, *, voice: str = ..., speed: int = ...) -> Path: ...
def speech_wav(text: str = SPOKEN, path: Path | None = None, *, voice: str = "en-us",
               speed: int = 150) -> bytes | Path:
    """espeak-ng reading `text` (22.05 kHz mono WAV), synthesised once per run.

    With `path`: written there, the path returned. Without: the WAV's bytes (the older form,
    which `bench/perception.py` uses)."""
    cached = _speech_file(text, voice, speed)
    if path is None:
        return cached.read_bytes()
    path = Path(path)
    shutil.copyfile(cached, path)
    return path


def encode(wav: Path, fmt: Format, path: Path) -> Path:
    """`wav` re-encoded as a `fmt` file at `path` with PyAV (opus in ogg and webm, aac in mp4)."""
    container, codec, rate, bit_rate = CODECS[fmt]
    with av.open(str(wav)) as source, av.open(str(path), "w", format=container) as target:
        stream = target.add_stream(codec, rate=rate, layout="mono")
        if bit_rate:
            stream.codec_context.bit_rate = bit_rate
        resampler = av.AudioResampler(format=stream.codec_context.format or "s16", layout="mono", rate=rate)
        frames = (converted for frame in [*source.decode(audio=0), None] for converted in resampler.resample(frame))
        for frame in frames:
            for packet in stream.encode(frame):
                target.mux(packet)
        for packet in stream.encode(None):
            target.mux(packet)
    return Path(path)


@functools.cache
def voice_file(fmt: Format, text: str = SPOKEN, *, voice: str = "en-us", speed: int = 150) -> Path:
    """The speech as a `fmt` file in the run's media directory (made once)."""
    wav = _speech_file(text, voice, speed)
    return encode(wav, fmt, _WORKDIR / f"{wav.stem}.{fmt}")


@functools.cache
def voice_note(fmt: Format, text: str = SPOKEN, *, voice: str = "en-us", speed: int = 150) -> bytes:
    """The speech as the bytes of a `fmt` file (ogg, webm, m4a, mp3, flac, wav)."""
    return voice_file(fmt, text, voice=voice, speed=speed).read_bytes()


def silence_wav(seconds: float, rate: int = 16000) -> bytes:
    """`seconds` of digital silence as WAV (for length limits and "is empty")."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(b"\0\0" * int(rate * seconds))
    return buffer.getvalue()


def truncated(data: bytes, keep: int | float) -> bytes:
    """The first `keep` bytes (an int) or the first fraction `keep` of them (a float < 1)."""
    count = int(len(data) * keep) if isinstance(keep, float) else keep
    return data[:count]


def corrupt(data: bytes, *, start: int = 64, seed: int = 7) -> bytes:
    """`data` with everything after its first `start` bytes (the header) replaced by noise."""
    rng = random.Random(seed)
    return data[:start] + bytes(rng.randrange(256) for _ in range(len(data) - start))


def random_bytes(size: int = 4096, *, seed: int = 1337) -> bytes:
    """Noise that is no media format at all."""
    return random.Random(seed).randbytes(size)


ZERO_BYTES = b""


_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def normalise(text: str) -> str:
    """Lower case, no punctuation, `snake_case`/`kebab-case` as words, `web1` as "web one"
    (Whisper writes numbers as digits, espeak-ng was given words)."""
    text = re.sub(r"[-_]", " ", text.lower())
    text = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", text)
    text = re.sub(r"[^a-z0-9 ]", " ", text)
    return " ".join(_DIGITS[int(word)] if len(word) == 1 and word.isdigit() else word for word in text.split())


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate (jiwer) after `normalise`."""
    import jiwer

    return jiwer.wer(normalise(reference), normalise(hypothesis) or "<nothing>")


@functools.cache
def whisper_normaliser():
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


def wer_normalised(reference: str, hypothesis: str) -> float:
    """Word error rate (jiwer) after Whisper's English text normaliser (the `whisper-normalizer`
    package, OpenAI's `EnglishTextNormalizer`): the standard way Whisper's WER is reported.
    Beyond `normalise` it writes number words as numbers on both sides ("forty one" and "41",
    "db two" and "db2" alike), American spellings, and expands contractions. Reported beside
    `wer`, never instead of it."""
    import jiwer

    normalised = whisper_normaliser()
    return jiwer.wer(normalised(reference) or "<nothing>", normalised(hypothesis) or "<nothing>")
