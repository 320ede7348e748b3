"""The plan and step state machines, written down once.

`storage.Store` enforces these transitions with conditional UPDATEs (`… WHERE status = <from>`),
so a transition either happens exactly once or not at all; tests check the store never leaves
this table. Terminal states have no way out: a finished step is never re-run.
"""

from __future__ import annotations

from chatops.bot.model import PlanStatus, StepStatus

S, P = StepStatus, PlanStatus

STEP_TRANSITIONS: dict[StepStatus, frozenset[StepStatus]] = {
    S.proposed: frozenset({S.approved, S.denied, S.expired, S.skipped}),
    S.approved: frozenset({S.running, S.skipped, S.failed}),  # failed: could not even start
    S.running: frozenset({S.succeeded, S.failed, S.interrupted}),
    S.denied: frozenset(),
    S.expired: frozenset(),
    S.succeeded: frozenset(),
    S.failed: frozenset(),
    S.interrupted: frozenset(),
    S.skipped: frozenset(),
}

PLAN_TRANSITIONS: dict[PlanStatus, frozenset[PlanStatus]] = {
    P.proposed: frozenset({P.approved, P.denied, P.expired}),
    P.approved: frozenset({P.running, P.interrupted}),
    P.running: frozenset({P.succeeded, P.failed, P.interrupted}),
    P.denied: frozenset(),
    P.expired: frozenset(),
    P.succeeded: frozenset(),
    P.failed: frozenset(),
    P.interrupted: frozenset(),
}


def step_may_move(current: StepStatus, new: StepStatus) -> bool:
    return new in STEP_TRANSITIONS[current]


def plan_may_move(current: PlanStatus, new: PlanStatus) -> bool:
    return new in PLAN_TRANSITIONS[current]


def is_settled(status: StepStatus) -> bool:
    return not STEP_TRANSITIONS[status]
