"""Plans as one state machine: proposed, decided, running, settled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chatops.bot.model import (
    Inbound,
    Plan,
    PlanStatus,
    Risk,
    Step,
    StepResult,
    StepStatus,
    ThreadRef,
    UserRef,
    utcnow,
)
from chatops.bot.states import plan_may_move
from chatops.storage.dialect import POSTGRESQL
from chatops.storage.operations import dt, dumps, loads, new_id, reads, ts, writes
from chatops.storage.parts import in_server
from chatops.storage.parts.leases import THREAD_BUSY, ThreadBusy
from chatops.storage.parts.part import Part

TURN_TAKEN_OVER = "another process took this turn over while it was planned here"
ROUND_PLANNED = "this message already has a plan for this round"


@dataclass(frozen=True)
class RoundAnswer:
    """The bot's answer to store with the end of a round (see `Store.finish_round`)."""

    thread: ThreadRef
    text: str
    ends_turn_of: str
    claim: str | None = None  # the run's claim on the turn (see `Messages._holds_turn`)


@dataclass(frozen=True)
class RoundEnd:
    """What `Store.finish_round` stored: whether the step was still this process's, the plan's
    final status (None when the plan was no longer running here), the answer's id if stored."""

    step_won: bool
    plan_status: PlanStatus | None
    answer_id: str | None
    # asked with `next_round`: whether the run may plan the next round (it still holds the turn
    # and the round has no plan), read in the same transaction instead of a trip of its own
    next_round_held: bool | None = None


