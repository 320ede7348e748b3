"""Who may request a tool and who may approve a step, from `[roles]` and `[policy]`.

Rules: `read` steps run without asking, unless tainted (values only from data: the requester or
a write approver confirms them); a `write` step needs one approval from a member of a
role in `policy.approve_write`; a `danger` step needs an approver from `policy.approve_danger`
who is not the requester. With no `[roles]` configured, the person at the terminal owns the
machine and may do everything, and nobody on a chat platform may approve anything. The token-less
loopback web user (platform `local`) is the operator too; once roles are configured, even the
operator needs someone else to approve their own danger step, unless
`policy.allow_self_approval` says this is a single-operator setup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from chatops.bot.config import Config
from chatops.bot.model import Plan, Risk, UserRef
from chatops.tools.registry import ToolSpec


class StepShape(Protocol):
    risk: Risk
    tainted: bool


class PlanShape(Protocol):
    """What the approval wording reads of a plan: a `Plan`, a `PlanEvent` or the API's plan body."""

    @property
    def steps(self) -> Sequence[StepShape]: ...


CONSOLE = "console"
LOCAL = "local"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""


ALLOWED = Verdict(True)


class Policy:
    def __init__(self, config: Config) -> None:
        self.roles = config.roles
        self.approve_write = tuple(config.policy.approve_write)
        self.approve_danger = tuple(config.policy.approve_danger)
        self.allow_self_approval = config.policy.allow_self_approval

    def is_local_operator(self, user: UserRef) -> bool:
        """The terminal user when no roles exist, and the web chat's user when no HTTP tokens exist
        (platform `local`: the server then listens on loopback only, so whoever reaches it is on
        this machine, like the terminal)."""
        return user.platform == LOCAL or (not self.roles and user.platform == CONSOLE)

    def roles_of(self, user: UserRef) -> set[str]:
        held = set()
        for role, members in self.roles.items():
            entries = getattr(members, user.platform, None) or []
            if _matches(user, entries):
                held.add(role)
        return held

    def may_request(self, user: UserRef, spec: ToolSpec) -> Verdict:
        if not spec.roles or self.is_local_operator(user):
            return ALLOWED
        if self.roles_of(user) & set(spec.roles):
            return ALLOWED
        return Verdict(False, f"{spec.name} may be requested only by: {', '.join(spec.roles)}")

    def may_reload(self, user: UserRef) -> Verdict:
        """`!reload` changes what the bot can do, so it is for operators: the local operator, or
        a holder of a role that may approve danger steps (`policy.approve_danger`)."""
        if self.is_local_operator(user) or self.roles_of(user) & set(self.approve_danger):
            return ALLOWED
        return Verdict(False, f"reloading tools needs the role: {' or '.join(self.approve_danger) or '(none set)'}")

    def may_approve_step(self, approver: UserRef, requester: UserRef | None, risk: Risk) -> Verdict:
        if risk is Risk.read:
            return ALLOWED
        own_danger = (risk is Risk.danger and requester is not None and requester.key == approver.key
                      and bool(self.roles) and not self.allow_self_approval)
        if own_danger:
            return Verdict(False, "a danger step needs an approver other than the requester")
        if self.is_local_operator(approver):
            return ALLOWED
        needed = self.approve_write if risk is Risk.write else self.approve_danger
        if not self.roles:
            return Verdict(False, "no roles are configured, so nobody here may approve changes")
        if not self.roles_of(approver) & set(needed):
            return Verdict(False, f"approving a {risk.value} step needs the role: {' or '.join(needed)}")
        return ALLOWED

    def may_decide(self, approver: UserRef, plan: Plan, *, approve: bool) -> Verdict:
        """A plan is decided as a whole: the approver must be allowed for every gated step.
        Denying is open to the requester too (anyone may withdraw their own request)."""
        if not approve and plan.requester is not None and plan.requester.key == approver.key:
            return ALLOWED
        risks = {step.risk for step in plan.steps}
        if any(step.tainted and step.risk is Risk.read for step in plan.steps):
            # a read step with values from data: the requester confirms it, or a write approver
            is_requester = plan.requester is not None and plan.requester.key == approver.key
            if not is_requester:
                risks.add(Risk.write)
        for risk in sorted(risks, key=_severity, reverse=True):
            verdict = self.may_approve_step(approver, plan.requester, risk)
            if not verdict.allowed:
                return verdict
        return ALLOWED

    def who_may_approve(self, plan: PlanShape) -> str:
        """The card's line on who may decide this plan, in the terms of the policy in force (so a
        card never promises "someone other than the requester" when the requester is the one who
        may approve, nor asks for an approver nobody on the platform can be). Empty when nothing
        in the plan waits for a decision."""
        risks = {step.risk for step in plan.steps}
        tainted = any(step.tainted and step.risk is Risk.read for step in plan.steps)
        if Risk.danger in risks:
            needed, other = self.approve_danger, bool(self.roles) and not self.allow_self_approval
        elif Risk.write in risks:
            needed, other = self.approve_write, False
        elif tainted:
            needed, other = (), False
        else:
            return ""
        if not self.roles:
            who = "the operator at the bot's own terminal or local web chat"
            if not (Risk.danger in risks or Risk.write in risks):
                who = f"the requester or {who}"
            return (f"Needs approval from {who}: no roles are configured, so nobody else on a chat "
                    "platform can approve it.")
        if not needed:  # values from an attachment: the requester confirms, or a write approver
            roles = " or ".join(self.approve_write) or "(no role set)"
            return f"Needs a confirmation from the requester, or approval from a member of {roles}."
        roles = " or ".join(needed) or "(no role set)"
        return f"Needs approval from a member of {roles}{' other than the requester' if other else ''}."

    def may_see(self, viewer: UserRef, plan: Plan) -> bool:
        """Whether `viewer` is one of those asked to decide this plan: it needs a decision and
        the viewer may approve it. Approvers read a thread only for such plans."""
        return plan.needs_approval and self.may_decide(viewer, plan, approve=True).allowed


def _severity(risk: Risk) -> int:
    return {Risk.read: 0, Risk.write: 1, Risk.danger: 2}[risk]


def _matches(user: UserRef, entries: Iterable[str]) -> bool:
    return any(entry == "*" or entry == user.id or entry in user.groups for entry in entries)
