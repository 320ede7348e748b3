"""The small models that travel between adapters, the hub, the agent, tools and storage.

Each is defined once here so that an adapter only needs to speak these types: the agent never
imports an adapter and tools never know which chat they serve. The `Outbound` variants double
as the `--json` event contract of `chatops chat` (and the SSE stream of the HTTP adapter), so
their field names are a public interface: extend them, never rename them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def utcnow() -> datetime:
    """Timezone-aware now, so stored timestamps compare correctly across processes."""
    return datetime.now(UTC)


class Risk(StrEnum):
    """How much a tool can change: decides whether and by whom a step must be approved."""

    read = "read"  # runs without asking
    write = "write"  # one approval from someone allowed
    danger = "danger"  # an approval from an allowed approver who is not the requester


class StepStatus(StrEnum):
    """The life of a step; every transition is persisted (see `bot.states`)."""

    proposed = "proposed"
    approved = "approved"
    denied = "denied"
    expired = "expired"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    interrupted = "interrupted"
    skipped = "skipped"  # never ran: an earlier step failed or the plan was denied


class PlanStatus(StrEnum):
    """The life of a plan: proposed until decided, then running until every step settled."""

    proposed = "proposed"
    approved = "approved"
    denied = "denied"
    expired = "expired"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    interrupted = "interrupted"


Outcome = Literal["ok", "problem"]
"""What a step that ran found: `ok`, or a `problem` (down, refused, 4xx/5xx, a certificate about
to expire). Separate from the status: a check that ran and found the target down *succeeded* as a
step, and its outcome is a problem. `None` while the step has not run or when it failed to run."""


class UserRef(BaseModel):
    """Who wrote or clicked. `groups` holds platform group ids in the same spelling as the
    `[roles]` config entries (Slack user-group ids `S…`, Discord `role:<id>`), filled by the adapter."""

    model_config = ConfigDict(frozen=True)

    platform: str
    id: str
    name: str = ""
    groups: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """`platform:id`, except for the token-less local operator (platform `local`), whose one
        name is `operator` everywhere: approvals (`decided_by`), the audit log, cards, and the
        owner part of its web threads' ids (`http:operator:t…`). No other key lacks a colon, so
        nobody on a platform can take that name (storage migration v15 renamed `local:operator`)."""
        return self.id if self.platform == "local" else f"{self.platform}:{self.id}"

    def label(self) -> str:
        return self.name or self.id


class ThreadRef(BaseModel):
    """A conversation thread on one platform; `id` is unique across platforms."""

    model_config = ConfigDict(frozen=True)

    platform: str
    channel: str = ""
    thread: str

    @property
    def id(self) -> str:
        parts = [self.platform, self.channel, self.thread] if self.channel else [self.platform, self.thread]
        return ":".join(parts)


class Attachment(BaseModel):
    """A file that came with a message; adapters fill `url` or `data`, perception reads it."""

    name: str
    mime_type: str = "application/octet-stream"
    size: int | None = None
    url: str | None = None
    sha256: str | None = None


class Inbound(BaseModel):
    """A platform-neutral incoming message. `event_id` is the platform's delivery id, used to
    drop retries and replays before any work starts."""

    event_id: str
    thread: ThreadRef
    user: UserRef
    text: str
    attachments: list[Attachment] = Field(default_factory=list)
    received_at: datetime = Field(default_factory=utcnow)
    data_steps: list[Step] = Field(default_factory=list)
    """Read-only checks the sender draws from its own structured data (an alert's fired query, from
    its generator URL), added to the first round's plan whichever planner made it: one plan, one
    card. Data, never a request: each waits for a click like any step drawn from data, and one
    that would change something, or whose tool the requester may not use, is left out."""


class Step(BaseModel):
    """One tool call of a plan, with the reason the planner gave and what came of it."""

    id: str = ""
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    reason: str = ""
    risk: Risk = Risk.read
    status: StepStatus = StepStatus.proposed
    result: Any = None
    summary: str | None = None
    error: str | None = None
    decided_by: str | None = None
    duration_ms: float | None = None
    outcome: Outcome | None = None
    provenance: str | None = None
    """Where the step's values came from when not only from the user's typed words: "values from
    the screenshot nginx.png: http://…", "from the voice note: “…”". Set by the hub after planning."""
    tainted: bool = False
    """Some argument value appears only in data (text read from an image or a file, tool output),
    never in the user's own words: the step waits for an approval even when read-only."""
    fingerprint: str | None = Field(default=None, exclude=True)
    """The digest of the tool definition the step was proposed with (`ToolSpec.fingerprint`),
    stored with it: a reload that changes the tool cannot change what an approval runs."""


