"""An event published while a batch of events is being written is written too, without waiting
for another event (issue 23 item 4: the last event of a turn, the answer, stayed unwritten, and a
listener on another replica waited for it until its timeout). A real SQLite store, its writer held
so the first batch is in flight for as long as the test needs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from chatops.adapters.http.events import ThreadEvents
from chatops.bot.model import NoticeEvent
from chatops.storage import Store
from tests.test_group_commit import held_writer

pytestmark = pytest.mark.sqlite_only


async def test_an_event_published_during_a_flush_is_written_without_another_publish(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.db")
    events = ThreadEvents(store=store)
    try:
        release = await held_writer(store)
        events.publish("web:t", NoticeEvent(thread="web:t", text="first"))
        while store._writer._queue.qsize() < 1:  # the first batch's write is queued behind the held writer
            await asyncio.sleep(0.01)
        events.publish("web:t", NoticeEvent(thread="web:t", text="the answer"))  # while that batch is in flight
        release.set()
        for _ in range(200):
            stored = await store.thread_events("web:t", 0)
            if len(stored) == 2:
                break
            await asyncio.sleep(0.01)
        assert [data for _, data in stored] == [NoticeEvent(thread="web:t", text="first").model_dump_json(),
                                                NoticeEvent(thread="web:t", text="the answer").model_dump_json()]
    finally:
        await events.close()
        await store.close()
