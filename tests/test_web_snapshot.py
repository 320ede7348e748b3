"""`web_snapshot` (issue 26 item 4): real headless Chromium (Debian's) driven by Playwright against
pages served by the test: a Grafana-like dashboard whose chart is drawn on a canvas comes back as
an attached PNG plus its DOM text and the canvas's text read by Tesseract; the URL rules, the
allow list checked on every request, waiting for text or a selector, the time budget, and one
browser reused between calls and closed when idle."""

from __future__ import annotations

import asyncio
import io
import os
from typing import Any

import pytest
from aiohttp import web
from PIL import Image

from chatops.bot.config import load_config
from chatops.bot.model import ThreadRef, UserRef
from chatops.tools.context import ToolContext
from chatops.tools.registry import spec_of
from chatops.tools.web import browser as browser_module
from chatops.tools.web.web_snapshot import host_allowed, is_selector, web_snapshot

DASHBOARD = """<!doctype html><html><head><title>Checkout - production overview</title>
<style>body{font-family:sans-serif;background:#111217;color:#d8d9da;margin:0}
header{padding:12px 16px;font-size:20px;border-bottom:1px solid #333}
.panel{display:inline-block;vertical-align:top;margin:12px;padding:8px;background:#181b1f;border:1px solid #2c3235}
.stat{font-size:36px;color:#f2495c}.hidden{display:none}</style></head><body>
<header>Checkout - production overview</header>
<div class="panel"><div>Error rate</div><div class="stat">7.9 %</div></div>
<div class="panel"><div>Pods ready</div><div class="stat">4 / 6</div></div>
<div class="hidden">a secret nobody sees</div>
<div class="panel"><div>p99 latency</div><canvas id="latency" width="720" height="300"></canvas></div>
<script>
const c = document.getElementById('latency').getContext('2d');
c.fillStyle = '#181b1f'; c.fillRect(0, 0, 720, 300);
c.strokeStyle = '#73bf69'; c.lineWidth = 3; c.beginPath();
[120, 118, 125, 130, 190, 260, 250, 255].forEach((v, i) => { const x = 60 + i * 90, y = 280 - v;
  i ? c.lineTo(x, y) : c.moveTo(x, y); }); c.stroke();
c.fillStyle = '#d8d9da'; c.font = '22px sans-serif';
c.fillText('p99 latency 1840 ms', 60, 36);
c.fillText('checkout-web', 300, 296);
c.font = '18px sans-serif'; c.fillText('10:00', 50, 270); c.fillText('10:30', 600, 270);
</script></body></html>"""

LATE = """<!doctype html><html><body><p>loading…</p><script>
setTimeout(() => { const d = document.createElement('div'); d.id = 'ready';
  d.textContent = 'All systems operational'; document.body.appendChild(d); }, 700);
</script></body></html>"""


def _read(path: str) -> str:
    with open(path) as file:
        return file.read()