class Plan(BaseModel):
    """A goal and ordered steps proposed for one user message."""

    id: str = ""
    thread_id: str = ""
    goal: str
    steps: list[Step]
    status: PlanStatus = PlanStatus.proposed
    requester: UserRef | None = None
    round: int = 1
    created_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def needs_approval(self) -> bool:
        return any(step.risk is not Risk.read or step.tainted for step in self.steps)


class Answer(BaseModel):
    """A direct reply from the planner: no tool needed, or the summary after steps ran."""

    text: str


END_OF_INPUT = "console:end-of-input"
"""The `Decision.source` of the "no" a piped chat records when its input ends before an answer:
shown and answered as "no answer (end of input)", never as a person's denial."""


class Decision(BaseModel):
    """An approval or a denial of a plan's gated steps, from a button, a prompt or the API."""

    plan_id: str
    approve: bool
    user: UserRef
    source: str = ""  # where it came from: "console", "slack:block_actions", ...
    at: datetime = Field(default_factory=utcnow)
    note: str = Field("", max_length=2000)
    """Why, in the decider's own words (a denial's reason from a modal): shown in the thread and
    kept in the audit log."""
    steps: list[str] | None = None
    """An approval of only these waiting steps (by id); the plan's other waiting steps are skipped.
    None: the whole plan, as decided on one button."""


class StepResult(BaseModel):
    """What running one step produced; `error` set means it failed (the tool could not do its
    job). A tool that ran and found something wrong has `ok` true and `outcome` "problem", and
    `summary` states the finding."""

    ok: bool
    result: Any = None
    summary: str = ""
    error: str | None = None
    duration_ms: float = 0.0
    outcome: Outcome | None = None


# --- Outbound: what the hub asks an adapter to show. Also the `--json` / SSE event shapes. ---


class StepView(BaseModel):
    id: str
    tool: str
    args: dict[str, Any]
    reason: str
    risk: Risk
    status: StepStatus
    outcome: Outcome | None = None
    summary: str | None = None
    provenance: str | None = None  # where the values came from ("values from the screenshot …")
    tainted: bool = False  # values only from data: waits for an approval even when read-only


class PlanEvent(BaseModel):
    """A plan was proposed (or re-shown): the card with its Approve/Deny buttons."""

    type: Literal["plan"] = "plan"
    thread: str
    id: str
    goal: str
    status: PlanStatus
    round: int
    needs_approval: bool
    expires_at: datetime | None
    requester: str
    steps: list[StepView]

    @classmethod
    def of(cls, plan: Plan) -> PlanEvent:
        return cls(
            thread=plan.thread_id,
            id=plan.id,
            goal=plan.goal,
            status=plan.status,
            round=plan.round,
            needs_approval=plan.needs_approval,
            expires_at=plan.expires_at,
            requester=plan.requester.label() if plan.requester else "",
            steps=[
                StepView(id=s.id, tool=s.tool, args=s.args, reason=s.reason, risk=s.risk, status=s.status,
                         outcome=s.outcome, summary=s.summary, provenance=s.provenance, tainted=s.tainted)
                for s in plan.steps
            ],
        )


class DecisionEvent(BaseModel):
    """Someone decided a plan; `accepted` is false when the decision was refused (not allowed,
    already decided, expired) and `reason` says why."""

    type: Literal["decision"] = "decision"
    thread: str
    plan_id: str
    decision: Literal["approve", "deny"]
    by: str
    accepted: bool
    reason: str = ""
    plan_status: PlanStatus | None = None
    steps: list[int] | None = None
    """An approval of only some steps: their numbers on the card (1-based); the others were skipped."""


class StepEvent(BaseModel):
    """A step changed state; finished steps carry `result` (and `summary`) or `error`, and a
    succeeded step its `outcome`: "ok", or "problem" when it ran and found something wrong."""

    type: Literal["step"] = "step"
    thread: str
    plan_id: str
    id: str
    tool: str
    status: StepStatus
    result: Any = None
    summary: str | None = None
    error: str | None = None
    duration_ms: float | None = None
    outcome: Outcome | None = None


class FollowUp(BaseModel):
    """A next step an answer offers as one click: its words, and the request the click posts in
    the thread as the clicker's own message (planned, gated and approved like any request)."""

    label: str = Field(max_length=80)
    request: str = Field(max_length=2000)


class AnswerEvent(BaseModel):
    type: Literal["answer"] = "answer"
    thread: str
    text: str
    plan_id: str | None = None
    next_steps: list[FollowUp] = Field(default_factory=list)
    """The answer's suggested next steps that a tool can run (`bot.next_steps`): buttons on every surface."""


class NoticeEvent(BaseModel):
    """Something the user should know that is not an answer: a refusal, an expiry, an error."""

    type: Literal["notice"] = "notice"
    thread: str
    text: str
    level: Literal["info", "warning", "error"] = "info"


Outbound = Annotated[
    PlanEvent | DecisionEvent | StepEvent | AnswerEvent | NoticeEvent, Field(discriminator="type")
]
