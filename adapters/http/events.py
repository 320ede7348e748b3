"""The per-thread event log behind `GET /api/v1/threads/{id}/events` (Server-Sent Events).

Every hub event of a web thread is kept in the database, and every stream, on every replica,
reads what it sends from there: a listener on one replica sees the events of a turn another
replica runs, and `Last-Event-ID` resumes on any replica and after any restart. Ids come from the
database (`Store.keep_thread_events`): unique across processes, and committed in increasing
order, so "everything after the last id I sent" never skips an event.

Events are written in batches, off the turns' path: at most every `FLUSH_SECONDS`, one
transaction for whatever accumulated (and on `close`), as before; the turn never waits for the
database on an event. A stream wakes when this process stored events for its thread, when the
store's `EventSignal` says another replica did (PostgreSQL `LISTEN/NOTIFY`), or after its short
poll interval, and then reads what is new (one indexed query). A crash can lose the last fraction
of a second of events; what they said (plans, steps, answers, notices) is stored anyway and
`GET /threads/{id}` shows it. If the database refuses a batch (an outage), this process's
streams are sent its events at once, without ids, and the batch is kept and written again with a
growing pause until the database takes it (at most `MAX_UNSTORED` events wait; the oldest beyond
go, said in the log), so a later resume replays them; a stream that already had an event without
its id does not get it a second time when it is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, OrderedDict
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any, Protocol

from chatops.bot.model import Outbound

FLUSH_SECONDS = 0.05
KEEP_THREADS = 2000
READ_LIMIT = 1000
MAX_UNSTORED = 10_000  # events waiting for the database to come back
RETRY_FIRST, RETRY_MAX = 0.2, 5.0  # seconds between attempts to store a refused batch

log = logging.getLogger("chatops.http.events")

Event = tuple[int | None, str]  # (id, JSON); no id when the database refused to keep it


class EventWaker(Protocol):
    async def wait_for_events(self, thread_id: str, after: int, timeout: float) -> None: ...


class EventStore(Protocol):
    """What the event log needs from `storage.Store`."""

    event_signal: EventWaker

    async def keep_thread_events(self, events: list[tuple[str, str]]) -> list[int]: ...
    async def keep_events_and_views(self, events: list[tuple[str, str]],
                                    views: list[dict[str, Any]]) -> tuple[list[int], list[Any]]: ...
    async def thread_events(self, thread_id: str, after: int, limit: int = 1000) -> list[tuple[int, str]]: ...
    async def last_thread_event(self, thread_id: str) -> int: ...


@dataclass
class _ViewWanted:
    """A thread view a reply waits for, read in the transaction of the next batch of events."""

    query: dict[str, Any]  # the fields of the store's `ViewQuery` (adapters never import the store)
    thread_id: str
    answer: asyncio.Future[tuple[str, Any]] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class ThreadEvents:
    def __init__(self, *, store: EventStore) -> None:
        self._store = store
        self._views: list[_ViewWanted] = []  # views to read with the next batch
        self._view_flusher: asyncio.Task[None] | None = None
        # (thread id, JSON, already sent to this process's streams without an id)
        self._pending: list[tuple[str, str, bool]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._retrier: asyncio.Task[None] | None = None
        self._retry_pause = RETRY_FIRST
        self._writing = asyncio.Lock()  # batches are written in the order they were published
        self._unkept: dict[str, set[asyncio.Queue[str]]] = {}  # streams to hand refused events to
        self._closed = asyncio.Event()
        # the newest event id known per thread (bounded): the thread body's `last_event_id`
        self._known: OrderedDict[str, int] = OrderedDict()

    def publish(self, thread_id: str, event: Outbound) -> None:
        """Queue an event for the next batch (the caller never waits for the database)."""
        self._pending.append((thread_id, event.model_dump_json(), False))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        """Flush, and again while events keep arriving: an event published while a batch is
        being written finds this task still running and schedules none of its own, so without
        the loop it waited for the next publish, which the last event of a turn (the answer)
        may never get (found behind the flaky two-replica stream test, issue 23: a listener on
        the other replica waited for the answer until its timeout)."""
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await self.flush()
            if not self._pending or self._closed.is_set() or (self._retrier is not None and not self._retrier.done()):
                return  # nothing left, stopping, or a refused batch that the retrier writes with a pause

    async def flush(self) -> None:
        """Write what accumulated (one transaction), and read in it the thread views replies wait
        for (`view`); the store wakes the streams. A batch the database refuses is sent to this
        process's streams now and kept to be written again; the views waiting get the error."""
        async with self._writing:
            batch, self._pending = self._pending, []
            wanted, self._views = self._views, []
            wanted = [view for view in wanted if not view.answer.done()]  # a reply that gave up
            if not batch and not wanted:
                return
            try:
                await self._write(batch, wanted)
            finally:  # cancelled mid-write (the server stopping): no reply waits forever
                for view in wanted:
                    if not view.answer.done():
                        view.answer.cancel()

    async def _write(self, batch: list[tuple[str, str, bool]], wanted: list[_ViewWanted]) -> None:
        """One batch of events and the views waiting for it (called holding `_writing`)."""
        events = [(thread_id, data) for thread_id, data, _ in batch]
        try:
            if wanted:
                written = {thread_id for thread_id, _ in events}
                queries = [self._query(view, last_event=view.thread_id not in self._known
                                       and view.thread_id not in written) for view in wanted]
                ids, read = await self._store.keep_events_and_views(events, queries)
            else:
                ids, read = await self._store.keep_thread_events(events), []
        except Exception as exc:
            if batch:
                self._keep_for_later(batch, exc)
            for view in wanted:
                if not view.answer.done():
                    view.answer.set_exception(exc)
            return
        if batch:
            self._retry_pause = RETRY_FIRST
        for (thread_id, _, _), event_id in zip(batch, ids, strict=True):
            self._remember(thread_id, event_id)
        for view, got in zip(wanted, read, strict=True):
            if got.last_event is not None:
                self._remember(view.thread_id, got.last_event)
            if not view.answer.done():
                view.answer.set_result((str(self._known.get(view.thread_id, got.last_event or 0)), got))

    @staticmethod
    def _query(view: _ViewWanted, *, last_event: bool) -> dict[str, Any]:
        return {**view.query, "thread_id": view.thread_id, "last_event": last_event}

    async def view(self, thread_id: str, **query: Any) -> tuple[str, Any]:
        """The thread's last event id and its view (the store's `ViewRead`), read after what this
        process published for it is written, in the same transaction as that write: a reply after
        a turn costs one trip, not a flush and then a read. A client that resumes from the id
        misses nothing, and (from this process) is not sent again what the view shows. With
        several replicas the id can lag what another one wrote: a resume then sends that again."""
        wanted = _ViewWanted(query=query, thread_id=thread_id)
        self._views.append(wanted)
        if self._view_flusher is None or self._view_flusher.done():
            self._view_flusher = asyncio.get_running_loop().create_task(self._flush_views())
        try:
            return await wanted.answer
        finally:
            if not wanted.answer.done():
                wanted.answer.cancel()

    async def _flush_views(self) -> None:
        """One flush in flight for the views replies wait for, each taking every view asked for
        while the one before it ran: a reply answered by an earlier flush does not wait for the
        lock itself (waiting in line for it cost each reply a trip at 100 clients)."""
        while self._views:
            await self.flush()

    def _keep_for_later(self, batch: list[tuple[str, str, bool]], exc: Exception) -> None:
        for thread_id, data, sent in batch:
            if not sent:
                for queue in self._unkept.get(thread_id, ()):
                    queue.put_nowait(data)
        kept = [(thread_id, data, True) for thread_id, data, _ in batch] + self._pending
        if len(kept) > MAX_UNSTORED:
            log.error("dropped %d event(s) the database could not take (more than %d waited)",
                      len(kept) - MAX_UNSTORED, MAX_UNSTORED)
            kept = kept[len(kept) - MAX_UNSTORED:]
        self._pending = kept
        log.warning("could not keep %d event(s) yet (%s); trying again in %g s", len(kept),
                    type(exc).__name__, self._retry_pause)
        if (self._retrier is None or self._retrier.done()) and not self._closed.is_set():
            self._retrier = asyncio.get_running_loop().create_task(self._retry(self._retry_pause))
        self._retry_pause = min(self._retry_pause * 2, RETRY_MAX)

    async def _retry(self, pause: float) -> None:
        await asyncio.sleep(pause)
        await self.flush()

    def _remember(self, thread_id: str, event_id: int) -> None:
        if event_id >= self._known.get(thread_id, 0):
            self._known[thread_id] = event_id
            self._known.move_to_end(thread_id)
            while len(self._known) > KEEP_THREADS:
                self._known.popitem(last=False)

    async def follow(self, thread_id: str, after: int, *, keepalive: float) -> AsyncGenerator[list[Event], None]:
        """Every event of the thread after the id `after`, in order, as they are stored, from any
        replica; yields an empty list after `keepalive` seconds without events, and ends when the
        server stops."""
        unkept: asyncio.Queue[str] = asyncio.Queue()
        self._unkept.setdefault(thread_id, set()).add(unkept)
        sent_unkept: Counter[str] = Counter()  # events this stream had without an id, not yet stored
        loop = asyncio.get_running_loop()
        try:
            quiet_since = loop.time()
            while not self._closed.is_set():
                try:
                    batch: list[Event] = list(await self._store.thread_events(thread_id, after, READ_LIMIT))
                except Exception:  # a database that cannot be read now: try again at the next wake
                    log.exception("could not read the events of thread %s", thread_id)
                    batch = []
                if sent_unkept and batch:
                    after = max([after, *(event_id for event_id, _ in batch if event_id is not None)])
                    batch = [event for event in batch if not _seen(sent_unkept, event[1])]
                while not unkept.empty():
                    data = unkept.get_nowait()
                    sent_unkept[data] += 1
                    batch.append((None, data))
                if batch:
                    after = max([after, *(event_id for event_id, _ in batch if event_id is not None)])
                    self._remember(thread_id, after)
                    quiet_since = loop.time()
                    yield batch
                    continue
                if loop.time() - quiet_since >= keepalive:
                    quiet_since = loop.time()
                    yield []
                    continue
                await self._wait(thread_id, after, keepalive - (loop.time() - quiet_since))
        finally:
            queues = self._unkept.get(thread_id)
            if queues is not None:
                queues.discard(unkept)
                if not queues:
                    del self._unkept[thread_id]

    async def _wait(self, thread_id: str, after: int, timeout: float) -> None:
        """Until the store may have new events for the thread, or the server stops."""
        waiting = asyncio.ensure_future(self._store.event_signal.wait_for_events(thread_id, after, timeout))
        closing = asyncio.ensure_future(self._closed.wait())
        try:
            await asyncio.wait({waiting, closing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waiting, closing):
                task.cancel()
            await asyncio.gather(waiting, closing, return_exceptions=True)

    async def close(self) -> None:
        """Tell every open stream to end (the server is stopping) and write what is pending."""
        self._closed.set()
        for task in (self._flusher, self._retrier, self._view_flusher):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.flush()
        if self._pending:
            log.error("%d event(s) were never kept: the database refused them until the server stopped",
                      len(self._pending))


def _seen(sent_unkept: Counter[str], data: str) -> bool:
    """Whether a stored event is one this stream already sent without its id (then skipped once)."""
    if sent_unkept[data] > 0:
        sent_unkept[data] -= 1
        if not sent_unkept[data]:
            del sent_unkept[data]
        return True
    return False
