"""The events a thread's streams publish, kept with ids unique across replicas."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from chatops.storage.dialect import POSTGRESQL
from chatops.storage.operations import reads, writes
from chatops.storage.parts.part import Part
from chatops.storage.pg_event_signal import notify_sql

EVENTS_PER_INSERT = 100  # rows of one INSERT of events


@dataclass(frozen=True)
class ViewQuery:
    """A thread view to read with a batch of events (`ThreadEvents.keep_events_and_views`)."""

    thread_id: str
    limit: int = 50
    before: str | None = None
    with_alert: bool = False
    last_event: bool = False
    """Read the thread's newest event id too (first, in the same transaction)."""


@dataclass(frozen=True)
class ViewRead:
    """What one `ViewQuery` read: the view (None for no such thread), the newest event id when
    asked, or why the cursor `before` named no message of the thread."""

    view: dict[str, Any] | None
    last_event: int | None = None
    missing: str | None = None


class ThreadEvents(Part):
    """The events a thread's streams publish, kept with ids unique across replicas."""

    async def keep_thread_events(self, events: list[tuple[str, str]]) -> list[int]:
        """Keep (thread id, JSON) events an event stream publishes, in one transaction, and wake
        the streams of this process; returns their ids, in order."""
        ids = await self._keep_thread_events(events)
        latest: dict[str, int] = {}
        for (thread_id, _), event_id in zip(events, ids, strict=True):
            latest[thread_id] = event_id
        self.event_signal.notify(latest)
        return ids

    async def keep_events_and_views(self, events: list[tuple[str, str]],
                                    views: list[dict[str, Any]]) -> tuple[list[int], list[ViewRead]]:
        """`keep_thread_events`, then the views asked for, in one operation: on PostgreSQL one
        transaction (an API turn's reply costs one trip, not a flush and then a read). Each view
        is read after the events are written, so an event id handed out with it never names
        something the view does not show. Each view is given by the fields of a `ViewQuery`
        (callers outside storage/ cannot import it). A view's own bad cursor (`before`) is its answer
        (`ViewRead.missing`), never a reason to refuse the events."""
        kind = "write" if events else "read"
        queries = [ViewQuery(**view) for view in views]
        ids, read = await self._writer.submit(functools.partial(self._keep_and_view, events, queries), kind)
        if ids:
            latest: dict[str, int] = {}
            for (thread_id, _), event_id in zip(events, ids, strict=True):
                latest[thread_id] = event_id
            self.event_signal.notify(latest)
        return ids, read

    def _keep_and_view(self, events: list[tuple[str, str]],
                       views: list[ViewQuery]) -> tuple[list[int], list[ViewRead]]:
        ids = self._keep_thread_events.blocking(self, events)  # type: ignore[attr-defined]
        read = []
        for query in views:
            last = self.last_thread_event.blocking(self, query.thread_id) if query.last_event else None  # type: ignore[attr-defined]
            try:
                view = self.thread_view.blocking(self, query.thread_id, limit=query.limit,  # type: ignore[attr-defined]
                                                 before=query.before, with_alert=query.with_alert)
            except LookupError as exc:
                read.append(ViewRead(last_event=last, view=None, missing=str(exc)))
                continue
            read.append(ViewRead(last_event=last, view=view))
        return ids, read

    @writes
    def _keep_thread_events(self, events: list[tuple[str, str]]) -> list[int]:
        """Ids come from one counter row, taken in the transaction that stores the events: a
        second writer (another replica) waits for that row until this one commits, so ids are
        unique across processes and committed in increasing order. A stream that read up to id
        N can therefore never later find a newly committed event below N (what ids handed out
        before the write, or a sequence, would allow: the one taken first may commit last)."""
        if not events:
            return []
        # the first batch starts above the ids kept before the counter existed (clock-based)
        last = self.db.execute(
            "INSERT INTO counters (name, value) VALUES "
            "('thread_events', (SELECT COALESCE(MAX(id), 0) FROM thread_events) + ?) ON CONFLICT (name) "
            "DO UPDATE SET value = counters.value + ? RETURNING value", [len(events), len(events)]).fetchone()[0]
        ids = list(range(int(last) - len(events) + 1, int(last) + 1))
        # one multi-row INSERT (an executemany is one statement per row on PostgreSQL), in slices
        # that keep a statement's parameters far below SQLite's and PostgreSQL's limits
        rows = [(event_id, thread_id, data) for event_id, (thread_id, data) in zip(ids, events, strict=True)]
        for start in range(0, len(rows), EVENTS_PER_INSERT):
            part = rows[start:start + EVENTS_PER_INSERT]
            self.db.execute("INSERT INTO thread_events (id, thread_id, data) VALUES "
                            + ", ".join(["(?, ?, ?)"] * len(part)), [value for row in part for value in row])
        if self.dialect is POSTGRESQL:  # other replicas' streams wake when this commits
            latest = {thread_id: event_id for event_id, (thread_id, _) in zip(ids, events, strict=True)}
            self.db.execute(*notify_sql(latest))
        return ids

    @reads
    def _others_wrote(self) -> bool:
        """Whether another connection (another process) committed to the SQLite file since the
        last call: `PRAGMA data_version` moves only then, so the event streams' poll reads nothing
        while this process is alone on its file."""
        version = int(self.db.execute("PRAGMA data_version").fetchone()[0])
        changed, self._data_version = version != self._data_version, version
        return changed

    @reads
    def thread_events(self, thread_id: str, after: int, limit: int = 1000) -> list[tuple[int, str]]:
        """The kept events of a thread with ids above `after`, oldest first."""
        return [(r[0], r[1]) for r in self.db.execute(
            "SELECT id, data FROM thread_events WHERE thread_id = ? AND id > ? ORDER BY id LIMIT ?",
            [thread_id, after, limit]).fetchall()]

    @reads
    def last_thread_event(self, thread_id: str) -> int:
        row = self.db.execute("SELECT MAX(id) FROM thread_events WHERE thread_id = ?", [thread_id]).fetchone()
        return int(row[0] or 0)
