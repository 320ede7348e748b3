"""Scheduled checks' state: when each ran and runs next."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chatops.storage import schedules
from chatops.storage.operations import reads, ts, writes
from chatops.storage.parts.part import Part


class Schedules(Part):
    """Scheduled checks' state: when each ran and runs next."""

    @writes
    def schedule_state(self, name: str, *, thread_id: str, next_run_at: datetime) -> dict[str, Any]:
        """A schedule's stored state, made with its thread and first run time on first sight."""
        schedules.ensure(self.db, name, thread_id, ts(next_run_at))
        return schedules.get(self.db, name)  # type: ignore[return-value]

    @reads
    def schedule_states(self) -> list[dict[str, Any]]:
        return schedules.all_states(self.db)

    @writes
    def record_schedule_run(self, name: str, *, ran_at: datetime, outcome: str | None, changed: bool,
                            next_run_at: datetime) -> None:
        schedules.record_run(self.db, name, ran_at=ts(ran_at), outcome=outcome, changed=changed,
                             next_run_at=ts(next_run_at))
