"""The HTTP adapter: the `/api/v1` API, `/healthz`, `/metrics` and the web chat at `/`, on one
aiohttp server (`[http] listen`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from chatops.adapters.http.api import ThreadsApi
from chatops.adapters.http.auth import PLATFORM
from chatops.adapters.http.connections import ConnectionCounter, LimitedSite
from chatops.adapters.http.errors import errors_as_json
from chatops.adapters.http.events import ThreadEvents
from chatops.adapters.http.guard import browser_guard, security_headers
from chatops.adapters.http.metrics import BotMetrics
from chatops.bot.health import AdapterState
from chatops.bot.model import Outbound, ThreadRef
from chatops.bot.runtime import Runtime

log = logging.getLogger("chatops.http")

WEB_ROOT = Path(__file__).parent / "web"
DRAIN_SECONDS = 10.0


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


class HttpAdapter:
    name = "http"

    def __init__(self, runtime: Runtime, *, adapters: list[str] | None = None) -> None:
        self.runtime = runtime
        self.hub = runtime.hub
        self.events = ThreadEvents(store=runtime.store)
        self.metrics = BotMetrics()
        self.api = ThreadsApi(runtime, events=self.events, metrics=self.metrics, adapters=adapters)
        self.connections = ConnectionCounter(runtime.config.http.max_connections_per_client)
        self.app = self.build_app()
        self._runner: web.AppRunner | None = None
        self.runner_host, self.runner_port = "", 0
        self.url = ""

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=self.runtime.config.http.max_body,
                              middlewares=[security_headers, self._count_requests, errors_as_json,
                                           browser_guard(open_mode=self.api.callers.open)])
        for endpoint in self.api.endpoints():
            app.router.add_route(endpoint.method, endpoint.path, endpoint.handler)
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", WEB_ROOT)
        return app

    async def _index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(WEB_ROOT / "index.html", headers={"Cache-Control": "no-cache"})

    @web.middleware
    async def _count_requests(self, request: web.Request,
                              handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            route = request.match_info.route.resource.canonical if request.match_info.route.resource else "other"
            if route.startswith("/api/"):
                self.metrics.http_requests.labels(request.method, route, str(status)).inc()
            log.debug("%s %s %s %.1f ms", request.method, request.path, status, (time.perf_counter() - started) * 1e3)

    async def _publish(self, thread: ThreadRef, event: Outbound) -> None:
        if thread.platform == PLATFORM:
            self.events.publish(thread.id, event)

    async def start(self) -> None:
        self.hub.add_sink(self._publish)
        self.hub.add_sink(self.metrics.on_event)
        self.hub.add_observer(self.metrics.observe)
        self.hub.add_fetcher(PLATFORM, self.api.fetch)
        host, port = split_listen(self.runtime.config.http.listen)
        http = self.runtime.config.http
        # the keep-alive timer also runs from a connection's start: a client that has not sent a
        # complete request within header_timeout is disconnected (slow headers, idle sockets)
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=2.0,
                                     keepalive_timeout=http.header_timeout, lingering_time=2.0)
        await self._runner.setup()
        site = LimitedSite(self._runner, host, port, counter=self.connections)
        await site.start()
        self.runner_host, self.runner_port = self._runner.addresses[0][:2]
        self.runtime.health.report(self.name, AdapterState.up)
        shown = f"[{self.runner_host}]" if ":" in self.runner_host else self.runner_host
        self.url = f"http://{shown}:{self.runner_port}/"

    async def stop(self) -> None:
        self.runtime.health.report(self.name, AdapterState.stopped)
        await self.events.close()
        await self.api.drain(DRAIN_SECONDS)
        await self.events.flush()  # what the drained turns published
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.hub.remove_sink(self._publish)
        self.hub.remove_sink(self.metrics.on_event)
        self.hub.remove_observer(self.metrics.observe)
        self.hub.remove_fetcher(PLATFORM)

    def describe(self) -> str:
        tokens = "bearer tokens required" if self.runtime.config.http.tokens else "no tokens: local operator"
        return f"web chat at {self.url} (API {self.url}api/v1/openapi.json; {tokens})"
