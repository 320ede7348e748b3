"""What perception works on and what it produces, shared by the audio and image readers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field


class PerceptionError(Exception):
    """A file could not be perceived (too big, too long, empty, not decodable). The message is
    short and safe to show in a thread, e.g. "could not be decoded (invalid data)"."""


@dataclass(frozen=True)
class MediaFile:
    """An attachment's bytes, already read under the size cap, with the type sniffed from them."""

    name: str
    data: bytes
    mime_type: str  # sniffed from the bytes, not trusted from the platform

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def kind(self) -> str:
        return self.mime_type.split("/", 1)[0]  # "audio", "image", "video", …


class Transcript(BaseModel):
    """What a voice note said."""

    text: str
    duration: float  # seconds of audio
    language: str | None = None
    model: str = ""


class ImageReading(BaseModel):
    """What an image shows: OCR text (reading order, lines kept), basic facts, and a description
    when a vision-capable model is configured."""

    text: str = ""
    width: int
    height: int
    format: str
    description: str | None = None
    engine: str = ""


class PerceivedPart(BaseModel):
    """One attachment as the planner sees it: a label and its text (or why there is none)."""

    name: str
    sha256: str = ""
    kind: str
    label: str  # "[voice note, 0:12]" / "[image: screenshot.png]"
    text: str
    ok: bool = True
    details: dict[str, Any] = Field(default_factory=dict)

    def render(self) -> str:
        return f"{self.label} {self.text}".strip()
