"""Parsing a request's form body, bounded and off the event loop.

aiohttp's multipart reader parses on the loop, part by part: 50,000 empty parts (2.5 MB) kept
the loop busy for ten seconds and `/healthz` with it. Here the body (already read, within
`[http] max_body`) is parsed by python-multipart in a worker thread, and a body with more parts
or fields than a message can use is refused as soon as the count is passed, so even a hostile
body costs a few milliseconds. Plain functions over bytes: the caller turns `FormRefused` into
the HTTP answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from aiohttp.multipart import content_disposition_filename, parse_content_disposition
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from chatops.bot.perception.media import human_size

MAX_PARTS = 64  # text, files and any other fields of one multipart message
MAX_FIELDS = 64  # fields of one urlencoded form
MAX_HEADERS_PER_PART = 8
MAX_HEADER_SIZE = 8 * 1024
FEED = 64 * 1024  # bytes handed to the parser at a time, so a refusal comes early


class FormRefused(Exception):
    """A form body that is refused; `status` is the HTTP status, `code` the API's error code."""

    def __init__(self, status: int, message: str, code: str = "malformed_body") -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


@dataclass
class FormPart:
    """One part of a multipart body: a field (`filename` None) or a file."""

    name: str | None
    filename: str | None
    content_type: str | None
    limit: int = 0  # bytes a file part may hold
    data: bytearray = field(default_factory=bytearray)


@dataclass
class _PartReader:
    """python-multipart's callbacks, collecting parts and enforcing the limits as they come."""

    file_limit: Callable[[str, str], int]  # (file name, declared type) → bytes allowed
    parts: list[FormPart] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    ended: bool = False

    def callbacks(self) -> dict:
        return {"on_part_begin": self.part_begin, "on_header_field": self.field_data,
                "on_header_value": self.value_data, "on_header_end": self.header_end,
                "on_headers_finished": self.headers_finished, "on_part_data": self.part_data,
                "on_end": self.end}

    def part_begin(self) -> None:
        if len(self.parts) >= MAX_PARTS:
            raise FormRefused(413, f"the multipart body has more than {MAX_PARTS} parts", "too_many_parts")
        self.headers = {}

    def field_data(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def value_data(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def header_end(self) -> None:
        self.headers[self.header_field.decode("latin-1").strip().lower()] = _text(bytes(self.header_value)) or ""
        self.header_field, self.header_value = bytearray(), bytearray()

    def headers_finished(self) -> None:
        # aiohttp's reading of the header, which understands RFC 5987's `filename*=UTF-8''…`
        disposition, options = parse_content_disposition(self.headers.get("content-disposition"))
        if disposition != "form-data":
            raise FormRefused(400, "each part needs Content-Disposition: form-data")
        content_type = self.headers.get("content-type")
        if content_type is not None and content_type.strip().lower().startswith("multipart/"):
            raise FormRefused(400, "nested multipart bodies are not accepted")
        filename = content_disposition_filename(options, "filename")
        self.parts.append(FormPart(name=options.get("name"), filename=filename, content_type=content_type,
                                   limit=self.file_limit(filename, content_type or "") if filename is not None else 0))

    def part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.parts[-1]
        part.data += data[start:end]
        if part.filename is not None and len(part.data) > part.limit:
            raise FormRefused(413, f"{part.filename} is larger than the {human_size(part.limit)} limit "
                                   "for a file", "too_large")

    def end(self) -> None:
        self.ended = True


def parse_multipart(body: bytes, content_type: str, *, file_limit: Callable[[str, str], int]) -> list[FormPart]:
    """The parts of a `multipart/form-data` body (blocking: run it in a thread). Raises
    `FormRefused` for a body with too many parts, a file over the limit, or malformed framing."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise FormRefused(400, "the multipart body has no boundary")
    reader = _PartReader(file_limit=file_limit)
    try:
        parser = MultipartParser(boundary, reader.callbacks(), max_header_count=MAX_HEADERS_PER_PART,
                                 max_header_size=MAX_HEADER_SIZE)
        for offset in range(0, len(body), FEED):
            parser.write(body[offset:offset + FEED])
        parser.finalize()
    except (MultipartParseError, ValueError) as exc:
        raise FormRefused(400, f"the multipart body could not be read ({exc})") from None
    if not reader.ended:
        raise FormRefused(400, "the multipart body ends before its closing boundary")
    return reader.parts


def parse_urlencoded(body: bytes) -> list[tuple[str, str]]:
    """The fields of an `application/x-www-form-urlencoded` body (blocking: run it in a thread).
    Percent-escapes must decode to UTF-8: `%ff%fe` is refused like a raw invalid body, never
    stored as U+FFFD."""
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict",
                         max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise FormRefused(400, "the form body is not valid UTF-8") from None
    except ValueError:  # more than max_num_fields
        raise FormRefused(413, f"the form has more than {MAX_FIELDS} fields", "too_many_fields") from None


def _text(value: bytes | None) -> str | None:
    if value is None:
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")

