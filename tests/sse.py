"""Reading a thread's Server-Sent Events stream in tests, as a browser's EventSource would."""

from __future__ import annotations

import json
from typing import Any

import aiohttp


async def read_sse(session: aiohttp.ClientSession, url: str, *, until: str, last_event_id: str | None = None,
                   timeout: float = 10) -> list[tuple[int, dict[str, Any]]]:
    """(id, event) pairs from the stream at `url` up to the first event of type `until`; fails when
    the stream ends or `timeout` (the client's total timeout) passes first."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    events: list[tuple[int, dict[str, Any]]] = []
    async with session.get(url, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/event-stream"
        event_id = None
        async for raw in response.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("id: "):
                event_id = int(line[4:])
            elif line.startswith("data: "):
                event = json.loads(line[6:])
                events.append((event_id, event))
                if event["type"] == until:
                    return events
    raise AssertionError(f"the stream ended before a {until} event: {events}")
