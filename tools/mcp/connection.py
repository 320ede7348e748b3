"""One MCP server, kept connected: start and list with a deadline, call with a timeout, notice
that it died, restart it on next use with backoff, follow its tool-list changes, stop it cleanly.

The SDK's `mcp.Client` is an anyio context manager, which must be entered and left by the same
task; so each connection has one owner task that holds it open until `stop()`, and calls from
any other task go through the client it publishes. The stdio transport starts the server in a
new session (its own process group) and, when the owner leaves, closes its stdin, then
SIGTERMs and SIGKILLs the whole group: nothing the server started outlives the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import anyio
import httpx2
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.client.subscriptions import ListenNotSupportedError
from mcp.types import (
    CONNECTION_CLOSED,
    CallToolResult,
    Implementation,
    ServerNotification,
    Tool,
    ToolListChangedNotification,
)

from chatops.bot import __version__
from chatops.bot.config import MCPServerConfig
from chatops.tools.mcp.bounded_http import BoundedTransport, sse_event_limit
from chatops.tools.mcp.bounded_stdio import RESULT_TOO_LARGE, bounded_stdio_client

log = logging.getLogger("chatops.mcp")

ProgressReport = Callable[[str], Awaitable[None]]
FIRST_BACKOFF = 1.0  # seconds before the first restart attempt after a failure
MAX_BACKOFF = 60.0
FIRST_LISTEN_RETRY = 0.1  # seconds before a tool-change stream that ended is opened again
MAX_LISTEN_RETRY = 30.0
REFRESH_SETTLE = 0.05  # seconds an announced change waits, so a burst is listed once
MAX_LIST_PAGES = 50  # a paginator that never ends cannot hang a start
STDERR_TAIL = 3  # lines of the server's stderr quoted when it fails to start
CLIENT_INFO = Implementation(name="chatops", version=__version__)


class ServerState(StrEnum):
    stopped = "stopped"
    starting = "starting"
    ready = "ready"
    failed = "failed"


class MCPUnavailable(Exception):
    """The server cannot be reached now (not started, crashed, restarting later)."""


class MCPCallFailed(Exception):
    """A call did not produce a result: a timeout, the server died, or it refused the call."""


def _server_environment(config: MCPServerConfig, environ: dict[str, str] | None = None) -> dict[str, str]:
    """Literal `env` plus the secrets named in `env_from`; the SDK adds only PATH, HOME and the
    like, so the bot's own tokens never reach a server that was not given them."""
    environ = dict(os.environ) if environ is None else environ
    env = dict(config.env)
    for name, variable in config.env_from.items():
        if variable not in environ:
            raise MCPUnavailable(f"environment variable {variable} (for {name}) is not set")
        env[name] = environ[variable]
    return env


def _bearer_headers(config: MCPServerConfig) -> dict[str, str]:
    if not config.token_from:
        return {}
    token = os.environ.get(config.token_from)
    if not token:
        raise MCPUnavailable(f"environment variable {config.token_from} (the bearer token) is not set")
    return {"Authorization": f"Bearer {token}"}


