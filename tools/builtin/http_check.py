"""`http_check`: is a URL up, how fast, where does it redirect, and when does its certificate expire.

Redirects are followed by hand (not by aiohttp) so every hop can be reported, and the peer
certificate is read from the very connection that carried the final response. Network trouble
(DNS, refused, timeout, TLS) is a result with `error`, never an exception: "it is down" is an
answer, not a failure of the tool.
"""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
import time
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Literal

import aiohttp
from pydantic import BaseModel, ConfigDict, Field
from yarl import URL

from chatops.tools.builtin._bounds import CheckSeconds, HttpStatusCode
from chatops.tools.context import ToolContext
from chatops.tools.registry import tool

MAX_REDIRECTS = 10
BODY_CAP = 64 * 1024  # enough to see a health page; never download a whole file
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "chatops-http-check/0.1"
TLS_WARN_DAYS = 14  # a certificate expiring this soon is a finding, not a pass
KEYWORDS = (
    "up", "down", "reachable", "status", "url", "website", "site", "health", "http", "https",
    "ssl", "tls", "certificate", "cert", "expiry", "expires", "redirect", "latency",
)  # fmt: skip


class Redirect(BaseModel):
    """One hop of a redirect chain: the status that redirected and the absolute target."""

    status: int
    location: str


class HttpCheckResult(BaseModel):
    """What one check found; `ok` is the answer to "is it up?"."""

    url: str
    final_url: str
    status: int | None = None
    ok: bool = False
    latency_ms: float = 0.0
    redirects: list[Redirect] = Field(default_factory=list)
    tls_expires_at: str | None = None
    tls_days_left: int | None = None
    error: str | None = None

    def summary(self) -> str:
        """In people's words: `example.org answers 200 in 41 ms; its certificate expires in 63 days`,
        `127.0.0.1:8099/health refuses connections`, `x.example does not answer (timed out after 5 s)`."""
        target = _shown(self.url)
        if self.status is None:
            return f"{target} {_unreachable(self.error)}"
        text = f"{target} answers {_status_text(self.status)} in {self.latency_ms:.0f} ms"
        if self.final_url != self.url:
            text += f" (after {len(self.redirects)} redirect{'s' if len(self.redirects) != 1 else ''}, " \
                    f"ending at {_shown(self.final_url)})"
        tls = _tls_text(self.tls_days_left)
        if tls:
            text += f"; {tls}"
        if self.error:
            text += f", but {self.error}"
        elif not self.ok:
            text += ", which is not OK"
        return text

    def problem(self) -> str | None:
        """Down, refused, an unexpected status, or a certificate expiring within `TLS_WARN_DAYS`."""
        if self.status is None or self.error or not self.ok:
            return self.summary()
        if self.tls_days_left is not None and self.tls_days_left <= TLS_WARN_DAYS:
            return self.summary()
        return None


def _status_text(status: int) -> str:
    """`200` for a success (nothing to explain), `503 Service Unavailable` otherwise."""
    if 200 <= status < 300:
        return str(status)
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _shown(url: str) -> str:
    """A URL as people say it: no scheme, no lone trailing slash (`https://example.org/` → `example.org`)."""
    text = url.split("://", 1)[-1]
    return text[:-1] if text.endswith("/") and text.count("/") == 1 else text


def _unreachable(error: str | None) -> str:
    """Why there is no response, as a predicate: `refuses connections`, `does not answer (…)`."""
    if not error:
        return "gave no response"
    lowered = error.lower()
    if "connection refused" in lowered:
        return "refuses connections"
    if "timed out" in lowered or "timeout" in lowered:
        return f"does not answer ({error})"
    return f"is unreachable: {error}"


def _tls_text(days_left: int | None) -> str:
    if days_left is None:
        return ""
    if days_left < 0:
        return f"its certificate EXPIRED {-days_left} day{'s' if days_left != -1 else ''} ago"
    if days_left == 0:
        return "its certificate expires within a day"
    return f"its certificate expires in {days_left} day{'s' if days_left != 1 else ''}"


