"""Reading a message from a request: JSON `{"text"}`, `multipart/form-data` with files, or a
plain form (`curl -d text=…`).

Everything is checked before the hub sees the message, so a refused request stores nothing:
the body limit (`[http] max_body`, checked against Content-Length before reading and again
while streaming), the per-file limit (`perception.max_bytes`, `perception.video.max_bytes` for a
video) and the file types perception reads (sniffed from the bytes, never trusted from the client).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from aiohttp import web
from pydantic import ValidationError
from python_multipart.multipart import parse_options_header

from chatops.adapters.http.errors import ApiError
from chatops.adapters.http.forms import FormPart, FormRefused, parse_multipart, parse_urlencoded
from chatops.adapters.http.schemas import MAX_TEXT, MessageRequest
from chatops.bot.config import Config
from chatops.bot.perception.media import declared_type, human_size, to_media
from chatops.bot.perception.types import PerceptionError
from chatops.bot.text import safe_file_name

T = TypeVar("T")


async def read_within(seconds: float, reading: Awaitable[T]) -> T:
    """A request body must arrive within `[http] body_timeout`: a client that trickles it is
    answered 408 and disconnected, instead of holding a connection and a handler for ever."""
    try:
        async with asyncio.timeout(seconds):
            return await reading
    except TimeoutError:
        raise ApiError(408, f"the request body did not arrive within {seconds:g} s", "body_timeout",
                       headers={"Connection": "close"}) from None


@dataclass
class UploadedFile:
    name: str
    mime_type: str
    data: bytes


@dataclass
class IncomingMessage:
    text: str
    files: list[UploadedFile]


def check_declared_size(request: web.Request, max_body: int) -> None:
    if request.content_length is not None and request.content_length > max_body:
        raise ApiError(413, f"the request is {human_size(request.content_length)}; the limit is "
                            f"{human_size(max_body)}")


def validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']}"


async def read_json(request: web.Request, model: type, max_body: int, body_timeout: float = 120.0):
    """A JSON body validated by `model`; 415 for another content type, 400 for anything malformed."""
    check_declared_size(request, max_body)
    if request.content_type != "application/json":
        raise ApiError(415, "send application/json")
    raw = await read_within(body_timeout, request.read())
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as exc:
        if any(error["type"] == "json_invalid" for error in exc.errors()):
            raise ApiError(400, "the body is not valid JSON", "malformed_json") from None
        raise ApiError(400, validation_message(exc), "invalid") from None


async def read_message(request: web.Request, config: Config) -> IncomingMessage:
    max_body = config.http.max_body
    check_declared_size(request, max_body)
    if request.content_type == "application/json":
        body = await read_json(request, MessageRequest, max_body, config.http.body_timeout)
        return IncomingMessage(text=body.text, files=[])
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise ApiError(415, "send application/json ({\"text\": …}) or multipart/form-data (text and files)")
    body = await read_within(config.http.body_timeout, request.read())
    try:
        if request.content_type == "application/x-www-form-urlencoded":  # `curl -d text=…`
            fields = await asyncio.to_thread(parse_urlencoded, body)
            return _form_message(fields)
        parts = await asyncio.to_thread(parse_multipart, body, request.headers.get("Content-Type", ""),
                                        file_limit=_file_limit(config))
    except FormRefused as exc:
        raise ApiError(exc.status, exc.message, exc.code) from None
    message = await asyncio.to_thread(_multipart_message, parts, config)
    if not message.text.strip() and not message.files:
        raise ApiError(400, "send some text or at least one file", "empty")
    return message


def _form_message(fields: list[tuple[str, str]]) -> IncomingMessage:
    text = _checked_length("\n".join(value for name, value in fields if name == "text"))
    if not text.strip():
        raise ApiError(400, "send some text", "empty")
    return IncomingMessage(text=text, files=[])


def _multipart_message(parts: list[FormPart], config: Config) -> IncomingMessage:
    """The message in parsed parts: `text` fields joined, files checked (sniffing reads the
    bytes: run in a thread); unknown plain fields are ignored, like unknown query parameters."""
    text_parts: list[str] = []
    files: list[UploadedFile] = []
    for part in parts:
        if part.filename is None and part.name != "files":
            if part.name == "text":
                try:
                    text_parts.append(bytes(part.data).decode(_charset(part.content_type)))
                except (UnicodeDecodeError, LookupError):
                    raise ApiError(400, "the text field is not valid UTF-8", "malformed_body") from None
            continue
        if len(files) == config.perception.max_attachments:
            raise ApiError(413, f"a message may carry at most {config.perception.max_attachments} files",
                           "too_many_files")
        files.append(_checked_file(part.filename or "file", bytes(part.data), config))
    return IncomingMessage(text=_checked_length("\n".join(text_parts)), files=files)


def _charset(content_type: str | None) -> str:
    _, options = parse_options_header(content_type)
    return (options.get(b"charset") or b"utf-8").decode("latin-1")


def _file_limit(config: Config):
    """The cap a part's declared type allows (a video's is larger), for the parser to apply as
    the part arrives; the type sniffed from the bytes is checked against its own cap in
    `_checked_file`."""
    def limit(filename: str, content_type: str) -> int:
        return config.perception.limit_for(declared_type(filename, content_type))

    return limit


def _checked_length(text: str) -> str:
    if len(text) > MAX_TEXT:
        raise ApiError(400, f"text: at most {MAX_TEXT} characters", "invalid")
    return text


def _checked_file(name: str, data: bytes, config: Config) -> UploadedFile:
    """Perception's own type check, run before anything is stored."""
    name = safe_file_name(name.replace("/", "_").replace("\\", "_"))[:200] or "file"
    if not data:
        raise ApiError(400, f"{name} is empty", "empty_file")
    try:
        media = to_media(name, data, config.perception.allowed_types)
    except PerceptionError as exc:
        raise ApiError(415, f"{name} {exc}; I read images (png, jpeg, webp, …), audio "
                            "(ogg, webm, mp3, wav, m4a, …) and video (mp4, webm, mov, mkv)") from None
    limit = config.perception.limit_for(media.mime_type)
    if len(data) > limit:  # declared as a video, but the bytes are not one
        raise ApiError(413, f"{name} is larger than the {human_size(limit)} limit for a file")
    return UploadedFile(name=name, mime_type=media.mime_type, data=data)
