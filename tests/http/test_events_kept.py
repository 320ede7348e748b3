"""Events the database refuses during an outage are kept and stored once it is back (issue 22,
item 5): a resume after the outage replays them with ids, and a stream that was sent them
without ids during the outage does not get them twice. A real SQLite database made read-only
(`PRAGMA query_only`), then writable again."""

from __future__ import annotations

import asyncio

import pytest

from chatops.adapters.http.events import ThreadEvents
from chatops.bot.model import NoticeEvent
from tests.polling import eventually

pytestmark = pytest.mark.sqlite_only


async def read_only(store, on: bool) -> None:
    await store._dispatch(lambda: store.db.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}"))


def notice(text: str) -> NoticeEvent:
    return NoticeEvent(thread="web:t", text=text, level="info")


async def test_events_refused_during_an_outage_are_stored_when_it_ends_and_sent_once(make_bot):
    bot = await make_bot()
    events = ThreadEvents(store=bot.store)
    received: list[tuple[int | None, str]] = []

    async def listen() -> None:
        async for batch in events.follow("web:t", 0, keepalive=0.2):
            received.extend(batch)

    listening = asyncio.create_task(listen())
    try:
        await asyncio.sleep(0.05)
        await read_only(bot.store, True)  # the outage
        for n in range(3):
            events.publish("web:t", notice(f"during {n}"))
        await eventually(lambda: len(received) == 3, what="the events sent at once without ids")
        assert [event_id for event_id, _ in received] == [None, None, None]
        assert await bot.store.thread_events("web:t", 0) == []

        await read_only(bot.store, False)  # the database is back: the kept batch is written
        stored = await eventually(lambda: _stored(bot.store), timeout=10, what="the kept events stored")
        assert ['"during 0"' in data for _, data in stored] == [True, False, False]  # main: none stored

        events.publish("web:t", notice("after"))
        await eventually(lambda: any('"after"' in data for _, data in received), what="the next event")
        texts = [data for _, data in received]
        assert len(texts) == 4 and '"after"' in texts[3]  # the three were not sent again
        assert received[3][0] == stored[-1][0] + 1 or received[3][0] > stored[-1][0]
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        await events.close()


async def _stored(store):
    rows = await store.thread_events("web:t", 0)
    return rows if len(rows) == 3 else None
