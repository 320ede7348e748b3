"""Attachments: what a Discord message carries, and downloading it under the size cap.

Voice messages are ordinary attachments (`audio/ogg`, Opus) on a message flagged
`IS_VOICE_MESSAGE`, with `duration_secs` and a `waveform`; they go to perception like any audio
file. Downloads come from the attachment's CDN URL (not the REST API, so no rate limit applies)
and stop as soon as they pass the cap; the declared size is checked before anything is fetched.
"""

from __future__ import annotations

import mimetypes

import aiohttp
import discord

from chatops.bot.model import Attachment
from chatops.bot.perception.media import human_size, read_capped
from chatops.bot.perception.types import PerceptionError
from chatops.bot.text import safe_file_name

CHUNK = 64 * 1024


def attachment_of(item: discord.Attachment) -> Attachment:
    """A Discord attachment as the hub's `Attachment` (its bytes are fetched later, on demand).
    Perception sniffs the real type from the bytes; the declared one is a hint."""
    mime = (item.content_type or "").split(";", 1)[0].strip()
    if not mime:
        mime = mimetypes.guess_type(item.filename)[0] or "application/octet-stream"
    return Attachment(name=safe_file_name(item.filename) or "file", mime_type=mime, size=item.size, url=item.url)


class AttachmentDownloads:
    """`fetch(attachment, max_bytes)` for the hub, on one HTTP session the adapter owns."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def fetch(self, attachment: Attachment, max_bytes: int) -> bytes:
        if attachment.size is not None and attachment.size > max_bytes:
            raise PerceptionError(f"is larger than the {human_size(max_bytes)} limit")
        if not attachment.url:
            raise PerceptionError("could not be fetched (no URL)")
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120, sock_read=30))
        try:
            async with self._session.get(attachment.url) as response:
                if response.status != 200:
                    raise PerceptionError(f"could not be downloaded (HTTP {response.status})")
                if response.content_length is not None and response.content_length > max_bytes:
                    raise PerceptionError(f"is larger than the {human_size(max_bytes)} limit")
                return await read_capped(response.content.iter_chunked(CHUNK), max_bytes)
        except aiohttp.ClientError as exc:
            raise PerceptionError(f"could not be downloaded ({type(exc).__name__})") from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
