"""A video's distinct screens: the frames where the picture changes, found while decoding with PyAV.

A screen recording holds the same picture for seconds and then changes (a command typed, a page
loaded, a dialog opened), so frames are picked by scene change, not at a fixed rate: every decoded
frame is shrunk to a small grey thumbnail (FFmpeg's scaler, ~0.1 ms), and a new *scene* starts when
more than `threshold` of its pixels differ clearly (by more than `PIXEL_STEP` grey levels) from the
first frame of the current scene. Comparing with the scene's first frame rather than the previous
frame catches slow changes too (a terminal filling line by line). Each scene is read from its last
frame (the settled picture: text typed during the scene is all there) but dated by its first, when
the screen changed. Camera noise stays under `PIXEL_STEP` once averaged by the thumbnail.

Only the first `max_frames` scenes are kept; later ones are counted (for the note of what was
skipped), as long as the deadline allows decoding on. Nothing past `max_seconds` is decoded. With
`on_screen`, each scene is handed over as soon as it ends (the reader OCRs it then, so one picture
is held at a time and OCR counts against the same deadline); without, they are collected.
Blocking: run it in a worker thread.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from chatops.bot.perception.types import PerceptionError

THUMB_WIDTH = 320  # a 720p text line (~16 px) stays ~4 px tall: one new line is a visible change
PIXEL_STEP = 16  # grey levels: a thumbnail pixel that moved less is noise or compression (averaged 4×4)


@dataclass
class Screen:
    """One scene: when it appeared and its settled picture."""

    at: float  # seconds from the start of the clip
    image: Image.Image


@dataclass
class FrameScan:
    """What the decoder found: the scenes kept, and what was left out and why."""

    screens: list[Screen] = field(default_factory=list)  # when no `on_screen` took them
    kept: int = 0  # scenes handed over or collected
    has_video: bool = False
    duration: float = 0.0  # the clip's length, from the container (or the last frame seen)
    seconds_seen: float = 0.0  # how far the pictures were decoded
    skipped_scenes: int = 0  # scene changes past `max_frames`
    skipped_after: float | None = None  # when the first skipped scene appeared
    stopped_at: float | None = None  # where the deadline stopped decoding, if it did
    damaged: bool = False  # decoding ended early on bad data (a truncated file)


def open_container(data: bytes) -> Any:
    """The clip opened by PyAV, or `PerceptionError` with a short reason."""
    import av

    try:
        return av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except Exception as exc:  # whatever FFmpeg says about a hostile or broken file
        raise PerceptionError(f"could not be decoded ({_reason(exc)})") from None


def probe(data: bytes) -> tuple[bool, bool, float]:
    """(has a picture, has sound, length in seconds) from the container's header."""
    with open_container(data) as container:
        pictures = [s for s in container.streams.video if not _is_cover(s)]
        length = float(container.duration) / 1_000_000 if container.duration else 0.0
        return bool(pictures), bool(container.streams.audio), length


def scan(data: bytes, *, max_seconds: float, max_frames: int, threshold: float,
         deadline: float | None = None, on_screen: Callable[[Screen], None] | None = None) -> FrameScan:
    """Decode the clip's pictures and pick its scenes (see the module's docstring)."""
    import av

    found = FrameScan()

    def keep(at: float, frame: Any) -> None:
        image = frame.to_image()
        if getattr(frame, "rotation", 0):  # a phone held upright: its display matrix turns the picture
            image = image.rotate(frame.rotation, expand=True)
        screen = Screen(at, image)
        if on_screen is None:
            found.screens.append(screen)
        else:
            on_screen(screen)

    with open_container(data) as container:
        streams = [s for s in container.streams.video if not _is_cover(s)]
        found.duration = float(container.duration) / 1_000_000 if container.duration else 0.0
        if not streams:
            return found
        found.has_video = True
        stream = streams[0]
        stream.thread_type = "AUTO"  # frame threads: decoding keeps up with 720p on 2 cores
        reference: np.ndarray | None = None  # the current scene's first thumbnail
        scene_at = 0.0
        last: Any = None  # the current scene's latest frame (converted only when the scene ends)
        kept = 0
        stopped = False  # by the duration limit or the deadline, not by the end of the data
        try:
            for frame in container.decode(stream):
                at = _seconds(frame, stream)
                if at > max_seconds:
                    stopped = True
                    break
                found.seconds_seen = max(found.seconds_seen, at)
                if deadline is not None and time.monotonic() > deadline:
                    found.stopped_at, stopped = at, True
                    break
                thumb = _thumbnail(frame)
                if reference is None or reference.shape != thumb.shape or _changed(reference, thumb) > threshold:
                    if last is not None and kept < max_frames:
                        keep(scene_at, last)
                        kept += 1
                    elif last is not None:
                        found.skipped_scenes += 1
                        found.skipped_after = scene_at if found.skipped_after is None else found.skipped_after
                    reference, scene_at = thumb, at
                last = frame
        except (av.error.FFmpegError, OSError, ValueError):
            found.damaged = True  # a truncated or damaged file: keep what was decoded before
        # a streamable file (webm, mkv) cut short just ends: its header still says how long it was
        frame_gap = 1 / float(stream.average_rate) if stream.average_rate else 1.0
        if not stopped and found.duration > found.seconds_seen + frame_gap + 0.5:
            found.damaged = True
        if last is not None and found.stopped_at is None:
            if kept < max_frames:
                keep(scene_at, last)
                kept += 1
            else:
                found.skipped_scenes += 1
                found.skipped_after = scene_at if found.skipped_after is None else found.skipped_after
        found.kept = kept
    found.duration = found.duration or found.seconds_seen
    return found


def _is_cover(stream: Any) -> bool:
    """An mp4/m4a's cover art is a one-picture "video" stream: not a video."""
    disposition = getattr(stream, "disposition", None)
    try:
        import av

        return bool(disposition is not None and disposition & av.stream.Disposition.attached_pic)
    except (AttributeError, TypeError):
        return False


def _seconds(frame: Any, stream: Any) -> float:
    if frame.time is not None:
        return max(0.0, float(frame.time))
    if frame.pts is not None and stream.time_base is not None:
        return max(0.0, float(frame.pts * stream.time_base))
    return 0.0


def _thumbnail(frame: Any) -> np.ndarray:
    height = max(2, round(frame.height * THUMB_WIDTH / max(frame.width, 1)))
    return frame.reformat(width=THUMB_WIDTH, height=height, format="gray").to_ndarray()


def _changed(reference: np.ndarray, thumb: np.ndarray) -> float:
    """The share of thumbnail pixels that differ by more than `PIXEL_STEP` grey levels."""
    delta = np.abs(reference.astype(np.int16) - thumb.astype(np.int16))
    return float(np.count_nonzero(delta > PIXEL_STEP)) / delta.size


def _reason(exc: BaseException) -> str:
    from chatops.bot.perception.audio import _reason as reason

    return reason(exc)
