"""The HTTP API's bodies, as pydantic models.

The handlers validate requests and shape responses with these models, and the OpenAPI document
is generated from the same models (`openapi.py`), so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.model import PlanStatus, Risk, StepStatus

MAX_TEXT = 20_000


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MessageRequest(Body):
    """A message to the bot, as JSON. With files, send `multipart/form-data` instead: a `text`
    field and one or more `files` parts (images, voice notes)."""

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


class PlanBody(BaseModel):
    id: str
    goal: str
    status: PlanStatus
    round: int
    requester: str
    created_at: datetime | None = None
    expires_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    steps: list[StepBody]


class ThreadBody(BaseModel):
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    messages: list[MessageBody]
    plans: list[PlanBody]
    last_event_id: str = Field(description="resume the event stream after this id to miss nothing since this view")


class ThreadSummary(BaseModel):
    id: str
    title: str
    created_at: datetime
    updated_at: datetime


class ThreadPage(BaseModel):
    threads: list[ThreadSummary]
    next_before: str | None = Field(None, description="pass as `before` for the next (older) page")


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class AdapterHealthBody(BaseModel):
    state: Literal["starting", "up", "reconnecting", "down", "stopped"]
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
