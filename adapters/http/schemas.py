"""The HTTP API's bodies, as pydantic models.

The handlers validate requests and shape responses with these models, and the OpenAPI document
is generated from the same models (`openapi.py`), so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chatops.adapters.http.alert_schemas import AlertBody
from chatops.bot.model import FollowUp, Outcome, PlanStatus, Risk, StepStatus

MAX_TEXT = 20_000


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MessageRequest(Body):
    """A message to the bot, as JSON. With files, send `multipart/form-data` instead: a `text`
    field and one or more `files` parts (images, voice notes, video clips)."""

    text: str = Field(min_length=1, max_length=MAX_TEXT, description="what you want done")

    @field_validator("text")
    @classmethod
    def not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("must not be blank")
        return text


class MultipartMessage(BaseModel):
    """The `multipart/form-data` form of a message."""

    text: str = Field("", max_length=MAX_TEXT)
    files: list[bytes] = Field(default_factory=list, json_schema_extra={
        "items": {"type": "string", "contentMediaType": "application/octet-stream"}})


class DecisionRequest(Body):
    decision: Literal["approve", "deny"]
    steps: list[str] | None = Field(
        None, min_length=1, max_length=50,
        description="with `approve`: only these waiting steps (their ids) are approved; the plan's other "
                    "waiting steps are skipped. Omitted: the whole plan")


class ThreadAccepted(BaseModel):
    """The answer to `Prefer: respond-async`: the thread exists and its turn goes on; follow
    `GET /api/v1/threads/{id}/events` from the start to see it perceive, plan and run."""

    id: str


class AttachmentBody(BaseModel):
    name: str
    mime_type: str
    size: int | None = None
    sha256: str | None = None


class MessageBody(BaseModel):
    id: str
    role: Literal["user", "bot"]
    user: str = ""
    text: str
    perceived_text: str = Field(description="what the planner read: the text plus each attachment's "
                                            "transcript or OCR text")
    attachments: list[AttachmentBody] = Field(default_factory=list)
    created_at: datetime
    next_steps: list[FollowUp] = Field(default_factory=list, description="a bot answer's suggested next steps "
                                                                          "that a tool can run: post `request` in "
                                                                          "this thread to plan one")


class StepBody(BaseModel):
    id: str
    tool: str
    args: dict[str, Any]
    reason: str
    risk: Risk
    status: StepStatus
    result: Any = None
    summary: str | None = None
    error: str | None = None
    decided_by: str | None = None
    duration_ms: float | None = None
    outcome: Outcome | None = Field(None, description="`ok`, or `problem` when the step ran and found something "
                                                         "wrong (down, refused, 4xx/5xx); null until it ran")
    provenance: str | None = Field(None, description="where the values came from when not only from the "
                                                     "requester's own words")
    tainted: bool = Field(False, description="some value came only from data (an image, a file, tool output): "
                                             "the step waits for an approval even when read-only")
    output: str = Field("", description="the step's whole output as text (a program's stdout and stderr)")
    files: list[AttachmentBody] = Field(default_factory=list, description="files the step made (a chart), at "
                                                                          "`GET /api/v1/threads/{id}/files/{sha256}`")


class PlanBody(BaseModel):
    id: str
    message_id: str | None = Field(None, description="the message this plan answers")
    goal: str
    status: PlanStatus
    round: int
    requester: str
    created_at: datetime | None = None
    expires_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    steps: list[StepBody]
    who_may_approve: str = Field("", description="who may decide this plan, in the terms of the policy in force "
                                                 "(empty when nothing in it waits for a decision)")


class NoticeBody(BaseModel):
    id: int
    level: Literal["info", "warning", "error"]
    text: str
    created_at: datetime


class ThreadBody(BaseModel):
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    messages: list[MessageBody]
    plans: list[PlanBody]
    notices: list[NoticeBody] = Field(default_factory=list, description="progress, expiries and what attachments "
                                                                         "were read as, kept with the thread "
                                                                         "(those among this page's messages)")
    has_more: bool = Field(False, description="older messages exist: ask for them with `before=next_before`")
    next_before: str | None = Field(None, description="pass as `before` for the page of older messages")
    last_event_id: str = Field(description="resume the event stream after this id to miss nothing since this view")
    alert: AlertBody | None = Field(None, description="the alert group this thread was opened for (null for "
                                                      "other threads)")


class ThreadSummary(BaseModel):
    id: str
    title: str
    created_at: datetime
    updated_at: datetime


class MeBody(BaseModel):
    user: str = Field(description="your name here: the token's user, or `operator` without tokens")
    approver: bool = Field(description="whether you hold a role that approves changes")


class WaitingPlan(BaseModel):
    """A plan that waits for a decision the caller may make."""

    id: str
    thread_id: str
    goal: str
    requester: str
    risk: Risk = Field(description="the riskiest step")
    created_at: datetime | None = None
    expires_at: datetime | None = None


class WaitingPage(BaseModel):
    plans: list[WaitingPlan]


class ThreadPage(BaseModel):
    threads: list[ThreadSummary]
    next_before: str | None = Field(None, description="pass as `before` for the next (older) page")


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class AdapterHealthBody(BaseModel):
    state: Literal["starting", "up", "standby", "reconnecting", "down", "stopped"] = Field(
        description="`standby`: healthy; another replica holds the connection only one may hold (Discord)")
    detail: str = ""


class HealthBody(BaseModel):
    status: Literal["ok", "degraded"]
    database: str = Field(description="`writable` (a real write succeeded and enough space is free), or why not")
    free_bytes: int = Field(description="free space where the database lives")
    models: list[str] = Field(description="the models loaded in this process")
    adapters: list[str]
    adapter_states: dict[str, AdapterHealthBody] = Field(
        default_factory=dict, description="each configured adapter's connection; 503 when one is `down`")
    version: str
    mcp: dict[str, str] = Field(default_factory=dict, description="MCP server name → `ready (N tools)` or "
                                "`failed: why`; a failed server does not make the bot unhealthy")
    model_states: dict[str, str] = Field(
        default_factory=dict,
        description="what start-up loads in the background → `loading`, `ready`, `on first use`, `failed: why` or "
                    "`not installed: pip install 'chatops[extra]'`: `tools`, `llm`, `meaning` (the planner's sentence "
                    "encoder), `whisper`, and `whisper_video` when videos have a model of their own "
                    "(`whisper.video_model`: loaded on the first clip, released when idle; `not installed: …` when it "
                    "fell back to the voice model). Messages that arrive while `tools` or `llm` load wait for them")
    ready: bool = Field(True, description="the tools and the planner are loaded: messages are planned at once")
    extras_missing: dict[str, str] = Field(
        default_factory=dict, description="extra → the command that installs it, for each configured feature whose "
                                          "extra is not installed (it says so where it is used)")