def _short(exc: BaseException) -> str:
    """One line for a notice: exception groups (anyio's) are unwrapped to their first cause."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class MCPConnection:
    """A live link to one configured server (see the module docstring)."""

    def __init__(self, config: MCPServerConfig, *,
                 on_tools_changed: Callable[[MCPConnection], Awaitable[None]] | None = None) -> None:
        self.config = config
        self.state = ServerState.stopped
        self.error = ""
        self.tools: list[Tool] = []
        self.protocol_version = ""
        self.restarts = 0
        self._on_tools_changed = on_tools_changed
        self._client: Client | None = None
        self._owner: asyncio.Task[None] | None = None
        self._closing: asyncio.Event | None = None
        self._lock = asyncio.Lock()
        self._backoff = FIRST_BACKOFF
        self._retry_at = 0.0
        self._stderr: IO[str] | None = None
        self._refreshing: asyncio.Task[None] | None = None
        self._stale = False  # a tool-list change was announced and not listed yet
        self.refreshes = 0  # listings made for announcements
        self._http_status = 0  # the last HTTP error status of a url server, for a clearer failure

    @property
    def name(self) -> str:
        return self.config.name

    def describe(self) -> str:
        """The state as `/healthz` and `chatops check-config --connect` show it."""
        if self.state is ServerState.ready:
            return f"ready ({len(self.tools)} tools)"
        if self.state is ServerState.failed:
            return f"failed: {self.error}"
        if self.state is ServerState.starting and self.error:
            return f"restarting (last failure: {self.error})"
        return self.state.value

    # --- starting and stopping -----------------------------------------------------------------

    async def start(self) -> None:
        """Connect and list the tools within `start_timeout`; raises `MCPUnavailable` saying why."""
        async with self._lock:
            await self._start_locked()

    async def _start_locked(self) -> None:
        await self._stop_locked()
        self.state = ServerState.starting  # `error` stays until a start succeeds: /healthz says why
        self._http_status = 0
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # a start abandoned by its caller (a cancelled retry) must not leave an unread exception
        ready.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._closing = asyncio.Event()
        self._owner = asyncio.create_task(self._own(ready, self._closing), name=f"chatops-mcp-{self.name}")
        try:
            await asyncio.wait_for(asyncio.shield(ready), self.config.start_timeout)
        except TimeoutError:
            await self._fail_start(f"did not start and list its tools within {self.config.start_timeout:g} s")
        except MCPUnavailable as exc:
            await self._fail_start(str(exc))
        except Exception as exc:
            await self._fail_start(_short(exc))
        self.state, self.error = ServerState.ready, ""
        self._backoff, self._retry_at = FIRST_BACKOFF, 0.0
        log.info("MCP server %s ready with %d tools (%s)", self.name, len(self.tools), self.protocol_version)

    async def _fail_start(self, reason: str) -> None:
        detail = self._stderr_tail()
        if self._http_status in (401, 403):
            reason += f" (HTTP {self._http_status}: check the token in {self.config.token_from or 'token_from'})"
        elif self._http_status:
            reason += f" (HTTP {self._http_status})"
        await self._stop_locked()
        self.state, self.error = ServerState.failed, reason + (f" (stderr: {detail})" if detail else "")
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, MAX_BACKOFF)
        raise MCPUnavailable(self.error)

    async def stop(self) -> None:
        async with self._lock:
            await self._stop_locked()
            self.state = ServerState.stopped

    async def _stop_locked(self) -> None:
        owner, self._owner, self._client = self._owner, None, None
        if self._closing is not None:
            self._closing.set()
        if owner is not None and not owner.done():
            try:  # the transport's own shutdown is bounded (stdin close, SIGTERM, SIGKILL)
                await asyncio.wait_for(asyncio.shield(owner), 10)
            except Exception:  # a timeout, or the owner failed on its way out
                owner.cancel()
                with contextlib.suppress(BaseException):
                    await owner
        if self._refreshing is not None:
            self._refreshing.cancel()
            self._refreshing = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _stdio_parameters(self) -> StdioServerParameters:
        cwd = None
        if self.config.cwd is not None:
            cwd = Path.cwd() / self.config.cwd
            if not cwd.is_dir():
                raise MCPUnavailable(f"working directory {str(cwd)!r} does not exist")
        return StdioServerParameters(command=self.config.command or "", args=list(self.config.args),
                                     env=_server_environment(self.config), cwd=cwd)

    async def _own(self, ready: asyncio.Future[None], closing: asyncio.Event) -> None:
        """The owner task: opens the client, lists the tools, follows changes, and holds the
        connection until `closing` is set or the server goes away."""
        try:
            async with contextlib.AsyncExitStack() as stack:
                if self.config.url:
                    limit = self.config.max_result_bytes
                    http = await stack.enter_async_context(httpx2.AsyncClient(
                        # identity: the cap counts the bytes that will be held, not compressed ones
                        headers={**_bearer_headers(self.config), "Accept-Encoding": "identity"},
                        event_hooks={"response": [self._note_status]}, transport=BoundedTransport(limit),
                        timeout=httpx2.Timeout(30, read=max(300.0, self.config.timeout + 30))))
                    target: Any = streamable_http_client(self.config.url, http_client=http,
                                                         max_sse_event_size=sse_event_limit(limit))
                else:
                    params = self._stdio_parameters()
                    # the server's stderr goes to a file of ours: a chatty server cannot scribble
                    # over the terminal chat, and a failed start can quote its last words
                    self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115 (closed by stop)
                    target = bounded_stdio_client(params, errlog=self._stderr,
                                                  max_line=self.config.max_result_bytes)
                client = Client(target, cache=None, message_handler=self._on_message, client_info=CLIENT_INFO)
                await stack.enter_async_context(client)
                self.tools = await _list_all(client)
                self.protocol_version = client.protocol_version
                self._client = client
                ready.set_result(None)
                async with anyio.create_task_group() as group:
                    group.start_soon(self._listen, client)
                    await closing.wait()
                    group.cancel_scope.cancel()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else MCPUnavailable(_short(exc)))
            elif not isinstance(exc, asyncio.CancelledError):
                log.warning("MCP server %s: the connection ended: %s", self.name, _short(exc))
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            self._client = None

    async def _note_status(self, response: httpx2.Response) -> None:
        """The SDK reports any HTTP error as "Server returned an error response"; the status
        says more (a 401 is a token problem, not a server problem)."""
        if response.status_code >= 400:
            self._http_status = response.status_code

    async def _listen(self, client: Client) -> None:
        """Modern servers announce tool-list changes on a `subscriptions/listen` stream; older
        ones send `notifications/tools/list_changed`, which `_on_message` hears. A stream that
        ends (a flood of announcements can end it) is opened again, and the tools are listed
        again then, since changes made meanwhile were announced to nobody."""
        capability = client.server_capabilities.tools
        if capability is None or not capability.list_changed:
            return
        delay = FIRST_LISTEN_RETRY
        while True:
            opened = time.monotonic()
            try:
                async with client.listen(tools_list_changed=True) as subscription:
                    async for _event in subscription:
                        self._schedule_refresh()
                why = "ended"
            except ListenNotSupportedError:  # a legacy protocol: the notifications remain
                return
            except Exception as exc:
                why = f"dropped ({_short(exc)})"
            log.info("MCP server %s: the tool-change stream %s; listening again", self.name, why)
            self._schedule_refresh()
            if time.monotonic() - opened > MAX_LISTEN_RETRY:
                delay = FIRST_LISTEN_RETRY  # it lived a while: not a loop of failures
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_LISTEN_RETRY)

    async def _on_message(self, message: ServerNotification | Exception) -> None:
        if isinstance(message, ToolListChangedNotification):
            self._schedule_refresh()

    def _schedule_refresh(self) -> None:
        """Coalesce tool-list announcements: one refresher lists the tools again while any came
        in since it last listed, so a flood costs a few listings and the last announcement is
        never dropped (one arriving mid-listing is answered by the next pass)."""
        self._stale = True
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.get_running_loop().create_task(self._refresh_while_stale())

    async def _refresh_while_stale(self) -> None:
        while self._stale:
            await asyncio.sleep(REFRESH_SETTLE)  # let a burst of announcements land first
            self._stale = False
            self.refreshes += 1
            await self._refresh()

    async def _refresh(self) -> None:
        client = self._client
        if client is None:
            return
        try:
            self.tools = await asyncio.wait_for(_list_all(client), self.config.start_timeout)
        except Exception as exc:
            log.warning("MCP server %s: listing the changed tools failed: %s", self.name, _short(exc))
            return
        log.info("MCP server %s: tool list changed (%d tools)", self.name, len(self.tools))
        if self._on_tools_changed is not None:
            await self._on_tools_changed(self)

    async def refresh_now(self) -> None:
        """List the tools again (a reload); a server that died meanwhile is started anew."""
        client = self._client
        if client is not None:
            try:
                self.tools = await asyncio.wait_for(_list_all(client), self.config.start_timeout)
                return
            except Exception as exc:
                log.info("MCP server %s: listing failed (%s); restarting it", self.name, _short(exc))
        await self.start()

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.flush()
            self._stderr.seek(max(0, os.fstat(self._stderr.fileno()).st_size - 4096))
            lines = [line.strip() for line in self._stderr.read().splitlines() if line.strip()]
        except (OSError, ValueError):
            return ""
        return " | ".join(lines[-STDERR_TAIL:])[:500]

    def retry_in(self) -> float:
        """Seconds until the backoff allows the next start attempt."""
        return max(0.0, self._retry_at - time.monotonic())

    # --- calls -----------------------------------------------------------------------------------

    async def _ready_client(self) -> Client:
        """The live client, restarting a server that failed or died once its backoff has passed."""
        async with self._lock:
            if self.state is ServerState.ready and self._client is not None:
                return self._client
            if self.state is ServerState.failed and time.monotonic() < self._retry_at:
                wait = self._retry_at - time.monotonic()
                raise MCPUnavailable(f"the {self.name} server is unavailable ({self.error}); "
                                     f"next restart attempt in {wait:.0f} s")
            self.restarts += 1
            log.info("MCP server %s: restarting (attempt %d)", self.name, self.restarts)
            before = [tool.name for tool in self.tools]
            await self._start_locked()
            client = self._client
        if before != [tool.name for tool in self.tools] and self._on_tools_changed is not None:
            await self._on_tools_changed(self)
        assert client is not None
        return client

    async def _mark_dead(self, reason: str) -> None:
        """A server that was working and died is restarted at its next use; only restarts that
        fail wait out a growing backoff, so a crash loop cannot spin."""
        async with self._lock:
            await self._stop_locked()
            self.state, self.error = ServerState.failed, reason
            self._retry_at = 0.0

    async def call(self, tool: str, arguments: dict[str, Any], *, progress: ProgressReport | None = None,
                   timeout: float | None = None) -> CallToolResult:
        """One `tools/call` under the configured timeout; every failure is a short
        `MCPUnavailable` or `MCPCallFailed`, never a hang."""
        client = await self._ready_client()
        timeout = self.config.timeout if timeout is None else timeout

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            if progress is None:
                return
            share = f"{done:g}/{total:g}" if total else f"{done:g}"
            try:
                await progress(f"{message} ({share})" if message else share)
            except Exception:  # a chat hiccup must not abort the call
                log.warning("MCP progress report failed", exc_info=True)

        try:
            async with asyncio.timeout(timeout):  # no extra task per call, unlike wait_for
                return await client.call_tool(tool, arguments, progress_callback=on_progress)
        except TimeoutError:
            raise MCPCallFailed(f"{tool} did not answer within {timeout:g} s (the call was cancelled)") from None
        except MCPError as exc:
            if exc.code == RESULT_TOO_LARGE:
                raise MCPCallFailed(f"{tool}: {exc}") from None
            if exc.code == CONNECTION_CLOSED:
                await self._mark_dead("the server exited during a call")
                raise MCPCallFailed(f"the {self.name} server stopped during the call; "
                                    "it is restarted on next use") from None
            raise MCPCallFailed(_refusal(tool, exc)) from None
        except (OSError, httpx2.HTTPError, anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            await self._mark_dead(f"the connection failed: {_short(exc)}")
            raise MCPCallFailed(f"the {self.name} server could not be reached: {_short(exc)}; "
                                "it is reconnected on next use") from None


def _refusal(tool: str, exc: MCPError) -> str:
    """The server's error, with requests the bot never honours said plainly."""
    text = str(exc).strip() or f"error {exc.code}"
    lowered = text.lower()
    if "elicitation" in lowered:
        return (f"{tool} asked for input mid-call (elicitation), which chatops declines: put the value in the "
                f"step's arguments instead ({text})")
    if "sampling" in lowered:
        return f"{tool} asked chatops' model to write for it (sampling), which chatops declines ({text})"
    return f"{tool} was refused by the server: {text}"


async def _list_all(client: Client) -> list[Tool]:
    tools: list[Tool] = []
    cursor: str | None = None
    for _ in range(MAX_LIST_PAGES):
        page = await client.list_tools(cursor=cursor)
        tools += page.tools
        cursor = page.next_cursor
        if not cursor:
            break
    return tools
