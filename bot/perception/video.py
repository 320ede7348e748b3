"""Video clips to a timeline of what was said and what was on screen.

    [video 1:12] said at 0:03: "check the status page"; on screen at 0:05: "ERROR upstream timed out
    https://status.example.com/api"; at 0:41: "Retrying in 30 s"

The sound goes through the voice-note path (`Transcriber`: the same Whisper model, vocabulary bias
and, in the pipeline, spoken-form normalisation), with Whisper's segment times. The pictures go
through `bot.perception.frames` (one frame per scene change) and the configured OCR engine; a line
already read in an earlier frame is dropped, so a screen that stays up is read once.

Whose words: what is *said* is the user speaking, as in a voice note; what is *on screen* is data,
as in a screenshot. `bot.agent.provenance` tells them apart by the entry's kind, so every entry's
text is quoted with `"` and `\\` escaped: text on a screen cannot close its quote and pass for
speech.

Limits (`[perception.video]`): only the first `max_seconds` are perceived, at most `max_frames`
screens are read, and `time_budget` bounds the work (speech first, then pictures); whatever a
limit left out is named in a closing note, so nobody takes a partial reading for the whole clip.
Blocking: `read` runs in a worker thread of the perception pool.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from chatops.bot.config import VideoConfig
from chatops.bot.perception.frames import Screen, probe, scan
from chatops.bot.perception.types import PerceptionError, Transcript

MIN_LINE_CHARACTERS = 3  # letters or digits: OCR specks from icons and borders are shorter


@dataclass
class Entry:
    """One moment of the timeline."""

    at: float
    kind: str  # "said" | "on screen"
    text: str
    heard: str | None = None  # speech before spoken-form normalisation, when it differed


@dataclass
class VideoReading:
    entries: list[Entry] = field(default_factory=list)
    duration: float = 0.0
    has_video: bool = False
    has_audio: bool = False
    notes: list[str] = field(default_factory=list)
    frames_read: int = 0
    transcript: Transcript | None = None

    def details(self) -> dict[str, Any]:
        return {"duration": self.duration, "has_video": self.has_video, "has_audio": self.has_audio,
                "frames_read": self.frames_read, "notes": self.notes,
                "timeline": [{"at": e.at, "kind": e.kind, "text": e.text} for e in self.entries],
                "heard": self.transcript.text if self.transcript else None,
                "model": self.transcript.model if self.transcript else None}


def clock(seconds: float) -> str:
    from chatops.bot.perception.pipeline import clock as pipeline_clock

    return pipeline_clock(seconds)


def quote(text: str) -> str:
    """An entry's text in double quotes, `\\` and `"` escaped (see the module's docstring)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def timeline(entries: list[Entry]) -> str:
    """`said at 0:03: "…"; on screen at 0:05: "…"; at 0:41: "…"`: the kind named when it changes."""
    pieces: list[str] = []
    kind = None
    for entry in sorted(entries, key=lambda e: (e.at, e.kind != "said")):
        prefix = f"{entry.kind} at" if entry.kind != kind else "at"
        kind = entry.kind
        pieces.append(f"{prefix} {clock(entry.at)}: {quote(entry.text)}")
    return "; ".join(pieces)


