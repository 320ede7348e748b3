"""Every error leaves the API as `{"error": {"code", "message"}}` with the right status."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from chatops.bot.faults import NotServing, StorageUnavailable

log = logging.getLogger("chatops.http")

JSON = "application/json"

# status → the code clients get when a handler (or aiohttp itself) raises a bare HTTP error
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         408: "request_timeout", 409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid",
         500: "internal", 503: "unavailable", 507: "storage_full"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = json.dumps({"error": {"code": code, "message": message}})
    return web.Response(status=status, text=body, content_type=JSON, headers=headers)


@web.middleware
async def errors_as_json(request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.headers)
    except StorageUnavailable as exc:  # disk full (507) or read-only (503): nothing was stored
        log.warning("%s %s: %s", request.method, request.path, exc.message)
        return error_response(exc.status, exc.code, f"{exc.message}. Nothing was stored; try again later.",
                              {"Retry-After": "30"})
    except NotServing as exc:  # stopping while it started, or a start that failed: another try can succeed
        log.warning("%s %s: %s", request.method, request.path, exc.message)
        return error_response(exc.status, exc.code, f"{exc.message}. Nothing was done; try again.",
                              {"Retry-After": "5"})
    except UnicodeDecodeError:
        return error_response(400, "malformed_body", "the body is not valid UTF-8")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = exc.reason if exc.status != 413 else "the request body is larger than the server accepts"
        headers = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
        return error_response(exc.status, CODES.get(exc.status, "error"), message, headers)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal", "the server failed on this request; it has been logged")
