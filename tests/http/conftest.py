"""A real HTTP adapter on a loopback port in front of a hub on a real SQLite file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest_asyncio
from playwright.async_api import Browser, async_playwright

from chatops.adapters.http import HttpAdapter
from tests.conftest import Bot


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class WebBot:
    bot: Bot
    adapter: HttpAdapter
    session: aiohttp.ClientSession
    token: str | None = None

    @property
    def url(self) -> str:
        return self.adapter.url.rstrip("/")

    def _headers(self, token: str | None, headers: dict[str, str] | None) -> dict[str, str]:
        token = token if token is not None else self.token
        return {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}

    async def request(self, method: str, path: str, *, token: str | None = None,
                      headers: dict[str, str] | None = None, **kwargs: Any) -> Reply:
        async with self.session.request(method, self.url + path, headers=self._headers(token, headers),
                                        **kwargs) as response:
            text = await response.text()
            try:
                body: Any = json.loads(text) if text else None
            except json.JSONDecodeError:
                body = text
            return Reply(response.status, body, dict(response.headers))

    async def say(self, text: str, *, thread: str | None = None, token: str | None = None) -> Reply:
        path = f"/api/v1/threads/{thread}/messages" if thread else "/api/v1/threads"
        return await self.request("POST", path, json={"text": text}, token=token)

    async def thread(self, thread_id: str, token: str | None = None) -> dict[str, Any]:
        reply = await self.request("GET", f"/api/v1/threads/{thread_id}", token=token)
        assert reply.status == 200, reply.body
        return reply.body

    async def wait_for(self, thread_id: str, check: Callable[[dict[str, Any]], bool], *,
                       token: str | None = None, timeout: float = 10.0) -> dict[str, Any]:
        """Poll the thread until `check(view)` holds (bounded: fails with the last view)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            view = await self.thread(thread_id, token)
            if check(view):
                return view
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"condition not met within {timeout}s; last view: {json.dumps(view)[:2000]}")
            await asyncio.sleep(0.02)


StartWeb = Callable[..., Awaitable[WebBot]]


@pytest_asyncio.fixture
async def start_web(make_bot) -> AsyncIterator[StartWeb]:
    """`await start_web(planner=..., perceiver=..., tokens={...}, **config_sections)` → a served bot."""
    started: list[WebBot] = []

    async def factory(planner: Any = None, *, perceiver: Any = None, tokens: dict[str, str] | None = None,
                      http: dict[str, Any] | None = None, **sections: Any) -> WebBot:
        http_section = {"listen": "127.0.0.1:0", **({"tokens": tokens} if tokens else {}), **(http or {})}
        bot = await make_bot(planner, perceiver=perceiver, http=http_section, **sections)
        adapter = HttpAdapter(bot.runtime())
        await adapter.start()
        web = WebBot(bot=bot, adapter=adapter, session=aiohttp.ClientSession())
        started.append(web)
        return web

    yield factory
    for web in started:
        await web.session.close()
        await web.adapter.stop()


def done(view: dict[str, Any]) -> bool:
    """The thread's last message is the bot's answer."""
    return bool(view["messages"]) and view["messages"][-1]["role"] == "bot"


CHROMIUM = "/usr/bin/chromium"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        # a fake microphone (a generated tone) so the record button can be used without hardware
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])
        yield launched
        await launched.close()
