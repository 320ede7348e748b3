"""Attachment guards: the size cap holds while streaming, and types come from the bytes."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from chatops.bot.config import PerceptionConfig
from chatops.bot.perception.media import human_size, read_capped, read_local_file, sniff, to_media
from chatops.bot.perception.pipeline import clock
from chatops.bot.perception.types import PerceptionError

ALLOWED = PerceptionConfig().allowed_types


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return buffer.getvalue()


async def endless(chunk: int = 1 << 20) -> AsyncIterator[bytes]:
    """A stream that would be 2 GB and more if anybody kept reading it."""
    produced = 0
    while produced < (2 << 30):
        produced += chunk
        yield b"\0" * chunk


async def test_a_huge_stream_is_refused_as_soon_as_it_passes_the_cap():
    with pytest.raises(PerceptionError, match=r"larger than the 5 MB limit"):
        await read_capped(endless(), 5 * 1024 * 1024)


def test_sizes_read_in_the_readmes_units():
    assert human_size(25 * 1024 * 1024) == "25 MB"  # [http] max_body, "25 MB" in the README
    assert human_size(100 * 1024 * 1024) == "100 MB"
    assert human_size(4096) == "4 KB"
    assert human_size(1536) == "1.5 KB"
    assert human_size(512) == "512 bytes"


async def test_a_large_local_file_is_refused_before_reading(tmp_path):
    big = tmp_path / "big.ogg"
    with big.open("wb") as handle:
        handle.truncate(2 << 30)  # a sparse 2 GB file: refused from its size alone
    with pytest.raises(PerceptionError, match="larger than"):
        await read_local_file(big, 25_000_000)


def test_types_are_sniffed_from_the_bytes_not_the_name():
    assert sniff(png_bytes()) == "image/png"
    assert to_media("photo.jpg", png_bytes(), ALLOWED).mime_type == "image/png"
    with pytest.raises(PerceptionError, match="unrecognised content"):
        to_media("fake.png", b"\x13\x37" * 100, ALLOWED)
    with pytest.raises(PerceptionError, match="is empty"):
        to_media("empty.ogg", b"", ALLOWED)
    with pytest.raises(PerceptionError, match="application/pdf, which I do not read"):
        to_media("doc.png", b"%PDF-1.7\n" + b"x" * 100, ALLOWED)


def test_clip_lengths_read_like_chat_apps_show_them():
    assert [clock(12.4), clock(750), clock(3723)] == ["0:12", "12:30", "1:02:03"]
