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
import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from adapters.http.auth import PLATFORM, Callers
from adapters.http.errors import JSON, ApiError
from adapters.http.events import ThreadEvents
from adapters.http.guard import SECURITY_HEADERS
from adapters.http.metrics import BotMetrics
from adapters.http.openapi import Endpoint, Param, build_document
from adapters.http.schemas import (
    AdapterHealthBody,
    DecisionRequest,
    HealthBody,
    MessageRequest,
    MultipartMessage,
    PlanBody,
    ThreadBody,
    ThreadPage,
    ThreadSummary,
)
from adapters.http.uploads import IncomingMessage, read_json, read_message
from bot import __version__
from bot.faults import StorageUnavailable
from bot.model import Attachment, Decision, Inbound, ThreadRef, UserRef
from bot.perception.types import PerceptionError
from bot.runtime import Runtime

log = logging.getLogger("chatops.http")

KEEPALIVE_SECONDS = 15.0
THREAD_ID = {"type": "string", "maxLength": 200}
EVENT_ID = re.compile(r"[0-9]{1,20}", re.ASCII)


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

    # --- the route table ----------------------------------------------------------------------------

    def endpoints(self) -> list[Endpoint]:
        storage_errors = (408, 503, 507)  # a slow body; a read-only or full database
        thread_errors = (400, 404, 413, 415, *storage_errors)
        return [
            Endpoint("POST", "/api/v1/threads", self.create_thread, "createThread",
                     "Start a thread: the bot perceives, plans and answers", body=MessageRequest,
                     multipart=MultipartMessage, form=MessageRequest, ok=(201, ThreadBody),
                     errors=(400, 413, 415, *storage_errors),
                     params=[Param("Idempotency-Key", {"type": "string", "maxLength": 200}, "header",
                                   "a retried request with the same key is one turn")]),
            Endpoint("GET", "/api/v1/threads", self.list_threads, "listThreads", "Your threads, newest first",
                     ok=(200, ThreadPage), errors=(400,),
                     params=[Param("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
                             Param("before", {"type": "string", "maxLength": 64},
                                   description="`next_before` of the previous page")]),
            Endpoint("GET", "/api/v1/threads/{id}", self.get_thread, "getThread",
                     "A thread: messages (with perceived text) and plans (with steps and results)",
                     ok=(200, ThreadBody), errors=(404,), params=[Param("id", THREAD_ID, "path")]),
            Endpoint("POST", "/api/v1/threads/{id}/messages", self.post_message, "postMessage",
                     "A follow-up message in a thread", body=MessageRequest, multipart=MultipartMessage,
                     form=MessageRequest,
                     ok=(201, ThreadBody), errors=thread_errors,
                     params=[Param("id", THREAD_ID, "path"),
                             Param("Idempotency-Key", {"type": "string", "maxLength": 200}, "header")]),
            Endpoint("GET", "/api/v1/threads/{id}/events", self.thread_events, "threadEvents",
                     "Server-Sent Events: every event of the thread as it happens, in the shape "
                     "`chatops chat --json` prints; resume with Last-Event-ID",
                     ok=(200, "text/event-stream"), errors=(400, 404),
                     params=[Param("id", THREAD_ID, "path"),
                             Param("Last-Event-ID", {"type": "string", "pattern": "^[0-9]{1,20}$"}, "header"),
                             Param("last_event_id", {"type": "string", "pattern": "^[0-9]{1,20}$"},
                                   description="the same, for clients that cannot set headers")]),
            Endpoint("POST", "/api/v1/plans/{id}/decision", self.decide, "decidePlan",
                     "Approve or deny a plan's steps that change something", body=DecisionRequest,
                     ok=(200, PlanBody), errors=(400, 403, 404, 409, 413, 415, *storage_errors),
                     params=[Param("id", THREAD_ID, "path")]),
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
        await self._turn(thread, user, message, request)
        return json_body(await self._thread_body(thread.id), 201)

    async def post_message(self, request: web.Request) -> web.Response:
        user = self.callers.identify(request)
        thread = await self._readable_thread(request.match_info["id"], user, to_write=True)
        message = await read_message(request, self.config)
        await self._turn(thread, user, message, request)
        return json_body(await self._thread_body(thread.id), 201)

    async def list_threads(self, request: web.Request) -> web.Response:
        user = self.callers.identify(request)
        try:
            limit = int(request.query.get("limit", "20"))
        except ValueError:
            raise ApiError(400, "limit must be a whole number", "invalid") from None
        if not 1 <= limit <= 100:
            raise ApiError(400, "limit must be between 1 and 100", "invalid")
        before = request.query.get("before") or None
        rows = await self.store.list_threads(platform=PLATFORM, channel=self.callers.owner_key(user),
                                             limit=limit, before=before)
        page = ThreadPage(threads=[ThreadSummary.model_validate(row) for row in rows],
                          next_before=rows[-1]["updated_at"] if len(rows) == limit else None)
        return json_body(page)

    async def get_thread(self, request: web.Request) -> web.Response:
        user = self.callers.identify(request)
        thread = await self._readable_thread(request.match_info["id"], user)
        return json_body(await self._thread_body(thread.id))

    async def _readable_thread(self, thread_id: str, user: UserRef, *, to_write: bool = False) -> ThreadRef:
        """The thread, if the caller may read it (or, `to_write`, post in it: owners only)."""
        thread = await self.store.thread_ref(thread_id)  # a web thread keeps its owner in `channel`
        if thread is None or thread.platform != PLATFORM:
            raise ApiError(404, "no such thread")
        if to_write:
            allowed = self.callers.may_write(user, thread.channel)
        else:
            allowed = await self.callers.may_read(user, thread.channel, lambda: self.store.thread_plans(thread_id))
        if not allowed:
            raise ApiError(404, "no such thread")
        return thread

    async def _thread_body(self, thread_id: str) -> ThreadBody:
        last_event_id = self.events.last_id(thread_id)  # before the read: nothing can fall in between
        view = await self.store.thread_view(thread_id)
        if view is None:
            raise ApiError(404, "no such thread")
        return ThreadBody.model_validate({**view, "last_event_id": last_event_id})

    async def _turn(self, thread: ThreadRef, user: UserRef, message: IncomingMessage, request: web.Request) -> None:
        """Hand the message to the hub; return once it planned or answered (or the turn ended)."""
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
        await settled
        if turn.done() and not turn.cancelled() and turn.exception() is not None:
            raise turn.exception()  # type: ignore[misc]

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
        return data

    def _spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        return self._track(asyncio.create_task(coroutine))

    def _track(self, task: asyncio.Task[Any]) -> asyncio.Task[Any]:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, timeout: float) -> None:
        """Let running turns and plans finish (or cancel them after `timeout`)."""
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
        verdict = self.hub.policy.may_decide(user, plan, approve=approve)
        event, run = await self.hub.begin_decision(Decision(plan_id=plan_id, approve=approve, user=user,
                                                            source="http"))
        self._track(run)  # the approved steps run on after the answer
        if not event.accepted:
            if not verdict.allowed:
                raise ApiError(403, f"you may not {body.decision} this plan: {event.reason}")
            if event.reason == "no such plan":
                raise ApiError(404, "no such plan")
            raise ApiError(409, f"not {body.decision}d: {event.reason}")
        view = await self._thread_body(plan.thread_id)
        return json_body(next(p for p in view.plans if p.id == plan_id))

    # --- the event stream ---------------------------------------------------------------------------

    async def thread_events(self, request: web.Request) -> web.StreamResponse:
        user = self.callers.identify(request)
        thread = await self._readable_thread(request.match_info["id"], user)
        resume = request.headers.get("Last-Event-ID") or request.query.get("last_event_id") or "0"
        if not EVENT_ID.fullmatch(resume):
            raise ApiError(400, "Last-Event-ID must be an event id from this stream", "invalid")
        sent = int(resume)
        queue = self.events.subscribe(thread.id)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                               "X-Accel-Buffering": "no", **SECURITY_HEADERS})
        try:
            await response.prepare(request)
            await response.write(b"retry: 2000\n\n")
            for event_id, data in self.events.since(thread.id, sent):
                await response.write(f"id: {event_id}\ndata: {data}\n\n".encode())
                sent = event_id
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if item is None:
                    break  # the server is stopping
                event_id, data = item
                if event_id > sent:
                    await response.write(f"id: {event_id}\ndata: {data}\n\n".encode())
                    sent = event_id
        except ConnectionResetError:
            pass  # the client went away
        finally:
            self.events.unsubscribe(thread.id, queue)
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
                          version=__version__)
        return json_body(body, 200 if ok else 503)

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
