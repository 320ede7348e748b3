"""The built-in read-only tools against real servers on 127.0.0.1: an aiohttp HTTP and HTTPS
(trustme) server, a tiny UDP DNS server, and a port known to be closed. Every tool is called
the way the bot calls it: `spec.validate(args)` then `spec.run(ctx, args)`."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
import trustme
from aiohttp import web
from cryptography import x509

from chatops.bot.model import Risk, ThreadRef, UserRef
from chatops.tools.builtin import BUILTIN_TOOLS, current_time, dns_lookup, http_check, tcp_check
from chatops.tools.builtin.dns_lookup import parse_nameserver
from chatops.tools.context import ToolContext
from chatops.tools.registry import ToolArgumentError, ToolRegistry, render_result, spec_of
from tests.fakes.dns_server import FakeDnsServer, start_dns_server

# Servers are started once per module on the session loop, so the tests must run there too.
session_loop = pytest.mark.asyncio(loop_scope="session")

CERT_DAYS = 45
HTTPS_BASE = web.AppKey("https_base", list)


def make_ctx(**config: Any) -> ToolContext:
    return ToolContext(
        requester=UserRef(platform="console", id="t"),
        thread=ThreadRef(platform="console", thread="t"),
        config=config,
    )


async def call(fn: Any, args: dict[str, Any], **config: Any) -> Any:
    """Validate and run a tool exactly as the executor does."""
    spec = spec_of(fn)
    return await spec.run(make_ctx(**config), spec.validate(args))


# --- servers ---------------------------------------------------------------------------------


async def _endless(request: web.Request) -> web.StreamResponse:
    """A body that never ends: a check that downloaded it would never finish."""
    response = web.StreamResponse()
    await response.prepare(request)
    chunk = b"x" * 65536
    try:
        while True:
            await response.write(chunk)
    except (ConnectionError, RuntimeError):
        pass
    return response


def _app() -> web.Application:
    async def health(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def boom(_request: web.Request) -> web.Response:
        return web.Response(status=500, text="broken")

    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.Response(text="late")

    def redirect(status: int, location: str) -> Any:
        async def handler(_request: web.Request) -> web.Response:
            return web.Response(status=status, headers={"Location": location})

        return handler

    async def to_https(request: web.Request) -> web.Response:
        return web.Response(status=301, headers={"Location": f"{request.app[HTTPS_BASE][0]}/health"})

    app = web.Application()
    app[HTTPS_BASE] = [""]  # filled in once the HTTPS site has its port
    app.router.add_get("/health", health)
    app.router.add_get("/boom", boom)
    app.router.add_get("/slow", slow)
    app.router.add_get("/endless", _endless)
    app.router.add_get("/old", redirect(301, "/mid"))
    app.router.add_get("/mid", redirect(302, "/health"))
    app.router.add_get("/loop", redirect(302, "/loop"))
    app.router.add_get("/ftp", redirect(302, "ftp://files.example/"))
    app.router.add_get("/secure", to_https)
    return app


@dataclass(frozen=True)
class Servers:
    """Base URLs of the running servers, the CA file and the certificate's real expiry."""

    http: str
    https: str
    ca_file: str
    cert_not_after: datetime
    closed_port: int


