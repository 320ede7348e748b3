"""`tcp_check`: is anything listening on host:port, and how long does the handshake take.

A closed port, a timeout or an unknown host is the answer, so it is a result with `error`."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time

from pydantic import BaseModel

from chatops.tools.builtin._bounds import CheckSeconds, Port
from chatops.tools.context import ToolContext
from chatops.tools.registry import tool


class TcpCheckResult(BaseModel):
    """Whether a TCP connection could be opened, in how long, or why not."""

    host: str
    port: int
    open: bool
    latency_ms: float | None = None
    error: str | None = None

    def summary(self) -> str:
        """In people's words: `db.internal:5432 accepts connections (1 ms)`, `127.0.0.1:8099 refuses
        connections`, `10.0.4.12:22 does not answer (timed out after 5 s)`."""
        where = f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
        if self.open:
            return f"{where} accepts connections ({self.latency_ms or 0:.0f} ms)"
        error = self.error or "unknown error"
        if error == "connection refused":
            return f"{where} refuses connections"
        if error.startswith("timed out"):
            return f"{where} does not answer ({error})"
        return f"{where} is not reachable: {error}"

    def problem(self) -> str | None:
        """A port that could not be reached is the finding."""
        return None if self.open else self.summary()


@tool(
    risk="read",
    timeout=30,
    keywords=("port", "tcp", "listening", "listen", "open", "closed", "connect", "firewall", "socket"),
    examples=("is port 5432 open on db.internal?", "is anything listening on localhost:8080?"),
)
async def tcp_check(
    ctx: ToolContext,
    host: str,
    port: Port,
    timeout: CheckSeconds = 5.0,
) -> TcpCheckResult:
    """Check whether a TCP port accepts connections on a host, and how fast it answers.

    Only opens and closes a connection; nothing is sent. A refused connection, a timeout or
    an unknown host is reported in `error`, not raised.

    Args:
        host: Host name or IP address.
        port: TCP port number, 1-65535.
        timeout: Seconds to wait for the connection.
    """
    host = host.strip().removeprefix("[").removesuffix("]")
    if not host:
        raise ValueError("host must be a host name or an IP address, not empty")
    result = TcpCheckResult(host=host, port=port, open=False)
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            _reader, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        result.error = f"timed out after {timeout:g} s"
    except ConnectionRefusedError:
        result.error = "connection refused"
    except socket.gaierror as exc:
        result.error = f"DNS lookup failed for {host}: {exc.strerror}"
    except OSError as exc:
        result.error = exc.strerror or str(exc) or type(exc).__name__
    else:
        result.open = True
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    result.latency_ms = round((time.perf_counter() - started) * 1000, 3)
    return result
