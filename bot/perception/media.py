"""Reading an attachment safely: a size cap enforced while streaming, and the type sniffed from
the bytes (platforms label files loosely, and a `.png` can be anything)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import filetype

from chatops.bot.perception.types import MediaFile, PerceptionError

CHUNK = 256 * 1024

# filetype names some audio by its container; the platforms' names for the same bytes
_ALIASES = {"audio/x-wav": "audio/wav", "audio/x-flac": "audio/flac", "audio/m4a": "audio/mp4",
            "audio/x-m4a": "audio/mp4", "video/quicktime": "video/mp4"}


def human_size(size: int) -> str:
    """A size in the README's units: the limits are set in binary multiples (`25 * 1024 * 1024`)
    and documented as "25 MB", so a refusal says "25 MB" too, not the decimal "26.2 MB"."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            if unit == "bytes" or value == int(value):
                return f"{value:.0f} {unit}"
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover


def header_pixels(data: bytes) -> int:
    """An image's width × height from its header (Pillow's `open` decodes no pixel), 0 when it
    cannot be read (the reader then says why, or says that the `ocr` extra is missing).
    Blocking: call it in a thread."""
    try:
        from PIL import Image
    except ImportError:
        return 0

    try:
        with Image.open(io.BytesIO(data)) as image:
            return int(image.width) * int(image.height)
    except Exception:
        return 0


VIDEO_SUFFIXES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm",
                  ".mkv": "video/x-matroska"}


def declared_type(name: str, mime_type: str) -> str:
    """The type a platform declared for a file, or the one its name suggests when the platform
    said nothing useful: used only to pick the download's size cap before the bytes are sniffed."""
    mime = (mime_type or "").split(";", 1)[0].strip().lower()
    if mime and mime != "application/octet-stream":
        return mime
    return VIDEO_SUFFIXES.get(Path(name).suffix.lower(), mime or "application/octet-stream")


def sniff(data: bytes) -> str | None:
    """The MIME type the bytes themselves say, or None when they say nothing we know."""
    kind = filetype.guess(data[:8192])
    if kind is None:
        return None
    mime = _ALIASES.get(kind.mime, kind.mime)
    if mime == "video/mp4" and b"M4A " in data[:64]:
        return "audio/mp4"
    return mime


def to_media(name: str, data: bytes, allowed: Iterable[str]) -> MediaFile:
    """Check an attachment's bytes and wrap them; refusals are short `PerceptionError`s."""
    if not data:
        raise PerceptionError("is empty")
    mime = sniff(data)
    if mime is None:
        raise PerceptionError("is not a file type I can read (unrecognised content)")
    allowed_set = {_ALIASES.get(m, m) for m in allowed}
    if mime not in allowed_set:
        raise PerceptionError(f"is {mime}, which I do not read")
    return MediaFile(name=name, data=data, mime_type=mime)


async def read_capped(chunks: AsyncIterator[bytes], max_bytes: int) -> bytes:
    """Collect a stream, refusing as soon as it passes `max_bytes` (a 2 GB upload is never held)."""
    buffer = bytearray()
    async for chunk in chunks:
        buffer += chunk
        if len(buffer) > max_bytes:
            raise PerceptionError(f"is larger than the {human_size(max_bytes)} limit")
    return bytes(buffer)


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    """A local file as chunks, read off the event loop."""
    handle = await asyncio.to_thread(open, path, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)


async def read_local_file(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise PerceptionError(f"could not be read ({exc.strerror or exc})") from None
    if size > max_bytes:
        raise PerceptionError(f"is larger than the {human_size(max_bytes)} limit")
    return await read_capped(file_chunks(path), max_bytes)