def speech_onset(samples: Any, start: float, end: float) -> float:
    """When speech really starts inside a Whisper segment. Without word timestamps Whisper dates
    a segment from its window's start (0:00 for words said at 0:03); the first 20 ms stretch
    louder than a tenth of the segment's peak dates it to the sound instead."""
    import numpy as np

    from chatops.bot.perception.audio import SAMPLE_RATE

    step = SAMPLE_RATE // 50
    first, last = int(start * SAMPLE_RATE), min(len(samples), int(max(end, start) * SAMPLE_RATE) + step)
    stretch = np.abs(samples[first:last])
    if stretch.size < step:
        return start
    peak = float(stretch.max())
    if peak <= 0:
        return start
    blocks = stretch[: stretch.size // step * step].reshape(-1, step).max(axis=1)
    loud = np.flatnonzero(blocks >= peak / 10)
    return start + (float(loud[0]) * step / SAMPLE_RATE if loud.size else 0.0)


def _line_key(line: str) -> str:
    """A line as compared for "already seen": letters and digits only, lower case (OCR varies
    spacing and punctuation from frame to frame more than it varies the words)."""
    return re.sub(r"[\W_]+", "", line.lower())


class NewLines:
    """The lines of each frame that no earlier frame showed."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def of(self, text: str) -> list[str]:
        fresh = []
        for line in text.splitlines():
            key = _line_key(line)
            if len(key) < MIN_LINE_CHARACTERS or key in self._seen:
                continue
            self._seen.add(key)
            fresh.append(" ".join(line.split()))
        return fresh


class VideoReader:
    """Reads one clip at a time per worker thread; the transcriber and OCR reader are shared."""

    def __init__(self, config: VideoConfig, *, transcriber: Any, image_reader: Any) -> None:
        self.config = config
        self.transcriber = transcriber
        self.image_reader = image_reader

    def has_picture(self, data: bytes) -> bool:
        """Whether the file holds a real video stream (a webm voice note does not)."""
        return probe(data)[0]

    def read(self, data: bytes, name: str) -> VideoReading:
        from chatops.bot.perception.audio import SAMPLE_RATE, SILENCE_PEAK, decode_cut

        started = time.monotonic()
        deadline = started + self.config.time_budget
        has_video, has_audio, length = probe(data)
        reading = VideoReading(has_video=has_video, has_audio=has_audio, duration=length)
        limit = self.config.max_seconds

        if has_audio:
            samples, seconds = decode_cut(data, limit)
            reading.duration = max(reading.duration, seconds)
            if len(samples) and float(abs(samples).max()) >= SILENCE_PEAK:
                transcript = self.transcriber.transcribe_samples(samples, name, deadline=deadline)
                reading.transcript = transcript
                reading.entries += [Entry(speech_onset(samples, segment.start, segment.end), "said", segment.text)
                                    for segment in transcript.segments]
                if transcript.stopped_at is not None:
                    heard_until = min(len(samples) / SAMPLE_RATE, limit)
                    reading.notes.append(f"speech from {clock(transcript.stopped_at)} to {clock(heard_until)} "
                                         f"not transcribed: the {self.config.time_budget:g} s time budget ran out")

        if has_video:
            new_lines = NewLines()

            def read_screen(screen: Screen) -> None:
                reading.frames_read += 1
                lines = new_lines.of(self.image_reader.text_of(screen.image))
                if lines:
                    reading.entries.append(Entry(screen.at, "on screen", "\n".join(lines)))

            frames = scan(data, max_seconds=limit, max_frames=self.config.max_frames,
                          threshold=self.config.scene_change, deadline=deadline, on_screen=read_screen)
            reading.duration = max(reading.duration, frames.duration)
            if frames.damaged:
                reading.notes.append(f"the picture breaks off at {clock(frames.seconds_seen)} (the file is damaged "
                                     "or truncated)")
            if frames.stopped_at is not None:
                reading.notes.append(f"pictures after {clock(frames.stopped_at)} not read: the "
                                     f"{self.config.time_budget:g} s time budget ran out")
            if frames.skipped_scenes:
                reading.notes.append(f"{frames.skipped_scenes} later screen change"
                                     f"{'s' if frames.skipped_scenes != 1 else ''} from "
                                     f"{clock(frames.skipped_after or 0)} not read: the limit is "
                                     f"{self.config.max_frames} frames")
        if not has_video and not has_audio:
            raise PerceptionError("could not be decoded (no picture and no sound)")
        if has_video and not frames.kept and frames.damaged and not reading.entries:
            raise PerceptionError("could not be decoded (the file is damaged or truncated)")
        if reading.duration > limit:
            reading.notes.insert(0, f"only the first {clock(limit)} of {clock(reading.duration)} perceived "
                                    f"(the limit is {clock(limit)})")
        return reading
