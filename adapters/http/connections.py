"""Connection-level limits the request handlers cannot enforce: how many connections one client
address may hold open at once.

Slow clients are bounded elsewhere: headers by aiohttp's keep-alive timer, which since 3.10
also runs from the moment a connection opens and closes it if no complete request arrived in
time (`[http] header_timeout`), and bodies by the handlers (`uploads.read_within`). A client
opening hundreds of connections is refused here, before aiohttp sees them: each extra
connection gets a short 503 and is closed.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable

from aiohttp import web

REFUSAL_BODY = json.dumps({"error": {"code": "too_many_connections",
                                     "message": "too many open connections from your address; close some and retry"}})
REFUSAL = (f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
           f"Retry-After: 1\r\nContent-Length: {len(REFUSAL_BODY)}\r\n\r\n{REFUSAL_BODY}").encode()


class ConnectionCounter:
    """Open connections per client address."""

    def __init__(self, per_address: int) -> None:
        self.per_address = per_address
        self.open: Counter[str] = Counter()
        self.refused = 0

    def admit(self, address: str) -> bool:
        if self.open[address] >= self.per_address:
            self.refused += 1
            return False
        self.open[address] += 1
        return True

    def release(self, address: str) -> None:
        self.open[address] -= 1
        if self.open[address] <= 0:
            del self.open[address]


class _Admitted(asyncio.Protocol):
    """Stands in front of aiohttp's protocol for one connection: refuses it when its address
    holds too many, and otherwise hands every event to aiohttp unchanged."""

    def __init__(self, inner: asyncio.Protocol, counter: ConnectionCounter) -> None:
        self.inner = inner
        self.counter = counter
        self.address: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if peer else ""
        if not self.counter.admit(address):
            assert isinstance(transport, asyncio.WriteTransport)
            transport.write(REFUSAL)
            transport.close()
            return
        self.address = address
        self.inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.address is None:
            return
        self.counter.release(self.address)
        self.address = None
        self.inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.address is not None:
            self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.address is not None else None

    def pause_writing(self) -> None:
        if self.address is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.address is not None:
            self.inner.resume_writing()


class LimitedSite(web.TCPSite):
    """A `TCPSite` whose connections pass through a `ConnectionCounter`."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, *, counter: ConnectionCounter) -> None:
        super().__init__(runner, host, port)
        self.counter = counter

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        factory: Callable[[], asyncio.Protocol] = lambda: _Admitted(server(), self.counter)  # noqa: E731
        self._server = await asyncio.get_running_loop().create_server(factory, self._host, self._port)
        sockets = self._server.sockets
        self._bound_port = sockets[0].getsockname()[1] if sockets else self._port
