"""The events a thread's streams publish, kept with ids unique across replicas."""

from __future__ import annotations

from chatops.storage.dialect import POSTGRESQL
from chatops.storage.operations import reads, writes
from chatops.storage.parts.part import Part
from chatops.storage.pg_event_signal import notify_sql


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
        self.db.conn.executemany("INSERT INTO thread_events (id, thread_id, data) VALUES (?, ?, ?)",
                                 [(event_id, thread_id, data)
                                  for event_id, (thread_id, data) in zip(ids, events, strict=True)])
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