def _closed_port() -> int:
    """A port nothing listens on: bound once to learn a free number, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def servers(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Servers]:
    ca = trustme.CA()
    not_after = datetime.now(UTC) + timedelta(days=CERT_DAYS, hours=6)
    cert = ca.issue_cert("127.0.0.1", "localhost", not_after=not_after)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))

    app = _app()
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    plain_sock, secure_sock = _listening_socket(), _listening_socket()
    await web.SockSite(runner, plain_sock).start()
    await web.SockSite(runner, secure_sock, ssl_context=server_ctx).start()

    found = Servers(
        http=f"http://127.0.0.1:{plain_sock.getsockname()[1]}",
        https=f"https://127.0.0.1:{secure_sock.getsockname()[1]}",
        ca_file=str(ca_file),
        cert_not_after=x509.load_pem_x509_certificate(cert.cert_chain_pems[0].bytes()).not_valid_after_utc,
        closed_port=_closed_port(),
    )
    app[HTTPS_BASE][0] = found.https
    yield found
    await runner.cleanup()


DNS_RECORDS = {
    ("example.test", "A"): (300, ["192.0.2.10", "192.0.2.11"]),
    ("example.test", "AAAA"): (300, ["2001:db8::10"]),
    ("example.test", "MX"): (3600, ["10 mail.example.test.", "20 backup.example.test."]),
    ("example.test", "TXT"): (60, ['"v=spf1 -all"']),
    ("example.test", "NS"): (86400, ["ns1.example.test."]),
    ("www.example.test", "CNAME"): (120, ["example.test."]),
}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def dns_server() -> AsyncIterator[FakeDnsServer]:
    server = await start_dns_server(DNS_RECORDS, silent={"slow.example.test"}, servfail={"broken.example.test"})
    yield server
    server.close()


# --- registry view of the built-ins -------------------------------------------------------


def test_builtin_tools_are_read_only_described_and_registrable() -> None:
    specs = [spec_of(fn) for fn in BUILTIN_TOOLS]
    assert [spec.name for spec in specs] == ["http_check", "dns_lookup", "tcp_check", "current_time"]
    registry = ToolRegistry(BUILTIN_TOOLS)
    assert len(registry) == 4
    for spec in specs:
        assert spec.risk is Risk.read
        assert spec.keywords, spec.name
        assert spec.summary and not spec.summary.startswith("Args"), spec.name
        assert "Args:" not in spec.description  # the Args section went into the schema
        assert spec.timeout <= 30
    assert spec_of(http_check).summary.startswith("Check whether a URL is up")
    assert {"up", "down", "tls", "certificate"} <= set(spec_of(http_check).keywords)


def test_schemas_are_derived_from_signatures() -> None:
    http = spec_of(http_check).parameters_schema
    assert http["required"] == ["url"]
    assert http["properties"]["method"]["enum"] == ["GET", "HEAD"]
    assert http["properties"]["url"]["description"].startswith("The full http")
    assert http["properties"]["timeout"]["maximum"] == 30

    dns = spec_of(dns_lookup).parameters_schema
    assert dns["required"] == ["name"]
    assert dns["properties"]["record_type"]["enum"] == ["A", "AAAA", "CNAME", "MX", "TXT", "NS"]
    assert dns["properties"]["record_type"]["default"] == "A"

    tcp = spec_of(tcp_check).parameters_schema
    assert tcp["required"] == ["host", "port"]
    assert (tcp["properties"]["port"]["minimum"], tcp["properties"]["port"]["maximum"]) == (1, 65535)

    clock = spec_of(current_time).parameters_schema
    assert "required" not in clock or clock["required"] == []
    assert clock["properties"]["timezone"]["default"] == "UTC"


@pytest.mark.parametrize(
    ("fn", "args", "field"),
    [
        (tcp_check, {"host": "127.0.0.1", "port": 70000}, "port"),
        (tcp_check, {"host": "127.0.0.1", "port": 0}, "port"),
        (tcp_check, {"host": "127.0.0.1"}, "port"),
        (tcp_check, {"host": "127.0.0.1", "port": 80, "timeout": 0}, "timeout"),
        (http_check, {"url": "http://x", "method": "POST"}, "method"),
        (http_check, {"url": "http://x", "expect_status": 42}, "expect_status"),
        (http_check, {"url": "http://x", "timeout": 600}, "timeout"),
        (http_check, {}, "url"),
        (http_check, {"url": "http://x", "verify": False}, "verify"),
        (dns_lookup, {"name": "example.test", "record_type": "SRV"}, "record_type"),
    ],
)
def test_validate_rejects_bad_arguments(fn: Any, args: dict[str, Any], field: str) -> None:
    with pytest.raises(ToolArgumentError) as caught:
        spec_of(fn).validate(args)
    assert str(caught.value).startswith(f"{field}:")


def test_validate_fills_defaults() -> None:
    assert spec_of(tcp_check).validate({"host": "h", "port": "443"}) == {"host": "h", "port": 443, "timeout": 5.0}
    assert spec_of(http_check).validate({"url": "https://x"}) == {
        "url": "https://x",
        "method": "GET",
        "timeout": 10.0,
        "expect_status": None,
    }


# --- http_check -----------------------------------------------------------------------------


@session_loop
async def test_http_check_healthy(servers: Servers) -> None:
    result = await call(http_check, {"url": f"{servers.http}/health"})
    assert (result.status, result.ok, result.error) == (200, True, None)
    assert result.final_url == result.url == f"{servers.http}/health"
    assert result.redirects == []
    assert result.tls_days_left is None and result.tls_expires_at is None
    assert 0 < result.latency_ms < 5000
    assert result.summary() == f"{servers.http.split('://')[1]}/health answers 200 in {result.latency_ms:.0f} ms"
    data, text = render_result(result)
    assert data["status"] == 200 and text == result.summary()


@session_loop
async def test_http_check_follows_and_reports_redirects(servers: Servers) -> None:
    result = await call(http_check, {"url": f"{servers.http}/old"})
    assert result.ok and result.status == 200
    assert result.final_url == f"{servers.http}/health"
    assert [(hop.status, hop.location) for hop in result.redirects] == [
        (301, f"{servers.http}/mid"),
        (302, f"{servers.http}/health"),
    ]
    assert result.summary().endswith(f"(after 2 redirects, ending at {servers.http.split('://')[1]}/health)")


@session_loop
async def test_http_check_server_error_is_not_ok(servers: Servers) -> None:
    result = await call(http_check, {"url": f"{servers.http}/boom"})
    assert (result.status, result.ok, result.error) == (500, False, None)
    assert " answers 500 Internal Server Error in " in result.summary()
    assert result.summary().endswith("which is not OK")


@session_loop
async def test_http_check_expect_status(servers: Servers) -> None:
    wanted = await call(http_check, {"url": f"{servers.http}/boom", "expect_status": 500})
    assert wanted.ok and wanted.error is None
    unwanted = await call(http_check, {"url": f"{servers.http}/health", "expect_status": 204})
    assert not unwanted.ok and unwanted.status == 200
    assert unwanted.error == "expected status 204"


@session_loop
async def test_http_check_head(servers: Servers) -> None:
    result = await call(http_check, {"url": f"{servers.http}/health", "method": "HEAD"})
    assert result.status == 200 and result.ok


@session_loop
async def test_http_check_too_many_redirects(servers: Servers) -> None:
    result = await call(http_check, {"url": f"{servers.http}/loop"})
    assert not result.ok and result.status == 302
    assert len(result.redirects) == 10
    assert result.error == "too many redirects (more than 10)"


@session_loop
async def test_http_check_refuses_to_follow_non_http_redirect(servers: Servers) -> None:
    result = await call(http_check, {"url": f"{servers.http}/ftp"})
    assert not result.ok
    assert result.redirects[-1].location == "ftp://files.example/"
    assert result.error == "redirected to a non-HTTP URL: ftp://files.example/"


@session_loop
async def test_http_check_connection_refused(servers: Servers) -> None:
    url = f"http://127.0.0.1:{servers.closed_port}/"
    result = await call(http_check, {"url": url})
    assert (result.status, result.ok, result.error) == (None, False, "connection refused")
    assert result.summary() == f"127.0.0.1:{servers.closed_port} refuses connections"


@session_loop
async def test_http_check_timeout(servers: Servers) -> None:
    started = time.perf_counter()
    result = await call(http_check, {"url": f"{servers.http}/slow", "timeout": 0.3})
    assert time.perf_counter() - started < 2
    assert (result.status, result.ok) == (None, False)
    assert result.error == "timed out after 0.3 s"
    assert result.summary().endswith("/slow does not answer (timed out after 0.3 s)")


@session_loop
async def test_http_check_reads_only_a_capped_body(servers: Servers) -> None:
    started = time.perf_counter()
    result = await call(http_check, {"url": f"{servers.http}/endless", "timeout": 5})
    assert time.perf_counter() - started < 3
    assert result.status == 200 and result.ok and result.error is None


@pytest.mark.parametrize("url", ["ftp://example.com/", "example.com", "file:///etc/passwd", "http://"])
@session_loop
async def test_http_check_rejects_non_http_urls(url: str) -> None:
    with pytest.raises(ValueError, match="url"):
        await call(http_check, {"url": url})


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@session_loop
async def test_https_reports_certificate_expiry(servers: Servers, method: str) -> None:
    result = await call(http_check, {"url": f"{servers.https}/health", "method": method}, ca_file=servers.ca_file)
    assert result.ok and result.status == 200 and result.error is None
    assert datetime.fromisoformat(result.tls_expires_at) == servers.cert_not_after
    assert result.tls_days_left == CERT_DAYS
    assert result.summary().endswith(f"; its certificate expires in {CERT_DAYS} days")


@session_loop
async def test_https_untrusted_certificate_is_a_tls_error(servers: Servers) -> None:
    result = await call(http_check, {"url": f"{servers.https}/health"})  # system CAs only
    assert result.status is None and not result.ok
    assert result.error is not None and result.error.startswith("TLS certificate error: ")
    assert "certificate" in result.error.removeprefix("TLS certificate error: ")
    assert "/health is unreachable: TLS certificate error" in result.summary()


@session_loop
async def test_https_without_verification_still_reads_expiry(servers: Servers) -> None:
    result = await call(http_check, {"url": f"{servers.https}/health"}, verify_tls=False)
    assert result.ok and result.status == 200
    assert datetime.fromisoformat(result.tls_expires_at) == servers.cert_not_after
    assert result.tls_days_left == CERT_DAYS


@session_loop
async def test_redirect_to_https_reports_final_certificate(servers: Servers) -> None:
    result = await call(http_check, {"url": f"{servers.http}/secure"}, ca_file=servers.ca_file)
    assert result.ok and result.final_url == f"{servers.https}/health"
    assert [hop.status for hop in result.redirects] == [301]
    assert result.tls_days_left == CERT_DAYS
    summary = result.summary()
    assert f"(after 1 redirect, ending at {servers.https.split('://')[1]}/health)" in summary
    assert summary.endswith(f"; its certificate expires in {CERT_DAYS} days")


@session_loop
async def test_missing_ca_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ca_file"):
        await call(http_check, {"url": "https://127.0.0.1:1/"}, ca_file=str(tmp_path / "missing.pem"))


# --- dns_lookup -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "record_type", "answers", "ttl"),
    [
        ("example.test", "A", ["192.0.2.10", "192.0.2.11"], 300),
        ("example.test", "AAAA", ["2001:db8::10"], 300),
        ("example.test", "MX", ["10 mail.example.test", "20 backup.example.test"], 3600),
        ("example.test", "TXT", ["v=spf1 -all"], 60),
        ("example.test", "NS", ["ns1.example.test"], 86400),
        ("www.example.test", "CNAME", ["example.test"], 120),
        ("www.example.test", "A", ["192.0.2.10", "192.0.2.11"], 300),  # through the CNAME
        ("Example.TEST.", "A", ["192.0.2.10", "192.0.2.11"], 300),
    ],
)
@session_loop
async def test_dns_lookup_answers(
    dns_server: FakeDnsServer, name: str, record_type: str, answers: list[str], ttl: int
) -> None:
    result = await call(dns_lookup, {"name": name, "record_type": record_type}, nameservers=[dns_server.address])
    assert result.error is None
    assert sorted(result.answers) == answers
    assert result.ttl == ttl
    assert (name.lower().rstrip("."), record_type) in dns_server.queries  # asked our server
    assert result.summary().startswith(f"{name.rstrip('.')} ") and f"({record_type}, TTL {ttl})" in result.summary()


@session_loop
async def test_dns_lookup_summary(dns_server: FakeDnsServer) -> None:
    result = await call(dns_lookup, {"name": "example.test", "record_type": "NS"}, nameservers=[dns_server.address])
    assert result.summary() == "example.test is served by the nameservers ns1.example.test (NS, TTL 86400)"


@pytest.mark.parametrize(
    ("name", "record_type", "error"),
    [
        ("nope.example.test", "A", "no such domain (NXDOMAIN)"),
        ("example.test", "CNAME", "the name exists but has no CNAME record"),
        ("slow.example.test", "A", "timed out after 0.3 s"),
    ],
)
@session_loop
async def test_dns_lookup_failures_are_results(
    dns_server: FakeDnsServer, name: str, record_type: str, error: str
) -> None:
    result = await call(
        dns_lookup,
        {"name": name, "record_type": record_type},
        nameservers=[dns_server.address],
        timeout=0.3,
    )
    assert result.answers == [] and result.ttl is None
    assert result.error == error
    said = f"{name} does not exist (NXDOMAIN)" if "NXDOMAIN" in error else f"{name} ({record_type}): {error}"
    assert result.summary() == said


@session_loop
async def test_dns_lookup_servfail(dns_server: FakeDnsServer) -> None:
    result = await call(dns_lookup, {"name": "broken.example.test"}, nameservers=[dns_server.address], timeout=1)
    assert result.answers == []
    assert result.error is not None and result.error.startswith("no nameserver could answer")
    assert "SERVFAIL" in result.error


@session_loop
async def test_dns_lookup_rejects_malformed_names(dns_server: FakeDnsServer) -> None:
    for bad in ("", "a..b", "x" * 64 + ".test"):
        with pytest.raises(ValueError, match="domain name"):
            await call(dns_lookup, {"name": bad}, nameservers=[dns_server.address])


def test_parse_nameserver() -> None:
    assert (parse_nameserver("192.0.2.1").address, parse_nameserver("192.0.2.1").port) == ("192.0.2.1", 53)
    ns = parse_nameserver("127.0.0.1:5353")
    assert (ns.address, ns.port) == ("127.0.0.1", 5353)
    assert (parse_nameserver("::1").address, parse_nameserver("::1").port) == ("::1", 53)
    ns = parse_nameserver("[::1]:5353")
    assert (ns.address, ns.port) == ("::1", 5353)


# --- tcp_check ------------------------------------------------------------------------------


@session_loop
async def test_tcp_check_open_port(servers: Servers) -> None:
    port = int(servers.http.rsplit(":", 1)[1])
    result = await call(tcp_check, {"host": "127.0.0.1", "port": port})
    assert result.open and result.error is None
    assert result.latency_ms is not None and 0 <= result.latency_ms < 5000
    assert result.summary().startswith(f"127.0.0.1:{port} accepts connections (")


@session_loop
async def test_tcp_check_closed_port(servers: Servers) -> None:
    result = await call(tcp_check, {"host": "127.0.0.1", "port": servers.closed_port})
    assert not result.open
    assert result.error == "connection refused"
    assert result.summary() == f"127.0.0.1:{servers.closed_port} refuses connections"


@pytest.fixture
def full_backlog_port() -> Iterator[int]:
    """A listener that never accepts, its backlog filled: Linux then drops further SYNs, so a
    connection attempt hangs until the client gives up — a timeout without leaving 127.0.0.1."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.05)
    yield port
    for sock in [*fillers, listener]:
        sock.close()