class Plans(Part):
    """Plans as one state machine: proposed, decided, running, settled."""

    @writes
    def propose_plan(self, plan: Plan, *, message_id: str, ttl_seconds: float, start: bool = False) -> Plan:
        """Persist a new plan. Read-only steps are approved by policy at once; the plan waits
        for a decision only when some step needs one. With `start`, a plan that needs no decision
        is also moved on to `running` in the same transaction."""
        return self._propose(plan.model_copy(deep=True), message_id=message_id, ttl_seconds=ttl_seconds, start=start)

    def _propose(self, plan: Plan, *, message_id: str, ttl_seconds: float, start: bool,
                 start_first_step: bool = False) -> Plan:
        """`propose_plan` on the plan given, which becomes the stored plan (ids, statuses and
        deadlines are set on it): the combined operations take over a plan the hub built for
        them and spare the deep copy (about 8 % of the store thread's CPU in a `!command` turn, profiled).

        A plan that `start` moves on to `running` is inserted `running`, and with
        `start_first_step` its first step (approved by policy) is inserted `running` too, owned by
        this process: the rows the UPDATEs of `approved → running` would leave, written once
        (nobody else can see them before the commit; two statements and their index changes
        fewer per `!command` turn, as `in_server.receive_planned` does on PostgreSQL). The audit
        says the same as before (proposed as approved, then running, then the step started), and
        the plan in memory shows the step still `approved`, as the plan card does first."""
        now = utcnow()
        plan.id = new_id("p")
        plan.created_at = now
        plan.expires_at = now + timedelta(seconds=ttl_seconds)
        plan.status = PlanStatus.proposed if plan.needs_approval else PlanStatus.approved
        for step in plan.steps:
            step.id = new_id("s")
            if step.risk is Risk.read and not step.tainted:
                step.status, step.decided_by = StepStatus.approved, "policy: read-only"
            else:
                step.status = StepStatus.proposed
        running = start and plan.status is PlanStatus.approved
        started = plan.steps[0].id if running and start_first_step and plan.steps \
            and plan.steps[0].status is StepStatus.approved else None
        started_at = ts() if started is not None else None
        self._insert("plans", {
            "id": plan.id, "thread_id": plan.thread_id, "message_id": message_id, "round": plan.round,
            "goal": plan.goal, "status": (PlanStatus.running if running else plan.status).value,
            "requester": plan.requester.model_dump_json() if plan.requester else None,
            "created_at": ts(now), "expires_at": ts(plan.expires_at), "decided_at": None,
            "decided_by": None, "owner": self.process_id})
        self._insert_many("steps", [
            {"id": s.id, "plan_id": plan.id, "position": i, "tool": s.tool, "args": dumps(s.args),
             "reason": s.reason, "risk": s.risk.value, "status": "running" if s.id == started else s.status.value,
             "result": None, "error": None, "decided_by": s.decided_by,
             "started_at": started_at if s.id == started else None, "finished_at": None,
             "duration_ms": None, "summary": None, "outcome": None, "provenance": s.provenance,
             "tainted": int(s.tainted), "owner": self.process_id if s.id == started else None,
             "tool_fingerprint": s.fingerprint}
            for i, s in enumerate(plan.steps)
        ])
        self._audit("plan.proposed", actor=plan.requester.key if plan.requester else "",
                    thread_id=plan.thread_id, plan_id=plan.id,
                    detail={"goal": plan.goal, "status": plan.status.value,
                            "steps": [{"id": s.id, "tool": s.tool, "args": s.args, "risk": s.risk.value,
                                       "tainted": s.tainted, "provenance": s.provenance}
                                      for s in plan.steps]})
        if running:
            plan.status = PlanStatus.running
            self._audit("plan.running", plan_id=plan.id)
        if started is not None:
            self._audit("step.started", step_id=started)
        return plan

    @writes
    def propose_and_start(self, plan: Plan, *, message_id: str, ttl_seconds: float,
                          start_first_step: bool = False, claim: str | None = None,
                          _stored_now: bool = False) -> tuple[Plan | None, str | None]:
        """`propose_plan(start=True)` and, with `start_first_step`, `start_step` of its first step,
        in one transaction: a plan that needs no decision goes from nothing to its first step
        `running` in one trip. The step is durably `running` before its tool runs, exactly as
        with `start_step` after the fact, so a crash leaves the same state for the reliability
        code (an interrupted step, a turn resumed without running it again). The caller says
        whether the step can run (its tool exists, its arguments hold); the returned plan shows
        the step still `approved` (what the plan card shows first), with the id of the started
        step beside it, or None. The plan given becomes the stored plan (it is not copied).

        Only the process that holds the message's turn proposes for it: (None, None), with
        nothing stored, when another process took the turn over meanwhile (this one's heartbeat
        lapsed on a starved machine while it planned, and the orphan sweep elsewhere claimed the
        turn and planned it again). Without this check both proposed, and one request made two
        cards that could each be approved and run (issue 22, the chaos soak's `steps_run_twice`).
        With `claim`, only the run of the turn holding that claim proposes (two runs of one turn in
        one process share the process id, see `Messages._holds_turn`). Whoever holds the turn, a
        message never gets a second plan for a round it has a plan for (or a later one): the
        second card of one request is never stored, so never shown nor run.

        `_stored_now` (from `receive_planned` only): the message was inserted by this same
        transaction, owned by this process, with no claim, no plan and its turn open, and no other
        transaction can see or change a row before it commits, so both checks are known to pass
        and are not sent (two statements, and two waits on PostgreSQL, fewer in a turn's first trip)."""
        why = None
        if _stored_now:
            pass
        elif not self._holds_turn(message_id, claim):  # type: ignore[attr-defined]
            why = TURN_TAKEN_OVER
        elif (planned := self._planned_round(message_id, plan.round)) is not None:  # type: ignore[attr-defined]
            why = f"{ROUND_PLANNED} (round {planned})"
        if why is not None:
            self._audit("plan.dropped", actor=plan.requester.key if plan.requester else "",
                        thread_id=plan.thread_id,
                        detail={"why": why, "message_id": message_id, "goal": plan.goal, "round": plan.round,
                                "steps": [{"tool": s.tool, "args": s.args} for s in plan.steps]})
            return None, None
        plan = self._propose(plan, message_id=message_id, ttl_seconds=ttl_seconds, start=True,
                             start_first_step=start_first_step)
        running = None
        if start_first_step and plan.status is PlanStatus.running and plan.steps \
                and plan.steps[0].status is StepStatus.approved:
            running = plan.steps[0].id  # stored `running` by `_propose`
        return plan, running

    @writes
    def receive_planned(self, inbound: Inbound, plan: Plan, *, ttl_seconds: float,
                        start_first_step: bool = False,
                        take_lease: bool = False) -> tuple[str | ThreadBusy | None, Plan | None, str | None]:
        """`record_inbound` and `propose_and_start` in one transaction, for a message whose plan
        is known before it is stored (a `!command`, parsed without any I/O). Returns (message id,
        plan, started step id), or (None, None, None) for a duplicate delivery, which proposes
        nothing. The message never exists without its plan, nor the plan without its message.
        With `take_lease`, the thread's lease is taken first in the same transaction:
        (`THREAD_BUSY`, None, None), with nothing stored, while another live process holds it.
        The plan given becomes the stored plan (it is not copied). On PostgreSQL all of it is one
        statement, a server-side function (`storage/pg_functions.py`)."""
        if self.dialect is POSTGRESQL:
            return in_server.receive_planned(self, inbound, plan, ttl_seconds=ttl_seconds,
                                             start_first_step=start_first_step, take_lease=take_lease)
        if take_lease and not self._take_turn_lease(inbound.thread.id):  # type: ignore[attr-defined]
            return THREAD_BUSY, None, None
        message_id = self.record_inbound.blocking(self, inbound)  # type: ignore[attr-defined]
        if message_id is None:
            return None, None, None
        plan, running = self.propose_and_start.blocking(  # type: ignore[attr-defined]
            self, plan, message_id=message_id, ttl_seconds=ttl_seconds, start_first_step=start_first_step, claim="",
            _stored_now=True)
        return message_id, plan, running

    @writes
    def finish_round(self, step_id: str, outcome: StepResult, plan_id: str, *,
                     answer: RoundAnswer | None = None, release_lease: bool = False,
                     next_round: tuple[str, str | None, int] | None = None) -> RoundEnd:
        """The last step of a running plan finished: `finish_step`, the plan's own end (running →
        succeeded, or failed when the step failed or was lost) and, given `answer`, the bot's
        answer that ends the turn, all in one transaction. Nothing here runs a tool, so grouping
        loses nothing a crash could need: before the commit the step is still `running` (and is
        interrupted by whoever notices), after it the turn is over. The answer is stored only when
        the step and the plan were both this process's to finish; otherwise the caller goes on as
        after `finish_step` and `transition_plan` (the new owner answers, or the hub re-plans).
        With `release_lease`, a stored answer gives the thread's lease up in the same transaction.
        With `next_round` (message id, the run's claim, the next round's number), it also says
        whether that run may plan the next round (`Messages.holds_turn`), when no answer ends it.
        On PostgreSQL all of it is one statement, a server-side function (`storage/pg_functions.py`)."""
        if self.dialect is POSTGRESQL and (answer is None or answer.ends_turn_of):
            return in_server.finish_round(self, step_id, outcome, plan_id, answer=answer,
                                          release_lease=release_lease, next_round=next_round)
        step_won = self.finish_step.blocking(self, step_id, outcome)  # type: ignore[attr-defined]
        final = PlanStatus.succeeded if outcome.ok and step_won else PlanStatus.failed
        plan_settled = self.transition_plan.blocking(  # type: ignore[attr-defined]
            self, plan_id, (PlanStatus.running,), final)
        answer_id = None
        if answer is not None and step_won and plan_settled:
            answer_id = self.record_bot_message.blocking(  # type: ignore[attr-defined]
                self, answer.thread, answer.text, ends_turn_of=answer.ends_turn_of, release_lease=release_lease,
                claim=answer.claim)
        held = None
        if next_round is not None and answer is None:
            held = self._may_plan(*next_round)  # type: ignore[attr-defined]
        return RoundEnd(step_won=step_won, plan_status=final if plan_settled else None, answer_id=answer_id,
                        next_round_held=held)

    def _plan(self, plan_id: str) -> Plan | None:
        row = self.db.execute(
            "SELECT id, thread_id, round, goal, status, requester, created_at, expires_at FROM plans WHERE id = ?",
            [plan_id],
        ).fetchone()
        if row is None:
            return None
        steps = [
            Step(id=s[0], tool=s[1], args=loads(s[2]) or {}, reason=s[3] or "", risk=Risk(s[4]),
                 status=StepStatus(s[5]), result=loads(s[6]), error=s[7], decided_by=s[8], duration_ms=s[9],
                 summary=s[10], outcome=s[11], provenance=s[12], tainted=bool(s[13]), fingerprint=s[14])
            for s in self.db.execute(
                "SELECT id, tool, args, reason, risk, status, result, error, decided_by, duration_ms, summary, "
                "outcome, provenance, tainted, tool_fingerprint "
                "FROM steps WHERE plan_id = ? ORDER BY position",
                [plan_id],
            ).fetchall()
        ]
        return Plan(
            id=row[0], thread_id=row[1], round=row[2], goal=row[3], status=PlanStatus(row[4]),
            requester=UserRef.model_validate_json(row[5]) if row[5] else None,
            created_at=dt(row[6]), expires_at=dt(row[7]), steps=steps,
        )

    @reads
    def get_plan(self, plan_id: str) -> Plan | None:
        return self._plan(plan_id)

    @reads
    def pending_plans(self) -> list[Plan]:
        """Plans still waiting for a decision (adapters re-arm their buttons from these)."""
        ids = [r[0] for r in self.db.execute(
            "SELECT id FROM plans WHERE status = 'proposed' ORDER BY created_at").fetchall()]
        return [plan for plan in map(self._plan, ids) if plan is not None]

    @reads
    def thread_plans(self, thread_id: str, limit: int | None = None) -> list[Plan]:
        """A thread's plans, oldest first; with `limit`, only the newest `limit` of them."""
        if limit is None:
            rows = self.db.execute("SELECT id FROM plans WHERE thread_id = ? ORDER BY created_at", [thread_id])
            ids = [r[0] for r in rows.fetchall()]
        else:
            rows = self.db.execute("SELECT id FROM plans WHERE thread_id = ? ORDER BY created_at DESC, rowid DESC "
                                   "LIMIT ?", [thread_id, limit])
            ids = [r[0] for r in rows.fetchall()][::-1]
        return [plan for plan in map(self._plan, ids) if plan is not None]

    @reads
    def plans_for_message(self, message_id: str) -> list[Plan]:
        """Every round planned for one user message, in order."""
        ids = [r[0] for r in self.db.execute(
            "SELECT id FROM plans WHERE message_id = ? ORDER BY round, created_at", [message_id]).fetchall()]
        return [plan for plan in map(self._plan, ids) if plan is not None]

    @writes
    def transition_plan(self, plan_id: str, from_statuses: tuple[PlanStatus, ...], to: PlanStatus) -> bool:
        illegal = [s for s in from_statuses if not plan_may_move(s, to)]
        if illegal:
            raise ValueError(f"a plan cannot move from {illegal[0].value} to {to.value}")
        placeholders = ", ".join("?" for _ in from_statuses)
        take = ", owner = ?" if to is PlanStatus.running else ""
        won = self.db.execute(
            f"UPDATE plans SET status = ?{take} WHERE id = ? AND status IN ({placeholders})",
            [to.value, *([self.process_id] if take else []), plan_id, *(s.value for s in from_statuses)],
        ).rowcount == 1
        if won:
            self._audit(f"plan.{to.value}", plan_id=plan_id)
        return won

    @writes
    def expire_due(self, now: datetime | None = None) -> list[str]:
        """Mark every undecided plan past its deadline expired; returns their ids."""
        stamp = ts(now)
        ids = [r[0] for r in self.db.execute(
            "UPDATE plans SET status = 'expired', decided_at = ? "
            "WHERE status = 'proposed' AND expires_at <= ? RETURNING id", [stamp, stamp]).fetchall()]
        for plan_id in ids:
            self.db.execute(
                "UPDATE messages SET turn_ended_at = ? WHERE turn_ended_at IS NULL AND id = "
                "(SELECT message_id FROM plans WHERE id = ?)", [stamp, plan_id])
            self.db.execute(
                "UPDATE steps SET status = 'expired' WHERE plan_id = ? AND status = 'proposed'", [plan_id])
            self.db.execute(
                "UPDATE steps SET status = 'skipped' WHERE plan_id = ? AND status = 'approved'", [plan_id])
            self._audit("plan.expired", plan_id=plan_id)
        return ids
