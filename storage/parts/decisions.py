"""Approvals and denials of plans, exactly one of which wins per plan."""

from __future__ import annotations

from chatops.bot.model import (
    Decision,
    PlanStatus,
    StepStatus,
)
from chatops.storage.operations import ts, writes
from chatops.storage.parts.part import Part


class Decisions(Part):
    """Approvals and denials of plans, exactly one of which wins per plan."""

    @writes
    def decide(self, decision: Decision) -> tuple[bool, str]:
        """Apply an approval or denial from someone the policy allowed. Exactly one decision per
        plan wins; the others get (False, why). Expired plans cannot be decided."""
        now = ts(decision.at)
        new_status = PlanStatus.approved if decision.approve else PlanStatus.denied
        db = self.db
        won = db.execute(
            "UPDATE plans SET status = ?, decided_at = ?, decided_by = ?, owner = ? "
            "WHERE id = ? AND status = 'proposed' AND expires_at > ?",
            [new_status.value, now, decision.user.key, self.process_id, decision.plan_id, now],
        ).rowcount == 1
        if won:
            # the decider carries the turn on from here: it owns the message until the answer,
            # under a claim of its own (the plan's id), so that no earlier run of the turn in this
            # process (a resumption gone stale while it planned) counts as holding it any more
            db.execute("UPDATE messages SET owner = ?, turn_claim = ? WHERE turn_ended_at IS NULL AND id = "
                       "(SELECT message_id FROM plans WHERE id = ?)",
                       [self.process_id, decision.plan_id, decision.plan_id])
            if decision.approve and decision.steps is not None:  # only these; the other waiting ones skipped
                marks = ", ".join("?" for _ in decision.steps) or "NULL"
                db.execute(f"UPDATE steps SET status = 'approved', decided_by = ? WHERE plan_id = ? "
                           f"AND status = 'proposed' AND id IN ({marks})",
                           [decision.user.key, decision.plan_id, *decision.steps])
                db.execute("UPDATE steps SET status = 'skipped', decided_by = ? WHERE plan_id = ? "
                           "AND status = 'proposed'", [decision.user.key, decision.plan_id])
            db.execute(
                "UPDATE steps SET status = ?, decided_by = ? WHERE plan_id = ? AND status = 'proposed'",
                [StepStatus.approved.value if decision.approve else StepStatus.denied.value,
                 decision.user.key, decision.plan_id],
            )
            if not decision.approve:
                db.execute(
                    "UPDATE steps SET status = 'skipped' WHERE plan_id = ? AND status = 'approved'",
                    [decision.plan_id],
                )
            reason = ""
        else:
            row = db.execute("SELECT status, expires_at FROM plans WHERE id = ?", [decision.plan_id]).fetchone()
            if row is None:
                reason = "no such plan"
            elif row[0] == "proposed":
                reason = "the plan has expired"
            else:
                reason = f"the plan is already {row[0]}"
        self._record_decision(decision, accepted=won, reason=reason)
        return won, reason

    @writes
    def record_refused_decision(self, decision: Decision, reason: str) -> None:
        """A click or answer from someone the policy refused: nothing changes but the record."""
        self._record_decision(decision, accepted=False, reason=reason)

    def _record_decision(self, decision: Decision, *, accepted: bool, reason: str) -> None:
        self._insert("decisions", {
            "plan_id": decision.plan_id, "decision": "approve" if decision.approve else "deny",
            "user_platform": decision.user.platform, "user_id": decision.user.id,
            "user_name": decision.user.name, "accepted": int(accepted), "reason": reason,
            "decided_at": ts(decision.at), "source": decision.source})
        self._audit("plan.decided" if accepted else "decision.refused", actor=decision.user.key,
                    plan_id=decision.plan_id,
                    detail={"decision": "approve" if decision.approve else "deny", "reason": reason,
                            "source": decision.source, **({"note": decision.note} if decision.note else {}),
                            **({"steps": decision.steps} if decision.steps is not None else {})})
