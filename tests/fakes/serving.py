"""Serving a fake's aiohttp application on a free loopback port."""

from __future__ import annotations

from aiohttp import web


async def serve_on_loopback(app: web.Application, *, shutdown_timeout: float = 60.0) -> tuple[web.AppRunner, int]:
    """Start `app` on 127.0.0.1 with a port the system picks; returns the runner (clean it up
    to stop) and the port. Cleaning up waits up to `shutdown_timeout` seconds for replies still
    being made, then cancels them."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, runner.addresses[0][1]