class _CertRecordingConnector(aiohttp.TCPConnector):
    """Remembers the peer certificate of the last connection handed out.

    `ClientResponse.connection` cannot be relied on for this: aiohttp releases the connection
    back to the pool as soon as the body is complete, which for a HEAD or a small body happens
    before `request()` even returns. Every request (new or pooled connection) passes through
    `connect()`, and this session makes one request at a time, so "the last one" is exact."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.last_cert: dict[str, Any] | None = None
        self.last_cert_der: bytes | None = None

    async def connect(self, req: Any, *args: Any, **kwargs: Any) -> Any:
        connection = await super().connect(req, *args, **kwargs)
        transport = connection.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        if ssl_object is None:
            self.last_cert = self.last_cert_der = None
        else:
            self.last_cert = ssl_object.getpeercert()
            self.last_cert_der = ssl_object.getpeercert(binary_form=True)
        return connection


def _ssl_context(config: dict[str, Any]) -> ssl.SSLContext:
    """Default verification; `ca_file` replaces the system CAs (a private CA), and
    `verify_tls = false` turns checking off (the expiry is still reported).

    Built once per setting and reused: loading the system CA store costs ~20 ms of CPU on the
    event loop, most of an "is X up?" turn. The CA file's modification time is part of the key,
    so a replaced file is read again."""
    ca_file = config.get("ca_file") or None
    try:
        stamp = os.stat(ca_file).st_mtime_ns if ca_file else None
    except OSError:
        stamp = None  # reported by `_new_ssl_context` with the file's name
    return _new_ssl_context(ca_file, stamp, bool(config.get("verify_tls", True)))


@functools.lru_cache(maxsize=16)
def _new_ssl_context(ca_file: str | None, _stamp: int | None, verify: bool) -> ssl.SSLContext:
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"http_check: cannot load ca_file {ca_file!r}: {exc}") from exc
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def checked_url(url: str) -> URL:
    """An http:// or https:// URL with a host (`web_snapshot` opens pages by the same rule)."""
    parsed = URL(url.strip())
    if parsed.scheme not in ("http", "https"):
        hint = f"; did you mean https://{url.strip()}?" if not parsed.scheme or not parsed.host else ""
        raise ValueError(f"url must be an http:// or https:// URL, got {url!r}{hint}")
    if not parsed.host:
        raise ValueError(f"url has no host: {url!r}")
    return parsed


def _not_after(cert: dict[str, Any] | None, der: bytes | None) -> datetime | None:
    """The certificate's expiry. `getpeercert()` is empty when verification is off, so then
    the DER form is read instead."""
    if cert and cert.get("notAfter"):
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), UTC)
    if der:
        try:
            return _der_not_after(der)
        except (IndexError, ValueError):
            return None
    return None


def _der_not_after(der: bytes) -> datetime:
    """notAfter from a DER certificate, without a crypto dependency: Certificate → tbs →
    [version] serial sigAlg issuer validity(notBefore, notAfter)."""

    def element(data: bytes, pos: int) -> tuple[int, int, int]:
        tag, length, pos = data[pos], data[pos + 1], pos + 2
        if length & 0x80:
            count = length & 0x7F
            length, pos = int.from_bytes(data[pos : pos + count], "big"), pos + count
        return tag, pos, pos + length  # tag, content start, content end

    _, cert_start, _ = element(der, 0)
    _, pos, _ = element(der, cert_start)  # into tbsCertificate
    tag, _, end = element(der, pos)
    if tag == 0xA0:  # explicit version
        pos = end
    for _field in ("serial", "signature", "issuer"):
        _, _, pos = element(der, pos)
    _, validity, _ = element(der, pos)
    _, _, after_pos = element(der, validity)  # skip notBefore
    tag, start, end = element(der, after_pos)
    text = der[start:end].decode("ascii")
    if tag == 0x17:  # UTCTime YYMMDDHHMMSSZ
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    return datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=UTC)


