"""A plan's steps as they are started, run and settled."""

from __future__ import annotations

from typing import Any

from chatops.bot.model import (
    StepResult,
    StepStatus,
)
from chatops.storage.operations import dumps, loads, reads, statement, ts, writes
from chatops.storage.parts.part import Part


class Steps(Part):
    """A plan's steps as they are started, run and settled."""

    @writes
    def start_step(self, step_id: str) -> bool:
        """approved → running; False if the step was not approved (or someone else started it)."""
        won = self._start(step_id).rowcount == 1
        if won:
            self._audit("step.started", step_id=step_id)
        return won

    def _start(self, step_id: str) -> Any:
        return self.db.execute(
            "UPDATE steps SET status = 'running', started_at = ?, owner = ? WHERE id = ? AND status = 'approved'",
            [ts(), self.process_id, step_id])

    @writes
    def finish_step(self, step_id: str, outcome: StepResult) -> bool:
        """running → succeeded / failed, with the result or the error. False when this process no
        longer owns the step (its lease ran out and another process marked it interrupted): the
        late outcome is then kept in the audit log only, and the step stays interrupted."""
        status = StepStatus.succeeded if outcome.ok else StepStatus.failed
        owned, owner = self._owned()
        won = self.db.execute(
            "UPDATE steps SET status = ?, result = ?, error = ?, summary = ?, finished_at = ?, "
            f"duration_ms = ?, outcome = ? WHERE id = ? AND status = 'running'{owned}",
            [status.value, dumps(outcome.result), outcome.error, outcome.summary, ts(),
             outcome.duration_ms, outcome.outcome, step_id, *owner],
        ).rowcount == 1
        self._audit(f"step.{status.value}" if won else "step.late_result", step_id=step_id,
                    detail={"summary": outcome.summary, "error": outcome.error, "outcome": outcome.outcome,
                            "duration_ms": round(outcome.duration_ms, 1)})
        return won

    @statement
    def save_partial_result(self, step_id: str, result: Any) -> bool:
        """A running step's output so far, kept if the process dies before the step finishes."""
        owned, owner = self._owned()
        return self.db.execute(
            f"UPDATE steps SET result = ? WHERE id = ? AND status = 'running'{owned}",
            [dumps(result), step_id, *owner]).rowcount == 1

    @writes
    def fail_unstarted_step(self, step_id: str, error: str) -> bool:
        """An approved step that cannot even start (unknown tool, bad arguments) fails as such."""
        won = self.db.execute(
            "UPDATE steps SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'approved'",
            [error, ts(), step_id],
        ).rowcount == 1
        if won:
            self._audit("step.failed", step_id=step_id, detail={"error": error})
        return won

    @statement
    def skip_remaining_steps(self, plan_id: str) -> list[str]:
        return [r[0] for r in self.db.execute(
            "UPDATE steps SET status = 'skipped' WHERE plan_id = ? AND status IN ('approved', 'proposed') "
            "RETURNING id", [plan_id]).fetchall()]

    @reads
    def step_files(self, step_id: str) -> list[dict[str, Any]]:
        """The files a step made (`add_step_file`): name, mime_type, size, sha256."""
        row = self.db.execute("SELECT files FROM steps WHERE id = ?", [step_id]).fetchone()
        return (loads(row[0]) or []) if row else []

    @writes
    def add_step_file(self, step_id: str, file: dict[str, Any]) -> None:
        """A file a step made (a chart), listed with the step (`steps.files`)."""
        row = self.db.execute("SELECT files FROM steps WHERE id = ?", [step_id]).fetchone()
        if row is None:
            return
        self.db.execute("UPDATE steps SET files = ? WHERE id = ?", [dumps([*(loads(row[0]) or []), file]),
                                                                      step_id])
