"""The handlers of `/api/v1`, `/healthz` and `/metrics`, and the route table they are served and
documented from.

A message is answered once the bot has planned or answered (read-only steps may still be
running: the event stream shows them finish); a decision is answered once it is recorded, and
the approved steps run on in the background. Both keep the hub's guarantees: de-duplication
(an `Idempotency-Key` header makes a retried POST one turn), one turn at a time per thread, and
one winner among concurrent decisions.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from chatops.adapters.http.alerts import AlertsApi
from chatops.adapters.http.auth import PLATFORM, Callers
from chatops.adapters.http.errors import JSON, ApiError
from chatops.adapters.http.events import ThreadEvents
from chatops.adapters.http.guard import SECURITY_HEADERS
from chatops.adapters.http.metrics import BotMetrics
from chatops.adapters.http.openapi import Endpoint, Param, build_document
from chatops.adapters.http.reports import ReportsApi
from chatops.adapters.http.schemas import (
    AdapterHealthBody,
    DecisionRequest,
    HealthBody,
    MeBody,
    MessageRequest,
    MultipartMessage,
    PlanBody,
    ThreadAccepted,
    ThreadBody,
    ThreadPage,
    ThreadSummary,
    WaitingPage,
    WaitingPlan,
)
from chatops.adapters.http.uploads import IncomingMessage, read_json, read_message
from chatops.adapters.messages import output_text
from chatops.bot import __version__
from chatops.bot.alerts import alert_body
from chatops.bot.faults import StorageUnavailable
from chatops.bot.model import Attachment, Decision, Inbound, ThreadRef, UserRef
from chatops.bot.next_steps import follow_ups
from chatops.bot.perception.types import PerceptionError
from chatops.bot.runtime import Runtime
from chatops.bot.schedules import VISIBLE_OWNER as SCHEDULES_OWNER

log = logging.getLogger("chatops.http")

KEEPALIVE_SECONDS = 15.0
STORED_POLL = 0.05  # seconds between looks for a `respond-async` message in the store
THREAD_ID = {"type": "string", "maxLength": 200}
THREAD_PAGE, THREAD_PAGE_MAX = 50, 200  # messages in a thread body: replies never grow with the thread
EVENT_ID = re.compile(r"[0-9]{1,20}", re.ASCII)
MAX_EVENT_ID = 2**63 - 1  # ids are 64-bit database integers: a larger one overflows every query


def json_body(model: BaseModel, status: int = 200) -> web.Response:
    return web.Response(status=status, body=model.model_dump_json().encode(), content_type=JSON)


class ThreadsApi:
    def __init__(self, runtime: Runtime, *, events: ThreadEvents, metrics: BotMetrics,
                 adapters: list[str] | None = None) -> None:
        self.runtime = runtime
        self.hub = runtime.hub
        self.store = runtime.store
        self.config = runtime.config
        self.callers = Callers(runtime.config, runtime.hub.policy)
        self.events = events
        self.metrics = metrics
        self.adapters = adapters if adapters is not None else ["http"]
        self._uploads: dict[str, bytes] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        # alerts in, alert actions, schedules listed (issue 21)
        self.alerts = AlertsApi(runtime, callers=self.callers, readable=self._readable_thread)
        self.reports = ReportsApi(runtime.store, callers=self.callers, readable=self._readable_thread,
                                  redact=lambda text: self.hub.redactor.text(text) or "")

    # --- the route table ----------------------------------------------------------------------------

    def endpoints(self) -> list[Endpoint]:
        storage_errors = (408, 503, 507)  # a slow body; a read-only or full database
        thread_errors = (400, 404, 413, 415, *storage_errors)
        page = [Param("limit", {"type": "integer", "minimum": 1, "maximum": THREAD_PAGE_MAX, "default": THREAD_PAGE},
                      description="the newest messages (and their plans) to include"),
                Param("before", {"type": "string", "maxLength": 64},
                      description="`next_before` of a previous body: the page of older messages")]
        return [
            Endpoint("POST", "/api/v1/threads", self.create_thread, "createThread",
                     "Start a thread: the bot perceives, plans and answers", body=MessageRequest,
                     multipart=MultipartMessage, form=MessageRequest, ok=(201, ThreadBody),
                     errors=(400, 413, 415, *storage_errors), other={202: ThreadAccepted},
                     params=[Param("Idempotency-Key", {"type": "string", "maxLength": 200}, "header",
                                   "a retried request with the same key is one turn"),
                             Param("Prefer", {"type": "string", "maxLength": 200}, "header",
                                   "`respond-async`: answer 202 with the thread's id as soon as the message is "
                                   "stored, and let the turn go on (follow the thread's events to see it)")]),
            Endpoint("GET", "/api/v1/threads", self.list_threads, "listThreads", "Your threads, newest first",
                     ok=(200, ThreadPage), errors=(400,),
                     params=[Param("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
                             Param("before", {"type": "string", "maxLength": 64},
                                   description="`next_before` of the previous page")]),
            Endpoint("GET", "/api/v1/threads/{id}", self.get_thread, "getThread",
                     "A thread: messages (with perceived text) and plans (with steps and results)",
                     ok=(200, ThreadBody), errors=(400, 404), params=[Param("id", THREAD_ID, "path"), *page]),
            Endpoint("POST", "/api/v1/threads/{id}/messages", self.post_message, "postMessage",
                     "A follow-up message in a thread", body=MessageRequest, multipart=MultipartMessage,
                     form=MessageRequest,
                     ok=(201, ThreadBody), errors=thread_errors,
                     params=[Param("id", THREAD_ID, "path"),
                             Param("Idempotency-Key", {"type": "string", "maxLength": 200}, "header"), *page]),
            Endpoint("GET", "/api/v1/threads/{id}/events", self.thread_events, "threadEvents",
                     "Server-Sent Events: every event of the thread as it happens, in the shape "
                     "`chatops chat --json` prints; resume with Last-Event-ID",
                     ok=(200, "text/event-stream"), errors=(400, 404),
                     params=[Param("id", THREAD_ID, "path"),
                             Param("Last-Event-ID", {"type": "string", "pattern": "^[0-9]{1,20}$"}, "header"),
                             Param("last_event_id", {"type": "string", "pattern": "^[0-9]{1,20}$"},
                                   description="the same, for clients that cannot set headers")]),
            Endpoint("GET", "/api/v1/threads/{id}/files/{sha256}", self.thread_file, "threadFile",
                     "An attachment of the thread (an image, a voice note or a video), by its SHA-256",
                     ok=(200, "application/octet-stream"), errors=(404,),
                     params=[Param("id", THREAD_ID, "path"),
                             Param("sha256", {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "path")]),
            Endpoint("GET", "/api/v1/me", self.me, "me", "Who you are here, as the web chat shows it",
                     ok=(200, MeBody)),
            Endpoint("GET", "/api/v1/plans/waiting", self.waiting_plans, "waitingPlans",
                     "Plans waiting for a decision you may make, oldest first", ok=(200, WaitingPage)),
            Endpoint("POST", "/api/v1/plans/{id}/decision", self.decide, "decidePlan",
                     "Approve or deny a plan's steps that change something", body=DecisionRequest,
                     ok=(200, PlanBody), errors=(400, 403, 404, 409, 413, 415, *storage_errors),
                     params=[Param("id", THREAD_ID, "path")]),
            *self.alerts.endpoints(),
            *self.reports.endpoints(),
            Endpoint("GET", "/api/v1/openapi.json", self.openapi, "openapi", "This document",
                     ok=(200, JSON), secured=False),
            Endpoint("GET", "/healthz", self.health, "health",
                     "Process alive, database writable, models loaded", ok=(200, HealthBody),
                     other={503: HealthBody}, secured=False),
            Endpoint("GET", "/metrics", self.metrics_text, "metrics", "Prometheus metrics",
                     ok=(200, "text/plain"), secured=False),
        ]

    def document(self) -> dict[str, Any]:
        return build_document(self.endpoints(), title="chatops", version=__version__,
                              token_auth=not self.callers.open)

    # --- threads and messages --------------------------------------------------------------------

    async def create_thread(self, request: web.Request) -> web.Response:
        user = self.callers.identify(request)
        message = await read_message(request, self.config)
        # a retried create (same Idempotency-Key) must land in the thread the first attempt made
        key = request.headers.get("Idempotency-Key", "")[:200]
        name = "t" + (hashlib.sha256(f"{user.key}\n{key}".encode()).hexdigest()[:16] if key else secrets.token_hex(8))
        thread = ThreadRef(platform=PLATFORM, channel=self.callers.owner_key(user), thread=name)
        if not _prefers_async(request):
            await self._turn(thread, user, message, request)
            return json_body(await self._thread_body(thread.id, request), 201)
        if await self._turn(thread, user, message, request, until_stored=True):
            return json_body(await self._thread_body(thread.id, request), 201)  # settled that fast anyway
        return web.json_response(ThreadAccepted(id=thread.id).model_dump(), status=202,
                                 headers={"Location": f"/api/v1/threads/{thread.id}", "Preference-Applied":
                                          "respond-async"})

    async def post_message(self, request: web.Request) -> web.Response:
        user = self.callers.identify(request)
        thread = await self._readable_thread(request.match_info["id"], user, to_write=True)
        message = await read_message(request, self.config)
        await self._turn(thread, user, message, request)
        return json_body(await self._thread_body(thread.id, request), 201)

    async def list_threads(self, request: web.Request) -> web.Response:
        user = self.callers.identify(request)
        limit = _query_limit(request, default=20, maximum=100)
        before = request.query.get("before") or None
        rows = await self.store.list_threads(platform=PLATFORM, channel=self.callers.owner_key(user),
                                             limit=limit, before=before, decided_by=user.key)
        page = ThreadPage(threads=[ThreadSummary.model_validate(row) for row in rows],
                          next_before=rows[-1]["updated_at"] if len(rows) == limit else None)
        return json_body(page)

    async def get_thread(self, request: web.Request) -> web.Response:
        user = self.callers.identify(request)
        thread = await self._readable_thread(request.match_info["id"], user)
        return json_body(await self._thread_body(thread.id, request))

    async def _readable_thread(self, thread_id: str, user: UserRef, *, to_write: bool = False) -> ThreadRef:
        """The thread, if the caller may read it (or, `to_write`, post in it: owners only)."""
        thread = await self.store.thread_ref(thread_id)  # a web thread keeps its owner in `channel`
        if thread is None or thread.platform != PLATFORM:
            raise ApiError(404, "no such thread")
        if to_write:
            allowed = self.callers.may_write(user, thread.channel)
        else:
            allowed = await self.callers.may_read(user, thread.channel, lambda: self.store.thread_plans(thread_id),
                                                  environment=lambda: self._opened_by_environment(thread))
        if not allowed:
            raise ApiError(404, "no such thread")
        return thread

    async def _opened_by_environment(self, thread: ThreadRef) -> bool:
        """A schedule's thread, or one an alert group opened (issue 21)."""
        return thread.channel == SCHEDULES_OWNER or await self.store.alert_of_thread(thread.id) is not None

    async def _thread_body(self, thread_id: str, request: web.Request | None = None) -> ThreadBody:
        """The thread as a client shows it: its newest `limit` messages (default 50) and their
        plans, or the page before the message `before` (the `next_before` of a previous body)."""
        limit = _query_limit(request, default=THREAD_PAGE, maximum=THREAD_PAGE_MAX) if request else THREAD_PAGE
        before = request.query.get("before") or None if request else None
        # the last event id and the view in one trip, after this process's pending events are written
        last_event_id, read = await self.events.view(thread_id, limit=limit, before=before, with_alert=True)
        if read.missing is not None:
            raise ApiError(400, "before must be the id of a message in this thread", "invalid")
        view = read.view
        if view is None:
            raise ApiError(404, "no such thread")
        for plan in view["plans"]:
            for step in plan["steps"]:
                step["output"] = output_text(step["result"])
        for message in view["messages"]:
            if message["role"] == "bot":
                message["next_steps"] = follow_ups(message["text"], self.hub.registry)
        alert = alert_body(view.pop("alert"))  # read with the view, in one trip
        body = ThreadBody.model_validate({**view, "last_event_id": last_event_id, "alert": alert})
        for plan in body.plans:
            plan.who_may_approve = self.hub.policy.who_may_approve(plan)
        return body

    async def _turn(self, thread: ThreadRef, user: UserRef, message: IncomingMessage, request: web.Request, *,
                    until_stored: bool = False) -> bool:
        """Hand the message to the hub; return once it planned or answered (or the turn ended):
        True. With `until_stored`, return as soon as the message is stored: False if the turn has
        not settled by then (it goes on, and its events tell the rest)."""
        keys = [secrets.token_urlsafe(12) for _ in message.files]
        attachments = []
        for key, upload in zip(keys, message.files, strict=True):
            self._uploads[key] = upload.data
            attachments.append(Attachment(name=upload.name, mime_type=upload.mime_type, size=len(upload.data),
                                          url=f"upload:{key}"))
        idempotency_key = request.headers.get("Idempotency-Key", "")[:200]
        event_id = f"{user.key}:{thread.id}:{idempotency_key}" if idempotency_key else secrets.token_hex(12)
        inbound = Inbound(event_id=event_id, thread=thread, user=user, text=message.text, attachments=attachments)
        settled: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def settle() -> None:  # the hub calls this once, at the latest when the turn ends
            if not settled.done():
                settled.set_result(None)

        turn = self._spawn(self._handle(inbound, keys, settle))
        if until_stored:
            await self._settled_or_stored(settled, thread.id)
        else:
            await settled
        if turn.done() and not turn.cancelled() and turn.exception() is not None:
            raise turn.exception()  # type: ignore[misc]
        return settled.done()

    async def _settled_or_stored(self, settled: asyncio.Future[None], thread_id: str) -> None:
        """Wait until the turn settles or its thread holds the message (then its view and events
        can be read): the store is asked every STORED_POLL seconds, never more than the turn lasts."""
        while not settled.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(settled), STORED_POLL)
                return
            with contextlib.suppress(StorageUnavailable):
                view = await self.store.thread_view(thread_id, limit=1)
                if view is not None and view["messages"]:
                    return

    async def _handle(self, inbound: Inbound, upload_keys: list[str], on_settled: Callable[[], None]) -> bool:
        try:
            return await self.hub.handle(inbound, on_settled=on_settled)
        finally:
            for key in upload_keys:
                self._uploads.pop(key, None)

    async def fetch(self, attachment: Attachment, max_bytes: int) -> bytes:
        """The hub's fetcher for web uploads: the bytes are already here, checked on arrival."""
        data = self._uploads.pop((attachment.url or "").removeprefix("upload:"), None)
        if data is None:
            raise PerceptionError("was no longer available")
        if len(data) > max_bytes:
            raise PerceptionError("is larger than the limit for a file")
        try:  # kept so the thread can show it again; perception goes on without it if the disk refuses
            await self.store.keep_file(data)
        except OSError as exc:
            log.warning("could not keep an upload: %s", exc)
        return data

    async def thread_file(self, request: web.Request) -> web.StreamResponse:
        """An attachment's bytes, to a caller who may read its thread, and only if a message of
        that thread has it: a hash from elsewhere says nothing about whether the file exists."""
        user = self.callers.identify(request)
        thread = await self._readable_thread(request.match_info["id"], user)
        digest = request.match_info["sha256"]
        view = await self.store.thread_view(thread.id)
        attachment = next((a for m in (view or {}).get("messages", []) for a in m["attachments"]
                           if a.get("sha256") == digest), None)
        attachment = attachment or next((f for plan in (view or {}).get("plans", []) for step in plan["steps"]
                                         for f in step.get("files", []) if f.get("sha256") == digest), None)
        path = self.store.file_path(digest) if attachment else None
        data = await self.store.read_file(digest) if attachment and path is None else None
        if attachment is None or (path is None and data is None):
            raise ApiError(404, "no such file in this thread")
        mime = str(attachment.get("mime_type") or "")
        if mime.split("/")[0] not in ("image", "audio", "video") or "svg" in mime:
            mime = "application/octet-stream"  # never a type the browser would run
        headers = {"Content-Type": mime, "Content-Disposition": "inline", "Cache-Control": "private, max-age=86400",
                   **SECURITY_HEADERS}
        if path is not None:  # on one machine: sent from the file
            return web.FileResponse(path, headers=headers)
        return web.Response(body=data, headers=headers)  # from the database, shared by every replica

    async def me(self, request: web.Request) -> web.Response:
        user = self.callers.identify(request)
        may_approve = self.hub.policy.is_local_operator(user) or bool(
            self.hub.policy.roles_of(user) & self.callers.approver_roles)
        return json_body(MeBody(user=user.name or user.id, approver=may_approve))

    def _spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        return self._track(asyncio.create_task(coroutine))

    def _track(self, task: asyncio.Task[Any]) -> asyncio.Task[Any]:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, timeout: float) -> None:
        """Let running turns and plans finish (or cancel them after `timeout`)."""
        await self.alerts.drain(timeout)
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # --- decisions -----------------------------------------------------------------------------------

    async def decide(self, request: web.Request) -> web.Response:
        user = self.callers.identify(request)
        plan_id = request.match_info["id"]
        body = await read_json(request, DecisionRequest, self.config.http.max_body, self.config.http.body_timeout)
        plan = await self.store.get_plan(plan_id)
        if plan is None:
            raise ApiError(404, "no such plan")
        approve = body.decision == "approve"
        if body.steps is not None:
            if not approve:
                raise ApiError(400, "steps go with approve: a denial is of the whole plan", "invalid")
            unknown = sorted(set(body.steps) - {step.id for step in plan.steps})
            if unknown:
                raise ApiError(400, f"not a step of this plan: {', '.join(unknown[:5])}", "invalid")
        verdict = self.hub.policy.may_decide(user, plan, approve=approve)
        event, run = await self.hub.begin_decision(Decision(plan_id=plan_id, approve=approve, user=user,
                                                            source="http", steps=body.steps))
        self._track(run)  # the approved steps run on after the answer
        if not event.accepted:
            if not verdict.allowed:
                raise ApiError(403, f"you may not {body.decision} this plan: {event.reason}")
            if event.reason == "no such plan":
                raise ApiError(404, "no such plan")
            raise ApiError(409, f"could not {body.decision} this plan: {event.reason}")
        view = await self.store.plan_view(plan_id)
        if view is None:
            raise ApiError(404, "no such plan")
        body = PlanBody.model_validate(view)
        body.who_may_approve = self.hub.policy.who_may_approve(body)
        return json_body(body)

    async def waiting_plans(self, request: web.Request) -> web.Response:
        """What the caller could approve now: the web chat's "Waiting for you" list, so that an
        approver reaches a plan without being sent a link."""
        user = self.callers.identify(request)
        waiting = []
        for plan in await self.store.pending_plans():
            if not plan.thread_id.startswith(f"{PLATFORM}:") or not plan.needs_approval:
                continue
            if not self.hub.policy.may_decide(user, plan, approve=True).allowed:
                continue
            risk = max((step.risk for step in plan.steps), key=lambda r: ("read", "write", "danger").index(r.value))
            waiting.append(WaitingPlan(id=plan.id, thread_id=plan.thread_id, goal=plan.goal,
                                       requester=plan.requester.label() if plan.requester else "", risk=risk,
                                       created_at=plan.created_at, expires_at=plan.expires_at))
        return json_body(WaitingPage(plans=waiting))

    # --- the event stream ---------------------------------------------------------------------------

    async def thread_events(self, request: web.Request) -> web.StreamResponse:
        user = self.callers.identify(request)
        thread = await self._readable_thread(request.match_info["id"], user)
        resume = request.headers.get("Last-Event-ID") or request.query.get("last_event_id") or "0"
        if not EVENT_ID.fullmatch(resume) or int(resume) > MAX_EVENT_ID:
            raise ApiError(400, "Last-Event-ID must be an event id from this stream", "invalid")
        sent = int(resume)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                               "X-Accel-Buffering": "no", **SECURITY_HEADERS})
        events = self.events.follow(thread.id, sent, keepalive=KEEPALIVE_SECONDS)
        try:
            await response.prepare(request)
            await response.write(b"retry: 2000\n\n")
            async for batch in events:
                if not batch:
                    await response.write(b": keep-alive\n\n")
                for event_id, data in batch:
                    await response.write((f"id: {event_id}\n" if event_id is not None else "").encode()
                                         + f"data: {data}\n\n".encode())
        except ConnectionResetError:
            pass  # the client went away
        finally:
            await events.aclose()
        return response

    # --- service endpoints -------------------------------------------------------------------------

    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(self.document())

    async def health(self, request: web.Request) -> web.Response:
        """Degraded (503) when the database cannot take a real write, when less than
        `storage.min_free_mb` is free where it lives, or when a configured adapter is down."""
        free = await asyncio.to_thread(self.store.free_bytes)
        needed = self.config.storage.min_free_mb * 1024 * 1024
        try:
            await self.store.check_writable()
            database = "writable"
        except StorageUnavailable as exc:
            database = f"not writable: {exc.message}"
        except Exception as exc:
            database = f"not writable: {type(exc).__name__}"
        if database == "writable" and free < needed:
            database = f"disk nearly full: {free / 1e6:.1f} MB free, {needed / 1e6:.0f} MB needed (storage.min_free_mb)"
        states = self.runtime.health.snapshot()
        adapter_states = {name: AdapterHealthBody(state=status.state.value, detail=status.detail)
                          for name, status in states.items()}
        ok = database == "writable" and not self.runtime.health.down()
        body = HealthBody(status="ok" if ok else "degraded", database=database, free_bytes=free,
                          models=self.loaded_models(), adapters=list(states) or self.adapters,
                          adapter_states=adapter_states,
                          version=__version__, mcp=self.runtime.mcp_states(),
                          model_states=self.runtime.model_states(), ready=self.runtime.warmup.is_ready,
                          extras_missing=self._extras_missing)
        return json_body(body, 200 if ok else 503)

    @functools.cached_property
    def _extras_missing(self) -> dict[str, str]:
        from chatops.bot.extras import install_command, missing_for

        return {missing.extra: install_command(missing.extra) for missing in missing_for(self.config)}

    def loaded_models(self) -> list[str]:
        models = []
        if self.runtime.embedded is not None:
            models.append(f"llm:{self.config.llm.model} ({self.runtime.embedded.path.name})")
        elif self.hub.planner is not None:
            models.append(f"llm:{self.config.llm.model}")
        if self.runtime.perceiver is not None:
            models += self.runtime.perceiver.loaded_models()
        return models

    async def metrics_text(self, request: web.Request) -> web.Response:
        response = web.Response(body=self.metrics.render())
        response.headers["Content-Type"] = self.metrics.content_type
        return response


def _prefers_async(request: web.Request) -> bool:
    """`Prefer: respond-async` (RFC 7240), among any other preferences in the header."""
    return any(part.split(";")[0].strip().lower() == "respond-async"
               for part in request.headers.get("Prefer", "").split(","))


def _query_limit(request: web.Request, *, default: int, maximum: int) -> int:
    """The `limit` query parameter, a whole number in 1..maximum."""
    try:
        limit = int(request.query.get("limit", str(default)))
    except ValueError:
        raise ApiError(400, "limit must be a whole number", "invalid") from None
    if not 1 <= limit <= maximum:
        raise ApiError(400, f"limit must be between 1 and {maximum}", "invalid")
    return limit