def chromium_pids(*, main: bool = False) -> set[int]:
    """Chromium processes descended from this test process (through Playwright's driver); with
    `main`, only the browser process itself (renderers come and go with each page)."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = _read(f"/proc/{entry}/stat").rsplit(")", 1)[1].split()
                if fields[0] != "Z":
                    parents[int(entry)], names[int(entry)] = int(fields[1]), _read(f"/proc/{entry}/comm").strip()
            except (OSError, IndexError, ValueError):  # it ended while we looked
                continue
    found = set()
    for pid, name in names.items():
        ancestor, hops = parents.get(pid), 0
        while ancestor and ancestor != os.getpid() and hops < 10:
            ancestor, hops = parents.get(ancestor), hops + 1
        if ancestor == os.getpid() and "chrom" in name:
            found.add(pid)
    return {pid for pid in found if parents[pid] not in found} if main else found


def make_ctx(files: list[tuple[str, str, bytes]], **config: Any) -> ToolContext:
    async def attach(name: str, mime_type: str, data: bytes) -> dict[str, Any]:
        files.append((name, mime_type, data))
        return {"name": name, "mime_type": mime_type, "size": len(data), "sha256": None}

    return ToolContext(requester=UserRef(platform="console", id="t"), thread=ThreadRef(platform="console", thread="t"),
                       config=config, attach=attach)


async def call(args: dict[str, Any], files: list | None = None, **config: Any) -> Any:
    spec = spec_of(web_snapshot)
    return await spec.run(make_ctx(files if files is not None else [], **config), spec.validate(args))


@pytest.fixture
async def site():
    seen: list[str] = []

    async def page(body: str):
        async def handler(request: web.Request) -> web.Response:
            seen.append(request.path)
            return web.Response(text=body, content_type="text/html")
        return handler

    app = web.Application()
    app.router.add_get("/d/checkout", await page(DASHBOARD))
    app.router.add_get("/late", await page(LATE))
    app.router.add_get("/never", await page("<html><body>nothing here</body></html>"))
    runner = web.AppRunner(app)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    port = server._server.sockets[0].getsockname()[1]

    async def elsewhere(request: web.Request) -> web.Response:
        seen.append(request.path)
        raise web.HTTPFound(f"http://localhost:{port}/d/checkout")  # another host name for the same server

    async def embeds(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.Response(text=f'<html><body><h1>Status</h1><img src="http://localhost:{port}/d/checkout">'
                                 '</body></html>', content_type="text/html")

    app.router._frozen = False
    app.router.add_get("/redirect", elsewhere)
    app.router.add_get("/embeds", embeds)
    yield f"http://127.0.0.1:{port}", seen
    await browser_module.SHARED.close()
    await runner.cleanup()


ALLOW = {"allow": ["127.0.0.1"]}


async def test_a_canvas_dashboard_comes_back_as_an_image_and_its_text(site):
    base, _ = site
    files: list[tuple[str, str, bytes]] = []
    result = await call({"url": f"{base}/d/checkout"}, files, **ALLOW)
    assert result.status == 200 and result.title == "Checkout - production overview"
    assert "Error rate" in result.text and "7.9 %" in result.text and "4 / 6" in result.text
    assert "secret" not in result.text  # visible text only
    [(name, mime, png)] = files
    assert (name, mime) == ("page.png", "image/png") and result.screenshot["name"] == "page.png"
    assert Image.open(io.BytesIO(png)).size == (1280, 800)
    [canvas] = result.canvases
    assert canvas.selector == "#latency" and (canvas.width, canvas.height) == (720, 300)
    assert "p99 latency 1840 ms" in canvas.text and "checkout-web" in canvas.text, canvas.text
    summary = result.summary()
    assert summary.startswith("Checkout - production overview (127.0.0.1:")
    assert "[canvas 720×300, read by OCR]\np99 latency 1840 ms" in summary


async def test_full_page_and_waiting_for_text_or_a_selector(site):
    base, _ = site
    files: list = []
    by_selector = await call({"url": f"{base}/late", "wait_for": "#ready"}, files, **ALLOW)
    assert "All systems operational" in by_selector.text
    by_text = await call({"url": f"{base}/late", "wait_for": "All systems operational", "full_page": True},
                         files, **ALLOW)
    assert "All systems operational" in by_text.text
    with pytest.raises(TimeoutError, match=r"did not finish within 2 s \(waiting for 'never shown'\)"):
        await call({"url": f"{base}/never", "wait_for": "never shown"}, files, timeout=2, **ALLOW)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "ftp://127.0.0.1/x",
                                 "data:text/html,<h1>x</h1>", "127.0.0.1/status", "chrome://settings"])
async def test_nothing_that_is_not_http_is_opened(url):
    with pytest.raises(ValueError, match=r"http:// or https://|has no host"):
        await call({"url": url}, **ALLOW)
    assert not browser_module.SHARED.running


async def test_only_allowed_hosts_on_every_request(site):
    base, seen = site
    with pytest.raises(ValueError, match=r"localhost is not on \[tools.web_snapshot\] allow; allowed: 127.0.0.1"):
        await call({"url": base.replace("127.0.0.1", "localhost") + "/d/checkout"}, **ALLOW)
    with pytest.raises(ValueError, match="allowed: no host"):
        await call({"url": f"{base}/d/checkout"})  # no allow list: nothing is allowed
    seen.clear()
    with pytest.raises(ValueError, match="the page went to a host not allowed: localhost"):
        await call({"url": f"{base}/redirect"}, **ALLOW)  # the redirect itself is refused
    assert seen == ["/redirect"]  # asked once (its answer checked), never followed to /d/checkout
    result = await call({"url": f"{base}/embeds"}, **ALLOW)  # a page pulling from another host
    assert result.text == "Status" and [u.split("/")[2].split(":")[0] for u in result.blocked] == ["localhost"]
    assert seen == ["/redirect", "/embeds"]  # the embedded request never reached the server
    assert "blocked 1 request(s) to hosts not allowed: localhost" in result.summary()


def test_hosts_and_selectors():
    assert host_allowed("grafana.example.com", ["*.example.com"]) and not host_allowed("example.com", ["*.example.com"])
    assert not host_allowed("example.com.evil.net", ["*.example.com", "example.com"])
    assert host_allowed("Status.Example.COM.", ["status.example.com"])
    assert [is_selector(s) for s in ("#ready", ".panel", "canvas", "div.alert", "[data-x]", "css=main > p",
                                     "Ready", "All systems operational", "status ok")] == \
        [True, True, True, True, True, True, False, False, False]


async def test_one_browser_is_reused_and_closed_when_idle(site):
    base, _ = site
    shared = browser_module.SHARED
    await shared.close()
    launches = shared.launches
    config = {**ALLOW, "idle_seconds": 1.0}
    assert chromium_pids() == set()
    await call({"url": f"{base}/late"}, **config)
    [browser] = chromium_pids(main=True)
    assert shared.running
    await call({"url": f"{base}/d/checkout"}, **config)
    assert shared.launches == launches + 1 and chromium_pids(main=True) == {browser}  # the same browser
    for _ in range(40):
        await asyncio.sleep(0.1)
        if not shared.running:
            break
    assert not shared.running
    for _ in range(30):  # the processes are gone, not only forgotten
        if not chromium_pids():
            break
        await asyncio.sleep(0.1)
    assert chromium_pids() == set()


def test_registered_only_when_configured(tmp_path):
    from chatops.bot.runtime import build_registry

    plain = tmp_path / "plain.toml"
    plain.write_text("")
    assert "web_snapshot" not in build_registry(load_config(plain))[0]
    configured = tmp_path / "web.toml"
    configured.write_text('[tools.web_snapshot]\nallow = ["status.example.com"]\n')
    registry, problems = build_registry(load_config(configured))
    spec = registry.get("web_snapshot")
    assert problems == [] and spec is not None and spec.risk.value == "read"
    assert set(spec.parameters_schema["properties"]) == {"url", "wait_for", "full_page"}
