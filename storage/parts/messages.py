"""A thread's messages: what users said, what the bot answered, and when a turn ended."""

from __future__ import annotations

from typing import Any

from chatops.bot.model import (
    Inbound,
    Plan,
    ThreadRef,
)
from chatops.storage import ownership
from chatops.storage.operations import dumps, new_id, reads, statement, ts, writes
from chatops.storage.parts.leases import THREAD_BUSY, ThreadBusy
from chatops.storage.parts.part import Part

KNOWN_THREAD_REFS = 4096  # thread refs kept in a process (see `Messages.thread_ref`)
TURN_NOT_HELD = "another process holds this turn (it took it over), or the turn has ended"


class Messages(Part):
    """A thread's messages: what users said, what the bot answered, and when a turn ended."""

    @writes
    def record_inbound(self, inbound: Inbound, *, title: str = "") -> str | None:
        """Store a user's message unless its platform event was seen before (a retry or a
        replay). Returns the new message id, or None for a duplicate."""
        db = self.db
        message_id = new_id("m")  # named with the event at once: one statement fewer than an UPDATE after
        received_at, thread_id = ts(inbound.received_at), inbound.thread.id
        cursor = db.execute(
            "INSERT INTO events (platform, event_id, received_at, message_id) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [inbound.thread.platform, inbound.event_id, received_at, message_id],
        )
        if cursor.rowcount == 0:
            return None
        self._ensure_thread(inbound.thread, title or inbound.text[:80])
        db.execute(
            "INSERT INTO messages (id, thread_id, role, platform, user_id, user_name, text, perceived_text, "
            "attachments, created_at, owner, turn_ended_at) VALUES (?, ?, 'user', ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            [message_id, thread_id, inbound.user.platform, inbound.user.id, inbound.user.name,
             inbound.text, inbound.text, dumps([a.model_dump(mode="json") for a in inbound.attachments]),
             received_at, self.process_id],
        )
        self._audit("message.received", actor=inbound.user.key, thread_id=thread_id,
                    detail={"message_id": message_id, "event_id": inbound.event_id})
        return message_id

    @writes
    def receive(self, inbound: Inbound, *, history_limit: int = 20,
                take_lease: bool = False) -> tuple[str | ThreadBusy | None, list[dict[str, Any]]]:
        """`record_inbound` and the thread's history before it, in one trip to the store thread.
        With `take_lease`, the thread's lease first, in the same transaction: `THREAD_BUSY` (and
        nothing stored) while another live process holds it."""
        if take_lease and not self._take_turn_lease(inbound.thread.id):  # type: ignore[attr-defined]
            return THREAD_BUSY, []
        message_id = self.record_inbound.blocking(self, inbound)  # type: ignore[attr-defined]
        if message_id is None:
            return None, []
        history = self.thread_history.blocking(self, inbound.thread.id, history_limit + 1)  # type: ignore[attr-defined]
        return message_id, history[:-1]

    @writes
    def receive_with_plans(
            self, inbound: Inbound, *, history_limit: int = 20, plans_limit: int = 3,
            take_lease: bool = False) -> tuple[str | ThreadBusy | None, list[dict[str, Any]], list[Plan]]:
        """`receive` and, when the thread has history, its newest `plans_limit` plans (what a
        planner is shown for follow-ups), in one trip to the store thread."""
        message_id, history = self.receive.blocking(  # type: ignore[attr-defined]
            self, inbound, history_limit=history_limit, take_lease=take_lease)
        if message_id is None or message_id is THREAD_BUSY or not history:
            return message_id, history, []
        plans = self.thread_plans.blocking(self, inbound.thread.id, plans_limit)  # type: ignore[attr-defined]
        return message_id, history, plans

    def _ensure_thread(self, thread: ThreadRef, title: str) -> None:
        now = ts()
        self.db.execute(
            "INSERT INTO threads (id, platform, channel, external_id, title, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at",
            [thread.id, thread.platform, thread.channel, thread.thread, title, now, now],
        )

    @writes
    def set_perceived_text(self, message_id: str, perceived_text: str,
                           attachments: list[dict[str, Any]] | None = None) -> None:
        """What the planner read for a message; attachments now carry their content hashes."""
        self.db.execute("UPDATE messages SET perceived_text = ? WHERE id = ?", [perceived_text, message_id])
        if attachments is not None:
            self.db.execute("UPDATE messages SET attachments = ? WHERE id = ?", [dumps(attachments), message_id])

    @writes
    def record_bot_message(self, thread: ThreadRef, text: str, *, ends_turn_of: str | None = None,
                           release_lease: bool = False, claim: str | None = None) -> str | None:
        """Store the bot's message; `ends_turn_of` names the user message it answers, whose turn
        is then over (in the same transaction: an answer is never stored without it). With
        `release_lease`, the thread's lease is given up in that transaction too.

        An answer that ends a turn is stored only by the process holding that turn: None, with
        nothing stored, when another process took it over (this one was starved past its lease)
        and answers it itself, or it has already ended; the thread gets one answer, not two.
        With `claim`, only the run of the turn holding that claim answers (see `_holds_turn`)."""
        now = ts()
        if ends_turn_of and not self._end_held_turn(ends_turn_of, claim, now):
            self._audit("answer.dropped", thread_id=thread.id,
                        detail={"why": TURN_NOT_HELD, "message_id": ends_turn_of})
            return None
        message_id = new_id("m")
        self._ensure_thread(thread, "")
        self.db.execute(
            "INSERT INTO messages (id, thread_id, role, platform, user_id, user_name, text, perceived_text, "
            "attachments, created_at, owner, turn_ended_at) "
            "VALUES (?, ?, 'bot', ?, '', '', ?, ?, '[]', ?, NULL, ?)",
            [message_id, thread.id, thread.platform, text, text, now, now],
        )
        if release_lease:
            self._release_turn_lease(thread.id)  # type: ignore[attr-defined]
        return message_id

    def _holds_turn(self, message_id: str, claim: str | None = None) -> bool:
        """Whether this process still owns the unfinished turn of `message_id` (it received the
        message, decided its plan, or claimed the turn as an orphan), checked in the transaction
        that proposes a plan for it or answers it. A conditional UPDATE rather than a read: on
        PostgreSQL it locks the message's row until that transaction commits, so a concurrent
        `claim_turn` waits for it and then sees the plan or the ended turn (and a claim that
        committed first makes this one fail); SQLite runs one writer at a time anyway. True for
        an unregistered store (one process, nobody to take over from).

        With `claim` (the token of the run asking: '' for the run that received the message, the
        plan's id for a decision's, `ClaimedTurn.claim` for a resumption), the claim must also be
        the turn's latest: the process id alone let a stale run of the turn in this same process
        propose after the process took the turn back by another road (issue 22, twice2). Without
        it (callers from before claims), any run of the owning process holds it."""
        if self.identity is None:
            return True
        if claim is None:
            return self.db.execute(
                "UPDATE messages SET owner = owner WHERE id = ? AND owner = ? AND turn_ended_at IS NULL",
                [message_id, self.identity.id]).rowcount == 1
        return self.db.execute(f"UPDATE messages SET owner = owner WHERE {ownership.holds_turn_sql()}",
                               [message_id, self.identity.id, claim]).rowcount == 1

    def _end_held_turn(self, message_id: str, claim: str | None, now: str) -> bool:
        """`_holds_turn` and `_end_turn` as one conditional UPDATE (one statement, and on
        PostgreSQL one wait, fewer in the answer's transaction): the turn ends only if this run
        holds it, and the row stays locked until the answer stored with it commits. An
        unregistered store ends it unconditionally, as before."""
        if self.identity is None:
            self._end_turn(message_id, now)
            return True
        if claim is None:
            sql, params = "id = ? AND owner = ? AND turn_ended_at IS NULL", [message_id, self.identity.id]
        else:
            sql, params = ownership.holds_turn_sql(), [message_id, self.identity.id, claim]
        return self.db.execute(f"UPDATE messages SET turn_ended_at = ? WHERE {sql}", [now, *params]).rowcount == 1

    @reads
    def holds_turn(self, message_id: str, claim: str | None, round_number: int) -> bool:
        """Whether the run with `claim` still holds the turn of `message_id` and the message has no
        plan for `round_number` or a later round yet: asked before planning a round, so a run
        whose turn was taken over does not spend a model call on a plan that would be dropped
        (`propose_and_start` checks the same in the transaction that stores the plan)."""
        return self._may_plan(message_id, claim, round_number)

    def _may_plan(self, message_id: str, claim: str | None, round_number: int) -> bool:
        """`holds_turn` inside a transaction (`finish_round` asks it for the next round)."""
        if self.identity is not None:
            sql, params = ("id = ? AND owner = ? AND turn_ended_at IS NULL", [message_id, self.identity.id]) \
                if claim is None else (ownership.holds_turn_sql(), [message_id, self.identity.id, claim])
            if self.db.execute(f"SELECT 1 FROM messages WHERE {sql}", params).fetchone() is None:
                return False
        return self._planned_round(message_id, round_number) is None

    def _planned_round(self, message_id: str, round_number: int) -> int | None:
        """The round of a plan the message already has for `round_number` or later, or None."""
        row = self.db.execute("SELECT round FROM plans WHERE message_id = ? AND round >= ? LIMIT 1",
                              [message_id, round_number]).fetchone()
        return None if row is None else int(row[0])

    def _end_turn(self, message_id: str, now: str) -> None:
        self.db.execute("UPDATE messages SET turn_ended_at = ? WHERE id = ? AND turn_ended_at IS NULL",
                        [now, message_id])

    @statement
    def end_turn(self, message_id: str) -> None:
        """The turn of this message is over without an answer of its own (its plan expired)."""
        self._end_turn(message_id, ts())

    @statement
    def record_notice(self, thread: ThreadRef, text: str, level: str = "info") -> None:
        """A notice shown in a thread (progress, an expiry, what an attachment was read as)."""
        self.db.execute("INSERT INTO notices (thread_id, level, text, created_at) VALUES (?, ?, ?, ?)",
                        [thread.id, level, text, ts()])

    @reads
    def thread_exists(self, thread_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM threads WHERE id = ?", [thread_id]).fetchone() is not None

    async def thread_ref(self, thread_id: str) -> ThreadRef | None:
        """The thread a stored id names. A thread's id is made of its ref (platform, channel,
        thread), so once read the answer never changes: it is kept in this process (bounded) and
        an API turn's first trip, one transaction on PostgreSQL, is read once per thread, not per
        message. A thread pruned by another replica can still be found here until it drops
        out; a message to it then opens it again, for the same owner (this process's own prune
        forgets them all)."""
        known = self._thread_refs.get(thread_id)
        if known is not None:
            self._thread_refs.move_to_end(thread_id)
            return _unpacked(thread_id, known)
        ref = await self._read_thread_ref(thread_id)
        if ref is not None and ref.id == thread_id:
            self._thread_refs[thread_id] = (len(ref.platform), len(ref.channel))
            while len(self._thread_refs) > KNOWN_THREAD_REFS:
                self._thread_refs.popitem(last=False)
        return ref

    @reads
    def _read_thread_ref(self, thread_id: str) -> ThreadRef | None:
        row = self.db.execute(
            "SELECT platform, channel, external_id FROM threads WHERE id = ?", [thread_id]).fetchone()
        return ThreadRef(platform=row[0], channel=row[1] or "", thread=row[2]) if row else None

    @reads
    def turn_of(self, plan_id: str) -> tuple[ThreadRef, str, str] | None:
        """(thread, message id, perceived text) of the message a plan answers."""
        row = self.db.execute(
            "SELECT t.platform, t.channel, t.external_id, m.id, m.perceived_text FROM plans p "
            "JOIN messages m ON m.id = p.message_id JOIN threads t ON t.id = p.thread_id WHERE p.id = ?",
            [plan_id],
        ).fetchone()
        if row is None:
            return None
        return ThreadRef(platform=row[0], channel=row[1] or "", thread=row[2]), row[3], row[4]

    @reads
    def thread_history(self, thread_id: str, limit: int = 20) -> list[dict[str, Any]]:
        """The last `limit` messages of a thread, oldest first, as {role, text, created_at}."""
        rows = self.db.execute(
            "SELECT role, perceived_text AS text, user_name, created_at FROM messages WHERE thread_id = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT ?",
            [thread_id, limit],
        ).fetchall()
        return [{"role": r[0], "text": r[1], "user": r[2], "created_at": r[3]} for r in reversed(rows)]


def _unpacked(thread_id: str, lengths: tuple[int, int]) -> ThreadRef:
    """The ref a kept thread id names. The id is the ref's parts joined by ':' (`ThreadRef.id`),
    so the cache keeps only where they split, a tuple of two small ints (~140-170 bytes an entry
    with its slot), instead of a pydantic model with its own dict, strings and fields-set (~700
    bytes; issue 23: a full 4,096-entry cache was ~2.8 MB and filled slowly enough to read as a leak)."""
    platform, channel = lengths
    if channel:
        return ThreadRef(platform=thread_id[:platform], channel=thread_id[platform + 1:platform + 1 + channel],
                         thread=thread_id[platform + 2 + channel:])
    return ThreadRef(platform=thread_id[:platform], thread=thread_id[platform + 1:])