@session_loop
async def test_tcp_check_timeout(full_backlog_port: int) -> None:
    started = time.perf_counter()
    result = await call(tcp_check, {"host": "127.0.0.1", "port": full_backlog_port, "timeout": 0.3})
    assert time.perf_counter() - started < 2
    assert not result.open
    assert result.error == "timed out after 0.3 s"


# --- current_time ---------------------------------------------------------------------------


@session_loop
async def test_current_time_defaults_to_utc() -> None:
    result = await call(current_time, {})
    moment = datetime.fromisoformat(result.iso)
    assert result.timezone == "UTC" and moment.utcoffset() == timedelta(0)
    assert abs(result.unix - time.time()) < 5
    assert abs(moment.timestamp() - result.unix) < 0.001
    assert result.summary().endswith("UTC (UTC, UTC+00:00)")


@session_loop
async def test_current_time_in_a_zone() -> None:
    result = await call(current_time, {"timezone": "america/new_york"})  # case forgiven
    assert result.timezone == "America/New_York"
    moment = datetime.fromisoformat(result.iso)
    assert moment.utcoffset() == datetime.fromtimestamp(result.unix, ZoneInfo("America/New_York")).utcoffset()
    assert result.abbreviation in ("EST", "EDT")


@session_loop
async def test_current_time_unknown_zone() -> None:
    with pytest.raises(ValueError, match=r"unknown timezone 'Europe/Berln'; did you mean .*Europe/Berlin"):
        await call(current_time, {"timezone": "Europe/Berln"})
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus_Mons'"):
        await call(current_time, {"timezone": "Mars/Olympus_Mons"})
    with pytest.raises(ValueError, match="unknown timezone"):
        await call(current_time, {"timezone": "../../etc/passwd"})