def _describe_error(exc: BaseException, timeout: float) -> str:
    """A short, plain reason for a network failure (most specific class first)."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        cert_error = exc.certificate_error
        detail = getattr(cert_error, "verify_message", None) or getattr(cert_error, "reason", None)
        return f"TLS certificate error: {detail or cert_error}"
    if isinstance(exc, aiohttp.ClientConnectorSSLError | aiohttp.ClientSSLError | ssl.SSLError):
        return f"TLS error: {getattr(exc, 'reason', None) or exc}"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"DNS lookup failed for {exc.host}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, ConnectionRefusedError):
            return "connection refused"
        return f"cannot connect: {exc.os_error.strerror or exc.os_error}"
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server closed the connection without a response"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"invalid HTTP response: {exc.message}"
    return f"request failed: {exc}"


class HttpCheckOptions(BaseModel):
    """`[tools.http_check]`."""

    model_config = ConfigDict(extra="forbid")
    verify_tls: bool = True  # false: check anyway when the certificate does not verify (expiry still reported)
    ca_file: str | None = None  # a private CA bundle that replaces the system CAs


@tool(
    risk="read",
    timeout=30,
    options=HttpCheckOptions,
    keywords=KEYWORDS,
    examples=("is https://example.com up?", "when does the certificate of https://example.com expire?"),
)
async def http_check(
    ctx: ToolContext,
    url: str,
    method: Literal["GET", "HEAD"] = "GET",
    timeout: CheckSeconds = 10.0,
    expect_status: HttpStatusCode | None = None,
) -> HttpCheckResult:
    """Check whether a URL is up: HTTP status, response time, redirect chain and TLS certificate expiry.

    Follows up to 10 redirects. An unreachable site (DNS failure, refused, timeout, TLS
    error) is reported in `error`, not raised.

    Args:
        url: The full http:// or https:// URL to check.
        method: GET (default) or HEAD.
        timeout: Seconds to wait for the whole check, redirects included.
        expect_status: The status that counts as healthy; by default any 2xx or 3xx.
    """
    current = checked_url(url)
    result = HttpCheckResult(url=str(current), final_url=str(current))
    connector = _CertRecordingConnector(ssl=_ssl_context(ctx.config))
    started = time.perf_counter()
    try:
        async with (
            asyncio.timeout(timeout),
            aiohttp.ClientSession(connector=connector, headers={"User-Agent": USER_AGENT}) as session,
        ):
            while True:
                result.final_url = str(current)
                async with session.request(method, current, allow_redirects=False) as response:
                    result.latency_ms = (time.perf_counter() - started) * 1000
                    result.status = response.status
                    cert, der = connector.last_cert, connector.last_cert_der
                    location = response.headers.get("Location")
                    if response.status not in REDIRECT_STATUSES or not location:
                        # One capped read: a server that sends headers and then hangs is not
                        # healthy, but a large or streaming body must not be downloaded.
                        await response.content.read(BODY_CAP)
                        break
                if len(result.redirects) >= MAX_REDIRECTS:
                    result.error = f"too many redirects (more than {MAX_REDIRECTS})"
                    break
                try:
                    target = current.join(URL(location))
                except ValueError:
                    result.error = f"invalid redirect Location: {location!r}"
                    break
                result.redirects.append(Redirect(status=response.status, location=str(target)))
                if target.scheme not in ("http", "https"):
                    result.error = f"redirected to a non-HTTP URL: {target}"
                    break
                current = target
    except (aiohttp.ClientError, TimeoutError, ssl.SSLError, OSError) as exc:
        result.latency_ms = (time.perf_counter() - started) * 1000
        result.status = None  # a redirect hop answered, but the site as a whole did not
        result.error = _describe_error(exc, timeout)
        return result

    expires = _not_after(cert, der) if current.scheme == "https" else None
    if expires is not None:
        result.tls_expires_at = expires.isoformat()
        result.tls_days_left = int((expires - datetime.now(UTC)).total_seconds() // 86400)
    if result.error is None:
        status = result.status or 0
        result.ok = status == expect_status if expect_status is not None else 200 <= status < 400
        if expect_status is not None and not result.ok:
            result.error = f"expected status {expect_status}"
    return result
