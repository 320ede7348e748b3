"""Video clips made for the tests: Pillow-drawn screens (`tests.screens`) shown one per second,
with espeak-ng speech (`tests.media`), encoded by the system `ffmpeg` (Debian `ffmpeg`, which the
Makefile installs for the tests) as mp4 (H.264 + AAC, what phones and Slack clips send) or webm
(VP8 + Opus, what browsers record). Each clip is made once per run (cached by its recipe).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from tests.media import _WORKDIR, _key, speech_wav

Container = Literal["mp4", "webm", "mov", "mkv"]
# (screen PNG bytes, seconds shown)
Slide = tuple[bytes, int]


def have_ffmpeg() -> bool:
    return shutil.which("ffmpeg") is not None


@functools.cache
def _clip(slides: tuple[Slide, ...], speech: str | None, speech_at: float, fmt: Container, fps: int,
          seconds: float | None) -> bytes:
    recipe = _key(tuple((_key(png), shown) for png, shown in slides), speech, speech_at, fmt, fps, seconds)
    folder = _WORKDIR / f"clip-{recipe}"
    folder.mkdir(exist_ok=True)
    frame = 0
    for png, shown in slides:
        for _ in range(shown):
            (folder / f"frame{frame:04d}.png").write_bytes(png)
            frame += 1
    out = folder / f"clip.{fmt}"
    command = ["ffmpeg", "-y", "-loglevel", "error"]
    if slides:
        command += ["-framerate", "1", "-i", str(folder / "frame%04d.png")]
    if speech is not None:
        wav = speech_wav(speech, folder / "speech.wav")
        command += ["-i", str(wav)]
    if slides:
        if fmt == "webm":
            command += ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "1M"]
        else:
            command += ["-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage", "-pix_fmt", "yuv420p"]
        command += ["-r", str(fps)]
    if speech is not None:
        command += ["-c:a", "libopus" if fmt == "webm" else "aac"]
        if speech_at:
            command += ["-af", f"adelay={int(speech_at * 1000)}:all=1"]
    if seconds is not None:
        command += ["-t", str(seconds)]
    command.append(str(out))
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return out.read_bytes()


def clip(slides: Sequence[Slide] = (), *, speech: str | None = None, speech_at: float = 0.0,
         fmt: Container = "mp4", fps: int = 5, seconds: float | None = None) -> bytes:
    """A clip showing each screen for its seconds (1 fps source, re-timed to `fps`), with `speech`
    starting at `speech_at` seconds. No slides: sound only; no speech: picture only."""
    return _clip(tuple(slides), speech, speech_at, fmt, fps, seconds)


@functools.cache
def rotated(data: bytes, degrees: int) -> bytes:
    """An mp4 clip as a phone records one held sideways: the same stream, with a `rotate` tag
    (a display matrix) saying how far to turn it for display."""
    folder = _WORKDIR / f"rotated-{_key(_key(data), degrees)}"
    folder.mkdir(exist_ok=True)
    (folder / "in.mp4").write_bytes(data)
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(folder / "in.mp4"), "-c", "copy",
                    "-metadata:s:v:0", f"rotate={degrees}", str(folder / "out.mp4")],
                   check=True, capture_output=True, timeout=60)
    return (folder / "out.mp4").read_bytes()


def clip_file(path: Path, slides: Sequence[Slide] = (), **options: object) -> Path:
    path.write_bytes(clip(slides, **options))  # type: ignore[arg-type]
    return path
