"""`GET /api/v1/threads/{id}/report`: the thread's incident report, Markdown (`text/markdown`) or,
with `?format=html`, a self-contained page (served as a download: it is never run as the app)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from chatops.adapters.http.auth import Callers
from chatops.adapters.http.errors import ApiError
from chatops.adapters.http.guard import SECURITY_HEADERS
from chatops.adapters.http.openapi import Endpoint, Param
from chatops.adapters.messages import output_text
from chatops.bot.incident_report import thread_report, to_html, to_markdown
from chatops.bot.model import ThreadRef, UserRef

THREAD_ID = {"type": "string", "maxLength": 200}
Readable = Callable[[str, UserRef], Awaitable[ThreadRef]]


class ReportsApi:
    def __init__(self, store: Any, *, callers: Callers, readable: Readable, redact: Callable[[str], str]) -> None:
        self.store = store
        self.callers = callers
        self.readable = readable
        self.redact = redact

    def endpoints(self) -> list[Endpoint]:
        return [Endpoint("GET", "/api/v1/threads/{id}/report", self.report, "threadReport",
                         "The thread's incident report: its timeline in UTC after a summary (time to acknowledge, "
                         "to first action, to resolve)", ok=(200, "text/markdown"), errors=(400, 404),
                         params=[Param("id", THREAD_ID, "path"),
                                 Param("format", {"type": "string", "enum": ["md", "html"], "default": "md"})])]

    async def report(self, request: web.Request) -> web.Response:
        user = self.callers.identify(request)
        thread = await self.readable(request.match_info["id"], user)
        kind = request.query.get("format", "md")
        if kind not in ("md", "html"):
            raise ApiError(400, "format is md or html", "invalid")
        found = await thread_report(self.store, thread.id, output_text=output_text)
        if found is None:
            raise ApiError(404, "no such thread")
        if kind == "md":
            return web.Response(text=self.redact(to_markdown(found)), content_type="text/markdown",
                                headers=SECURITY_HEADERS)
        name = "incident-report.html"
        return web.Response(text=self.redact(to_html(found)), content_type="text/html",
                            headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})
