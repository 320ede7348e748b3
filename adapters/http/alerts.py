"""`POST /api/v1/alerts/alertmanager`, `POST /api/v1/alerts/grafana` and `GET /api/v1/schedules`.

The sender authenticates like any API user (a bearer token of `[http] tokens`, or nothing on a
loopback server without tokens); its alerts become messages of one thread per alert group, owned
by the sender, through `bot.alerts.AlertDesk`. The body is validated whole before anything is
stored, so a malformed one is answered 400 and leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web
from pydantic import BaseModel

from chatops.adapters.http.alert_schemas import (
    AcknowledgeRequest,
    AlertActionReply,
    AlertWebhookReply,
    SchedulePage,
    SilenceRequest,
)
from chatops.adapters.http.auth import PLATFORM, Callers
from chatops.adapters.http.errors import JSON, ApiError
from chatops.adapters.http.openapi import Endpoint, Param
from chatops.adapters.http.uploads import read_json
from chatops.bot.alert_payloads import AlertmanagerWebhook, GrafanaWebhook, PayloadError, Source, read_notification
from chatops.bot.alerts import AlertDesk, thread_name
from chatops.bot.model import ThreadRef, UserRef
from chatops.bot.schedules import schedule_rows

if TYPE_CHECKING:
    from chatops.bot.runtime import Runtime

THREAD_ID = {"type": "string", "maxLength": 200}
Readable = Callable[[str, UserRef], Awaitable[ThreadRef]]
WEBHOOKS: dict[Source, type[BaseModel]] = {"alertmanager": AlertmanagerWebhook, "grafana": GrafanaWebhook}


def json_body(model: BaseModel, status: int = 200) -> web.Response:
    return web.Response(status=status, body=model.model_dump_json().encode(), content_type=JSON)


class AlertsApi:
    def __init__(self, runtime: Runtime, *, callers: Callers, readable: Readable) -> None:
        self.runtime = runtime
        self.readable = readable  # the thread, if the caller may read it (else 404)
        self.config = runtime.config
        self.callers = callers
        self.desk = AlertDesk(runtime.hub)

    def endpoints(self) -> list[Endpoint]:
        storage_errors = (408, 503, 507)
        return [
            Endpoint("POST", "/api/v1/alerts/alertmanager", self.alertmanager, "alertmanagerWebhook",
                     "Alertmanager's webhook (version 4): one thread per alert group", body=AlertmanagerWebhook,
                     ok=(200, AlertWebhookReply), errors=(400, 413, 415, *storage_errors)),
            Endpoint("POST", "/api/v1/alerts/grafana", self.grafana, "grafanaWebhook",
                     "Grafana alerting's webhook (version 1): one thread per alert group", body=GrafanaWebhook,
                     ok=(200, AlertWebhookReply), errors=(400, 413, 415, *storage_errors)),
            Endpoint("POST", "/api/v1/threads/{id}/alert/acknowledge", self.acknowledge, "acknowledgeAlert",
                     "Acknowledge the thread's alert: “Acknowledged by X at T”, kept and shown",
                     body=AcknowledgeRequest, ok=(200, AlertActionReply), errors=(400, 404, 415, *storage_errors),
                     params=[Param("id", THREAD_ID, "path")]),
            Endpoint("POST", "/api/v1/threads/{id}/alert/silence", self.silence, "silenceAlert",
                     "Propose a silence of the thread's alert group (silence_alert with its labels): a write step "
                     "that waits for an approval", body=SilenceRequest, ok=(200, AlertActionReply),
                     errors=(400, 404, 409, 415, *storage_errors), params=[Param("id", THREAD_ID, "path")]),
            Endpoint("GET", "/api/v1/schedules", self.schedules, "listSchedules",
                     "The configured scheduled checks, their threads, last and next runs", ok=(200, SchedulePage)),
        ]

    async def alertmanager(self, request: web.Request) -> web.Response:
        return await self._receive(request, "alertmanager")

    async def grafana(self, request: web.Request) -> web.Response:
        return await self._receive(request, "grafana")

    async def _receive(self, request: web.Request, source: Source) -> web.Response:
        sender = self.callers.identify(request)
        body = await read_json(request, WEBHOOKS[source], self.config.http.max_body, self.config.http.body_timeout)
        try:
            notification = read_notification(source, body)
        except PayloadError as exc:
            raise ApiError(400, str(exc), "invalid") from None
        thread = ThreadRef(platform=PLATFORM, channel=self.callers.owner_key(sender),
                           thread=thread_name(source, notification.group_key))
        outcome = await self.desk.receive(notification, sender=sender, thread=thread)
        return json_body(AlertWebhookReply.model_validate({"threads": [outcome.__dict__]}))

    async def acknowledge(self, request: web.Request) -> web.Response:
        user = self.callers.identify(request)
        thread = await self._alert_thread(request, user)
        await read_json(request, AcknowledgeRequest, self.config.http.max_body, self.config.http.body_timeout)
        text = await self.desk.acknowledge(thread, user)
        return json_body(AlertActionReply(thread_id=thread.id, text=text))

    async def silence(self, request: web.Request) -> web.Response:
        user = self.callers.identify(request)
        thread = await self._alert_thread(request, user)
        body = await read_json(request, SilenceRequest, self.config.http.max_body, self.config.http.body_timeout)
        try:
            await self.desk.silence(thread, user, body.duration)
        except LookupError as exc:
            raise ApiError(409, str(exc)) from None
        return json_body(AlertActionReply(thread_id=thread.id, text=f"silence for {body.duration} proposed"))

    async def _alert_thread(self, request: web.Request, user: UserRef) -> ThreadRef:
        thread = await self.readable(request.match_info["id"], user)
        if await self.runtime.store.alert_of_thread(thread.id) is None:
            raise ApiError(404, "this thread was not opened by an alert")
        return thread

    async def schedules(self, request: web.Request) -> web.Response:
        self.callers.identify(request)
        rows = await schedule_rows(self.config.schedules, self.runtime.store)
        return json_body(SchedulePage.model_validate({"schedules": rows}))

    async def drain(self, timeout: float) -> None:
        await self.desk.drain(timeout)
