"""Copying SQLite's write-ahead log into the database file on a thread of its own, beside the writer.

Why: with `synchronous = NORMAL` a commit only appends to the log; the log's pages reach the
file at a checkpoint, which syncs the log and the file (two fsyncs, 5-15 ms on this machine's
disk). SQLite's auto-checkpoint runs it inside the commit that crosses its threshold, on the
one writer thread, so every ~17th commit of a fast-path turn waited for it: 77 % of all commit
time (issue 23, item 2: 235 of 4,084 commits took 1.6 of 2.1 s). Here a second connection
copies what is committed while the writer goes on (a `PASSIVE` checkpoint never blocks a
writer or waits for one), woken after commits and at most every `INTERVAL`; the writer's own
auto-checkpoint stays as the safety net that bounds the log when this one falls behind, and
then finds little left to copy.

Nothing acknowledged depends on it: a commit is as durable without it (kill -9 keeps the log;
a power loss can lose what `NORMAL` always could).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

log = logging.getLogger("chatops.storage.checkpointer")

INTERVAL = 0.02  # seconds between two checkpoints at most (each syncs the disk twice)


class Checkpointer:
    """`poke()` after a commit; a daemon thread checkpoints the file passively on its own connection."""

    def __init__(self, path: Path, synchronous: str = "NORMAL") -> None:
        self.path = path
        self.synchronous = synchronous
        self.runs = 0  # checkpoints made (for tests and benchmarks)
        self._wake = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="chatops-checkpointer", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Something was committed: checkpoint soon (cheap; called on the writer thread)."""
        self._wake.set()

    def close(self) -> None:
        self._stopped = True
        self._wake.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                self._wake.wait()
                if self._stopped:
                    return
                self._wake.clear()
                try:
                    if conn is None:
                        # no busy wait: a checkpoint that finds the file busy just tries at the next poke
                        conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=0,
                                               isolation_level=None)
                        conn.execute(f"PRAGMA synchronous = {self.synchronous}")
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.runs += 1
                except sqlite3.Error as exc:  # busy, or the file went away: the writer's safety net remains
                    log.debug("background checkpoint skipped: %s", exc)
                time.sleep(INTERVAL)
        finally:
            if conn is not None:
                conn.close()
