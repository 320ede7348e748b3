"""The webhook bodies of Alertmanager (`"version": "4"`) and Grafana alerting (`"version": "1"`),
read into one platform-neutral `AlertNotification`.

Both senders post the same envelope (Grafana's is Alertmanager's template data plus `orgId`,
`state`, `title`, `message`, and per alert `values`, `dashboardURL`, `panelURL`, `silenceURL`), so
one model reads both; what differs is the version each must carry. Everything is validated before
anything is stored: a body that fails here is answered 400 and leaves no trace.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Source = Literal["alertmanager", "grafana"]
VERSIONS: dict[str, str] = {"alertmanager": "4", "grafana": "1"}
ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)  # Go's zero time: "0001-01-01T00:00:00Z" means "not set"
MAX_ALERTS = 10_000  # per notification: far above Alertmanager's max_alerts defaults, bounded anyway
LABELS = dict[str, str]


class WireAlert(BaseModel):
    """One alert as either sender writes it (unknown fields are ignored: senders add fields)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    status: Literal["firing", "resolved"]
    labels: LABELS = Field(default_factory=dict)
    annotations: LABELS = Field(default_factory=dict)
    starts_at: datetime | None = Field(None, alias="startsAt")
    ends_at: datetime | None = Field(None, alias="endsAt")
    generator_url: str = Field("", alias="generatorURL", max_length=8192)
    fingerprint: str = Field("", max_length=200)
    # Grafana only
    values: dict[str, float | None] | None = None
    dashboard_url: str = Field("", alias="dashboardURL", max_length=8192)
    panel_url: str = Field("", alias="panelURL", max_length=8192)
    silence_url: str = Field("", alias="silenceURL", max_length=8192)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _unset_is_none(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return None if value <= ZERO_TIME else value.astimezone(UTC)


class WireNotification(BaseModel):
    """The webhook envelope."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    version: str
    receiver: str = Field("", max_length=1000)
    status: Literal["firing", "resolved"]
    alerts: list[WireAlert] = Field(max_length=MAX_ALERTS)
    group_labels: LABELS = Field(default_factory=dict, alias="groupLabels")
    common_labels: LABELS = Field(default_factory=dict, alias="commonLabels")
    common_annotations: LABELS = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field("", alias="externalURL", max_length=8192)
    group_key: str = Field(alias="groupKey", min_length=1, max_length=4000)
    truncated_alerts: int = Field(0, alias="truncatedAlerts", ge=0)
    # Grafana only
    org_id: int | None = Field(None, alias="orgId")
    state: str = ""
    title: str = Field("", max_length=4000)
    message: str = Field("", max_length=100_000)


class AlertmanagerWebhook(WireNotification):
    """Alertmanager's webhook body (`webhook_configs`), version 4."""

    version: Literal["4"]


class GrafanaWebhook(WireNotification):
    """Grafana alerting's webhook body (a webhook contact point), version 1."""

    version: Literal["1"]


class Alert(BaseModel):
    """One alert of a group, as the bot keeps it (and as the thread body's `alert.alerts` shows it)."""

    fingerprint: str
    status: Literal["firing", "resolved"]
    labels: LABELS = Field(default_factory=dict)
    annotations: LABELS = Field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    generator_url: str = ""
    links: dict[str, str] = Field(default_factory=dict)  # dashboard, panel, silence (Grafana)
    values: dict[str, float | None] | None = None

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "") or "alert"


class AlertNotification(BaseModel):
    """One webhook delivery: the group it is about and the alerts it carries."""

    source: Source
    group_key: str
    status: Literal["firing", "resolved"]
    receiver: str = ""
    alerts: list[Alert]
    group_labels: LABELS = Field(default_factory=dict)
    common_labels: LABELS = Field(default_factory=dict)
    common_annotations: LABELS = Field(default_factory=dict)
    external_url: str = ""
    truncated_alerts: int = 0
    title: str = ""  # Grafana's rendered title, when it sent one


class PayloadError(ValueError):
    """The body is JSON of the wrong shape or version; the message says which key."""


def fingerprint_of(labels: dict[str, Any]) -> str:
    """A stable id for an alert that came without a fingerprint: its sorted labels, hashed."""
    import hashlib

    text = "\n".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_notification(source: Source, body: WireNotification) -> AlertNotification:
    """The validated envelope as a notification; refuses the other sender's version."""
    if body.version != VERSIONS[source]:
        raise PayloadError(f"version: {source} webhooks send version {VERSIONS[source]!r}, not {body.version!r}")
    alerts = []
    for wire in body.alerts:
        links = {name: url for name, url in (("dashboard", wire.dashboard_url), ("panel", wire.panel_url),
                                             ("silence", wire.silence_url)) if url}
        alerts.append(Alert(fingerprint=wire.fingerprint or fingerprint_of(wire.labels), status=wire.status,
                            labels=wire.labels, annotations=wire.annotations, starts_at=wire.starts_at,
                            ends_at=wire.ends_at, generator_url=wire.generator_url, links=links,
                            values=wire.values))
    return AlertNotification(source=source, group_key=body.group_key, status=body.status, receiver=body.receiver,
                             alerts=alerts, group_labels=body.group_labels, common_labels=body.common_labels,
                             common_annotations=body.common_annotations, external_url=body.external_url,
                             truncated_alerts=body.truncated_alerts, title=body.title)
