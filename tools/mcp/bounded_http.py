"""The Streamable HTTP transport to an MCP server, with each answer's size capped while it is read.

The SDK reads a JSON answer whole (`response.aread()`) and bounds a server-sent event only by its
own 1 MiB default, whatever `max_result_bytes` says; so a server over HTTP could still make the
bot hold a 50 MB result, which stdio no longer can (`bounded_stdio`). This httpx transport wraps
every response before the SDK sees it: a JSON body or an SSE line longer than the cap is counted
as it streams past, never kept, and replaced by a JSON-RPC error for the request it answers (the
POST's own id), in the same words as stdio's, so the step fails saying what was cut and the
connection goes on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx2

from chatops.tools.mcp.bounded_stdio import KEPT_ENDS, RESULT_TOO_LARGE, BoundedLines, Oversized, too_large_text

log = logging.getLogger("chatops.mcp")
SSE_SLACK = 64 * 1024  # the SDK's own event limit sits above ours: our cap is the one that speaks
RequestId = int | str | None


def sse_event_limit(max_result_bytes: int) -> int:
    """The `max_sse_event_size` to give the SDK, so that `max_result_bytes` decides, not 1 MiB."""
    return max_result_bytes + SSE_SLACK


def _request_id(request: httpx2.Request) -> RequestId:
    """The JSON-RPC id of the request a POST carries (None for a notification, a GET or a DELETE)."""
    if request.method != "POST":
        return None
    try:
        body = json.loads(request.content)
    except (httpx2.RequestNotRead, ValueError, UnicodeDecodeError):
        return None
    found = body.get("id") if isinstance(body, dict) else None
    return found if isinstance(found, int | str) and not isinstance(found, bool) else None


def _error_body(request_id: int | str, size: int, limit: int) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": request_id,
                       "error": {"code": RESULT_TOO_LARGE, "message": too_large_text(size, limit)}}).encode()


class BoundedJSON(httpx2.AsyncByteStream):
    """A JSON answer kept whole up to `limit` bytes; past that, counted and replaced by an error."""

    def __init__(self, inner: httpx2.AsyncByteStream, limit: int, request_id: RequestId) -> None:
        self.inner, self.limit, self.request_id = inner, limit, request_id

    async def __aiter__(self) -> AsyncIterator[bytes]:
        kept, size, head = bytearray(), 0, b""
        async for chunk in self.inner:
            size += len(chunk)
            if head or size > self.limit:
                head = head or (bytes(kept) + chunk)[:KEPT_ENDS]
                kept = bytearray()  # released at once: the rest is only counted
                continue
            kept += chunk
        if not head:
            yield bytes(kept)
            return
        answered = self.request_id if self.request_id is not None else Oversized(size, head, b"").response_id()
        log.warning("MCP answer of %d bytes over max_result_bytes=%d dropped unread", size, self.limit)
        if answered is not None:
            yield _error_body(answered, size, self.limit)

    async def aclose(self) -> None:
        await self.inner.aclose()


class BoundedEvents(httpx2.AsyncByteStream):
    """An SSE stream whose lines are kept up to `limit` bytes; a longer `data:` line is replaced by
    an error answer to the request it answers (its id read from its ends, else the POST's)."""

    def __init__(self, inner: httpx2.AsyncByteStream, limit: int, request_id: RequestId) -> None:
        self.inner, self.limit, self.request_id = inner, limit, request_id

    async def __aiter__(self) -> AsyncIterator[bytes]:
        lines = BoundedLines(self.limit)
        async for chunk in self.inner:
            out = bytearray()
            for line in lines.feed(chunk):
                if isinstance(line, Oversized):
                    out += self._replacement(line)
                else:
                    out += line + b"\n"
            if out:
                yield bytes(out)
        rest = lines.flush()
        if rest:
            yield rest

    def _replacement(self, line: Oversized) -> bytes:
        field, _, value = line.head.partition(b":")
        value = value[1:] if value.startswith(b" ") else value
        log.warning("MCP event line of %d bytes over max_result_bytes=%d dropped unread", line.size, self.limit)
        if field.strip() != b"data":
            return b""  # an oversized comment or id line carries no answer
        answered = Oversized(line.size, value, line.tail).response_id()
        answered = answered if answered is not None else self.request_id
        if answered is None:
            return b""  # an unsolicited message (the GET stream): nobody waits for it
        return b"data: " + _error_body(answered, line.size, self.limit) + b"\n"

    async def aclose(self) -> None:
        await self.inner.aclose()


class BoundedTransport(httpx2.AsyncBaseTransport):
    """Wraps another transport so that no answer it returns can be larger than `limit` bytes."""

    def __init__(self, limit: int, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self.limit = limit
        self.inner = inner or httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        kind = response.headers.get("content-type", "").lower()
        stream = response.stream
        assert isinstance(stream, httpx2.AsyncByteStream)
        if kind.startswith("text/event-stream"):
            bounded: httpx2.AsyncByteStream = BoundedEvents(stream, self.limit, _request_id(request))
        else:  # JSON, and any other body (an error page), is read whole only under the cap
            bounded = BoundedJSON(stream, self.limit, _request_id(request))
        headers = [(name, value) for name, value in response.headers.raw
                   if name.lower() != b"content-length"]  # the body may be replaced
        return httpx2.Response(response.status_code, headers=headers, stream=bounded,
                               extensions=response.extensions, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()
