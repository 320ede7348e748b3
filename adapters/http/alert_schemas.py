"""The JSON the alert and schedule endpoints answer with (and the thread body's `alert` field)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class AlertThreadBody(BaseModel):
    id: str = Field(description="the thread of the alert group (`GET /api/v1/threads/{id}`)")
    group_key: str
    status: Literal["firing", "resolved"]
    new: bool = Field(description="this notification opened the thread")


class AlertWebhookReply(BaseModel):
    threads: list[AlertThreadBody]


class AlertItemBody(BaseModel):
    fingerprint: str
    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    generator_url: str = ""


class AlertBody(BaseModel):
    """The alert group a thread was opened for."""

    source: Literal["alertmanager", "grafana"]
    group_key: str
    status: Literal["firing", "resolved"]
    alerts: list[AlertItemBody]


class ScheduleBody(BaseModel):
    name: str
    every: str | None = None
    cron: str | None = None
    thread_id: str
    last_run_at: datetime | None = None
    last_outcome: Literal["ok", "problem"] | None = None
    next_run_at: datetime | None = None


class SchedulePage(BaseModel):
    schedules: list[ScheduleBody]


class SilenceRequest(BaseModel):
    model_config = {"extra": "forbid"}

    duration: str = Field("1h", pattern=r"^[0-9]{1,4}(m|h|d)$", description="how long, e.g. 30m, 1h, 2h")


class AcknowledgeRequest(BaseModel):
    model_config = {"extra": "forbid"}


class AlertActionReply(BaseModel):
    thread_id: str
    text: str = Field(description="what the thread was told")
