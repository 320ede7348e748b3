"""Voice notes generated for the tests: espeak-ng speech, encoded by PyAV the way each platform
sends it (Discord: ogg/opus; Slack: webm/opus or m4a/aac; plus mp3, wav and flac)."""

from __future__ import annotations

import functools
import subprocess
import tempfile
from pathlib import Path

import av

SPOKEN = "please restart the payments service and check the nginx logs on web one"

CODECS = {  # container format → (PyAV format name, audio codec, sample rate)
    "ogg": ("ogg", "libopus", 48000),
    "webm": ("webm", "libopus", 48000),
    "m4a": ("mp4", "aac", 44100),
    "mp3": ("mp3", "libmp3lame", 44100),
    "flac": ("flac", "flac", 44100),
    "wav": ("wav", "pcm_s16le", 22050),
}

_WORKDIR = Path(tempfile.mkdtemp(prefix="chatops-media-"))


@functools.cache
def speech_wav(text: str = SPOKEN) -> bytes:
    """espeak-ng reading `text`, as WAV bytes (generated once per test run)."""
    path = _WORKDIR / f"speech-{abs(hash(text))}.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), text], check=True,
                   capture_output=True)
    return path.read_bytes()


@functools.cache
def voice_note(fmt: str, text: str = SPOKEN) -> bytes:
    """The speech re-encoded as a `fmt` file (ogg, webm, m4a, mp3, flac, wav)."""
    container, codec, rate = CODECS[fmt]
    source = _WORKDIR / f"speech-{abs(hash(text))}.wav"
    speech_wav(text)
    target = _WORKDIR / f"speech-{abs(hash(text))}.{fmt}"
    with av.open(str(source)) as inp, av.open(str(target), "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        resampler = av.AudioResampler(format=stream.codec_context.format or "s16", layout="mono", rate=rate)
        for frame in inp.decode(audio=0):
            for converted in resampler.resample(frame):
                for packet in stream.encode(converted):
                    out.mux(packet)
        for converted in resampler.resample(None):
            for packet in stream.encode(converted):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return target.read_bytes()


def silence_wav(seconds: float) -> bytes:
    """`seconds` of silence as WAV (for length limits)."""
    import io
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(b"\0\0" * int(16000 * seconds))
    return buffer.getvalue()
