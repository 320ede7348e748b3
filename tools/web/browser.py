"""One headless Chromium for the whole process, started on first use, reused between calls, and
closed when idle.

Starting Chromium costs about a second and 100–200 MB, so a snapshot borrows the running browser
(a fresh incognito context per call, so no cookie or storage leaks from one call to the next);
`idle_seconds` after the last call ends, the browser *and* Playwright's driver process are
stopped, so an idle bot holds no browser memory. Chromium is Debian's package (`/usr/bin/chromium`
by default): Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger("chatops.tools.web")

INSTALL = "pip install 'chatops[browser]' and apt-get install chromium"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path(configured: str | None) -> str:
    """The browser binary: the configured one, else the first Chromium on PATH."""
    for name in ((configured,) if configured else CANDIDATES):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(f"web_snapshot needs Chromium, and none was found ({INSTALL})")


class Browser:
    """The shared browser (see the module's docstring). Safe to use from concurrent calls on one
    event loop: start and stop are serialised, and the idle timer counts calls in flight."""

    def __init__(self) -> None:
        self._playwright: Any = None
        self._browser: Any = None
        self._lock = asyncio.Lock()
        self._users = 0
        self._idle: asyncio.TimerHandle | None = None
        self.launches = 0  # how many times a browser was started (reuse shows as 1)
        self._loop: asyncio.AbstractEventLoop | None = None

    def _on_this_loop(self) -> None:
        """A browser belongs to the event loop that started it; another loop starts its own."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._lock, self._users, self._idle = loop, asyncio.Lock(), 0, None
            self._browser = self._playwright = None

    @property
    def running(self) -> bool:
        return self._browser is not None

    @contextlib.asynccontextmanager
    async def page(self, *, executable: str | None, idle_seconds: float, width: int, height: int,
                   route: Any = None) -> AsyncIterator[Any]:
        """A new page in a new incognito context of the shared browser, closed afterwards."""
        self._on_this_loop()
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        self._users += 1
        try:
            browser = await self._started(executable)
            context = await browser.new_context(viewport={"width": width, "height": height},
                                                device_scale_factor=1, java_script_enabled=True,
                                                accept_downloads=False, service_workers="block")
            try:
                if route is not None:
                    await context.route("**/*", route)
                yield await context.new_page()
            finally:
                with contextlib.suppress(Exception):
                    await context.close()
        finally:
            self._users -= 1
            if self._users == 0:
                loop = asyncio.get_running_loop()
                self._idle = loop.call_later(idle_seconds, lambda: asyncio.ensure_future(self.close_if_idle()))

    async def _started(self, executable: str | None) -> Any:
        async with self._lock:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            await self._stop()
            try:
                from playwright.async_api import async_playwright
            except ImportError:
                raise RuntimeError(f"web_snapshot needs Playwright ({INSTALL})") from None
            path = chromium_path(executable)
            self._playwright = await async_playwright().start()
            try:
                self._browser = await self._playwright.chromium.launch(
                    executable_path=path, headless=True,
                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--mute-audio"])
            except Exception:
                await self._stop()
                raise
            self.launches += 1
            log.info("browser started (%s)", path)
            return self._browser

    async def close_if_idle(self) -> None:
        async with self._lock:
            if self._users == 0:
                await self._stop()

    async def close(self) -> None:
        """Stop the browser and the driver now (at shutdown)."""
        if self._loop is not asyncio.get_running_loop():
            return
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        async with self._lock:
            await self._stop()

    async def _stop(self) -> None:
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        if browser is not None:
            with contextlib.suppress(Exception):
                await browser.close()
            log.info("browser closed (idle)")
        if playwright is not None:
            with contextlib.suppress(Exception):
                await playwright.stop()


SHARED = Browser()
