"""Browser-facing protections for the HTTP adapter.

Without tokens, whoever reaches the server is the operator, and a browser reaches it on behalf of
any web page it shows. Two attacks follow, and both are refused here:
- DNS rebinding: a page on `evil.example` re-points its name to 127.0.0.1 and becomes "same
  origin" with the bot. Refused by accepting only loopback names in `Host` when there are no tokens.
- Cross-site requests: a form on any page can POST to 127.0.0.1 without asking first. Refused by
  requiring that a state-changing request's `Origin`, when the browser sends one, is this server.
With tokens, the token travels in a header no other page can set, so neither attack applies.
Every response also forbids framing (clickjacking) and content sniffing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from chatops.adapters.http.errors import ApiError

LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _hostname(host_header: str) -> str:
    return (urlsplit(f"//{host_header}").hostname or "").lower()


def browser_guard(open_mode: bool) -> Callable:
    @web.middleware
    async def guard(request: web.Request,
                    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        if open_mode:
            if _hostname(request.host) not in LOOPBACK_NAMES:
                raise ApiError(403, "this server answers only to a loopback address (127.0.0.1, localhost) "
                                    "while no [http] tokens are configured", "bad_host")
            origin = request.headers.get("Origin")  # "null" from sandboxed frames and some redirects
            if request.method not in SAFE_METHODS and origin is not None and \
                    (origin == "null" or urlsplit(origin).netloc.lower() != request.host.lower()):
                raise ApiError(403, "a request from another site's page was refused", "cross_site")
        return await handler(request)

    return guard


@web.middleware
async def security_headers(request: web.Request,
                           handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """The outermost middleware: error responses get the headers too. A streamed response
    (the event stream) has sent its headers already and is left as it is."""
    response = await handler(request)
    if not response.prepared:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response
