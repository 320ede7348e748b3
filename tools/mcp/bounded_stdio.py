"""The stdio transport to an MCP server, with each message's size capped while it is read.

The SDK's `stdio_client` joins the server's output into one string until a newline and parses
it: a 50 MB result took the bot from 262 to 743 MB before the result was cut to a few thousand
characters. Here a line longer than `max_line` bytes is never kept: its first and last few KB are,
its length is counted as it streams past, and the call that is waiting for it gets a JSON-RPC
error that says how large the answer was (its id is read from the kept ends; a server writes it
first or last), so the step fails saying what was cut and the connection goes on. Everything
else (starting the server in its own process group, the shutdown sequence) is the SDK's own.
"""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TextIO

import anyio
import anyio.lowlevel
import mcp_types as types
from mcp.client.stdio import (  # the SDK's own process start and shutdown sequence
    StdioServerParameters,
    _aclose_all,
    _create_platform_compatible_process,
    _drain_stdout,
    _parse_line,
    _stop_server_process,
    get_default_environment,
)
from mcp.shared.message import SessionMessage

RESULT_TOO_LARGE = -32099  # our own code, in the range JSON-RPC leaves to implementations
KEPT_ENDS = 4096  # bytes kept from each end of an oversized line, to find its id
_ID = r'(-?\d+|"(?:[^"\\]|\\.){0,200}")'
_ID_FIRST = re.compile(rb'^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*' + _ID.encode())
_ID_LAST = re.compile(rb'"id"\s*:\s*' + _ID.encode() + rb'\s*(?:,\s*"jsonrpc"\s*:\s*"2\.0"\s*)?\}\s*$')


@dataclass
class Oversized:
    """A line that was longer than the cap: its length and its two ends."""

    size: int
    head: bytes
    tail: bytes

    def response_id(self) -> int | str | None:
        """The JSON-RPC id, when a server wrote it first or last (a string or an integer)."""
        found = _ID_FIRST.match(self.head) or _ID_LAST.search(self.tail)
        if found is None:
            return None
        raw = found.group(1).decode("utf-8", "replace")
        return raw[1:-1] if raw.startswith('"') else int(raw)


class BoundedLines:
    """Splits a byte stream into lines, keeping at most `limit` bytes of any one line."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._buffer = bytearray()
        self._over: Oversized | None = None

    def feed(self, chunk: bytes) -> list[bytes | Oversized]:
        lines: list[bytes | Oversized] = []
        while chunk:
            newline = chunk.find(b"\n")
            piece, chunk = (chunk, b"") if newline < 0 else (chunk[:newline], chunk[newline + 1:])
            if self._over is None and len(self._buffer) + len(piece) > self.limit:
                joined = bytes(self._buffer[:KEPT_ENDS]) if len(self._buffer) >= KEPT_ENDS \
                    else bytes(self._buffer) + piece[:KEPT_ENDS - len(self._buffer)]
                self._over = Oversized(size=len(self._buffer), head=joined, tail=bytes(self._buffer[-KEPT_ENDS:]))
                self._buffer = bytearray()
            if self._over is not None:
                self._over.size += len(piece)
                self._over.tail = (self._over.tail + piece[-KEPT_ENDS:])[-KEPT_ENDS:]
            else:
                self._buffer += piece
            if newline >= 0:
                if self._over is not None:
                    lines.append(self._over)
                    self._over = None
                else:
                    lines.append(bytes(self._buffer))
                    self._buffer = bytearray()
        return lines


    def flush(self) -> bytes:
        """What is left after the last newline (a stream that ended mid-line), capped too."""
        rest, self._buffer = bytes(self._buffer), bytearray()
        over, self._over = self._over, None
        return b"" if over is not None else rest


def too_large(line: Oversized, limit: int) -> SessionMessage | Exception:
    """What the session gets instead of an oversized line: an error answer to its request, or
    (no id found) an exception it logs."""
    message = too_large_text(line.size, limit)
    response_id = line.response_id()
    if response_id is None:
        return ValueError(message + " (its request could not be told)")
    return SessionMessage(types.JSONRPCError(jsonrpc="2.0", id=response_id,
                                             error=types.ErrorData(code=RESULT_TOO_LARGE, message=message)))


def too_large_text(size: int, limit: int) -> str:
    """The words a step fails with, shared by the stdio and the HTTP transports."""
    return (f"the server's answer was {_megabytes(size)}, over the {_megabytes(limit)} this bot "
            "reads from an MCP server (max_result_bytes); it was dropped unread")


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


@asynccontextmanager
async def bounded_stdio_client(server: StdioServerParameters, errlog: TextIO = sys.stderr, *,
                               max_line: int) -> AsyncGenerator[tuple, None]:
    """`mcp.client.stdio.stdio_client`, reading with `BoundedLines` (see the module docstring)."""
    process = await _create_platform_compatible_process(
        command=server.command, args=server.args, env=get_default_environment() | (server.env or {}),
        errlog=errlog, cwd=server.cwd)
    read_stream_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_stream, write_stream_reader = anyio.create_memory_object_stream[SessionMessage](0)
    writer_done = anyio.Event()

    async def stdout_reader() -> None:
        assert process.stdout is not None
        lines = BoundedLines(max_line)
        try:
            async with read_stream_writer:
                try:
                    async for chunk in process.stdout:
                        for line in lines.feed(chunk):
                            item = too_large(line, max_line) if isinstance(line, Oversized) \
                                else _parse_line(line.decode(server.encoding, server.encoding_error_handler))
                            try:
                                await read_stream_writer.send(item)
                            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                                return
                finally:
                    await _drain_stdout(process)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, ConnectionError):
            pass  # the session sees the read stream close

    async def stdin_writer() -> None:
        assert process.stdin is not None
        try:
            async with write_stream_reader:
                async for session_message in write_stream_reader:
                    text = session_message.message.model_dump_json(by_alias=True, exclude_unset=True)
                    await process.stdin.send((text + "\n").encode(server.encoding, server.encoding_error_handler))
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            await read_stream_writer.aclose()
        finally:
            writer_done.set()

    async def shutdown() -> None:
        read_stream.close()
        write_stream.close()
        with anyio.move_on_after(0.5):
            await writer_done.wait()
        await _stop_server_process(process)
        await _aclose_all(read_stream, write_stream, read_stream_writer, write_stream_reader)
        await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as group:
        group.start_soon(stdout_reader)
        group.start_soon(stdin_writer)
        try:
            yield read_stream, write_stream
        finally:
            with anyio.CancelScope(shield=True):
                await shutdown()
            group.cancel_scope.cancel()
