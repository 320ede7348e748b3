"""`web_snapshot`: look at a web page the way a person would: its picture and the text it shows.

"What does the status page say?", "show me the checkout dashboard", "is the login page broken?":
the page is rendered in headless Chromium (`tools.web.browser`, shared and closed when idle), the
screenshot is attached to the step (`steps[].files`, like a chart), and the answer is the page's
visible text as the DOM has it, plus the text of each canvas (a dashboard's charts are pictures,
not DOM text) read by OCR.

Where it may go: the same URL rules as `http_check` (http:// or https:// with a host; nothing else,
so no `file:`, `data:` or `chrome:`), and only hosts on `[tools.web_snapshot] allow` (exact names,
or `*.example.com` for subdomains). Every request the page makes is checked, not only the first:
a redirect, a frame or a script from a host not on the list is blocked, so a page cannot send the
browser elsewhere. What the page says is data (the provenance rule treats every tool's output as
data): it can inform a plan, never command it.

Time: `timeout` bounds the whole call (browser start, load, wait, screenshot, OCR); past it the
step fails with a plain reason. Registered only when `[tools.web_snapshot]` is configured
(`bot.runtime.build_registry`); needs the `browser` extra (Playwright) and Debian's `chromium`.
"""

from __future__ import annotations

import asyncio
import fnmatch
import re
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from yarl import URL

from chatops.tools.builtin.http_check import checked_url  # http_check's rule
from chatops.tools.context import ToolContext
from chatops.tools.registry import tool
from chatops.tools.web.browser import SHARED

MAX_TEXT = 20_000  # characters of page text returned; the rest is counted
MAX_REDIRECTS = 10  # as http_check
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
SETTLE = 3.0  # seconds at most for late requests after `load`
QUIET = 0.1  # seconds without a request in flight: the page is settled
MAX_CANVASES = 8  # canvases read by OCR (largest first)
MIN_CANVAS_SIDE = 48  # pixels: smaller canvases are icons and sparklines without words
HTML_TAGS = frozenset({
    "a", "article", "aside", "body", "button", "canvas", "div", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "iframe", "img", "input", "label", "li", "main", "nav", "ol", "p", "pre", "section",
    "select", "span", "svg", "table", "tbody", "td", "textarea", "th", "thead", "tr", "ul",
})  # fmt: skip


class WebSnapshotOptions(BaseModel):
    """`[tools.web_snapshot]`."""

    model_config = ConfigDict(extra="forbid")
    allow: list[str] = Field(default_factory=list)
    """Hosts the browser may load anything from: `status.example.com`, `*.grafana.example.com`,
    `127.0.0.1`. Empty: every page is refused."""
    timeout: float = Field(20.0, gt=0, le=120)
    """Seconds for one snapshot, all included."""
    idle_seconds: float = Field(60.0, ge=0, le=3600)
    """The browser is closed this long after the last snapshot."""
    chromium: str | None = None
    """The browser binary (default: `chromium` on PATH)."""
    width: int = Field(1280, ge=320, le=3840)
    height: int = Field(800, ge=240, le=2160)
    ocr_languages: str = "eng"


class CanvasText(BaseModel):
    """What OCR read on one canvas (a chart's title, axis labels, legend, values drawn as pixels)."""

    selector: str
    width: int
    height: int
    text: str


class WebSnapshotResult(BaseModel):
    url: str
    final_url: str
    status: int | None = None
    title: str = ""
    text: str = ""
    """The page's visible text, from the DOM (`innerText` of the body)."""
    text_truncated: int = 0
    """Characters of text left out past `MAX_TEXT`."""
    canvases: list[CanvasText] = Field(default_factory=list)
    blocked: list[str] = Field(default_factory=list)
    """Requests refused because their host is not allowed or the scheme is not http(s)."""
    screenshot: dict[str, Any] | None = None
    """The attached PNG: name, mime_type, size, sha256."""
    seconds: float = 0.0

    def summary(self) -> str:
        head = f"{self.title or _shown(self.final_url)} ({_shown(self.final_url)}, HTTP {self.status})"
        parts = [head, self.text.strip()]
        for canvas in self.canvases:
            if canvas.text.strip():
                parts.append(f"[canvas {canvas.width}×{canvas.height}, read by OCR]\n{canvas.text.strip()}")
        if self.text_truncated:
            parts.append(f"… {self.text_truncated} more characters")
        if self.blocked:
            parts.append(f"blocked {len(self.blocked)} request(s) to hosts not allowed: "
                         + ", ".join(sorted({_host(u) for u in self.blocked})[:5]))
        return "\n".join(part for part in parts if part)


def _shown(url: str) -> str:
    return re.sub(r"^https?://", "", url).rstrip("/")


def _host(url: str) -> str:
    try:
        return URL(url).host or url[:40]
    except ValueError:
        return url[:40]


def host_allowed(host: str | None, allow: list[str]) -> bool:
    """Exact host names, or `*.example.com` for its subdomains (not example.com itself)."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    for pattern in allow:
        pattern = pattern.lower().strip().rstrip(".")
        if pattern.startswith("*.") and fnmatch.fnmatchcase(host, pattern) and "/" not in host:
            return True
        if host == pattern:
            return True
    return False


def request_allowed(url: str, allow: list[str]) -> bool:
    """A request the page makes: http(s) to an allowed host, or the page's own inline data."""
    try:
        parsed = URL(url)
    except ValueError:
        return False
    if parsed.scheme in ("data", "blob", "about"):  # inline images and fonts; no network
        return True
    return parsed.scheme in ("http", "https") and host_allowed(parsed.host, allow)


def is_selector(wait_for: str) -> bool:
    """`#id`, `.class`, `[attr]`, `css=…` or a tag name (optionally with more selector after it)
    is a CSS selector; anything else is text to wait for."""
    text = wait_for.strip()
    if text.startswith(("#", ".", "[", "css=")):
        return True
    tag = re.match(r"[a-z][a-z0-9]*", text)
    return bool(tag) and tag.group(0) in HTML_TAGS and (len(text) == tag.end() or text[tag.end()] in "#.[:> ")


@tool(
    risk="read",
    timeout=120,
    options=WebSnapshotOptions,
    keywords=("page", "web", "website", "screenshot", "snapshot", "dashboard", "browser", "look", "show", "status"),
    examples=("what does the status page https://status.example.com say?",
              "show me the checkout dashboard https://grafana.example.com/d/checkout",
              "is the login page https://app.example.com/login broken?"),
)
async def web_snapshot(ctx: ToolContext, url: str, wait_for: str | None = None,
                       full_page: bool = False) -> WebSnapshotResult:
    """Look at a web page in a browser: a screenshot plus the text it shows, charts included.

    Renders the page in headless Chromium, attaches the screenshot, and returns the page's
    visible text; text drawn on canvases (dashboards' charts) is read by OCR.

    Args:
        url: The full http:// or https:// URL of the page.
        wait_for: Text or a CSS selector (#id, .class, a tag) to wait for before looking.
        full_page: Capture the whole scrolling page instead of the first screen.
    """
    options = WebSnapshotOptions.model_validate(ctx.config)
    target = checked_url(url)
    if not host_allowed(target.host, options.allow):
        raise ValueError(f"{target.host} is not on [tools.web_snapshot] allow; allowed: "
                         f"{', '.join(options.allow) or 'no host'}")
    started = time.monotonic()
    result = WebSnapshotResult(url=str(target), final_url=str(target))

    async def route(route: Any) -> None:
        """Every request the page makes. Playwright shows a handler only a redirect's first URL
        (the browser follows the rest itself), so a redirect's whole chain is walked here first,
        hop by hop without following, and refused if any hop leaves the allowed hosts."""
        request_url = route.request.url
        if not request_allowed(request_url, options.allow):
            result.blocked.append(request_url)
            await route.abort("blockedbyclient")
            return
        if URL(request_url).scheme not in ("http", "https"):
            await route.continue_()
            return
        try:
            response = await route.fetch(max_redirects=0, timeout=options.timeout * 1000)
            hop, current = response, request_url
            for _ in range(MAX_REDIRECTS):
                location = hop.headers.get("location")
                if hop.status not in REDIRECT_STATUSES or not location:
                    break
                current = str(URL(current).join(URL(location)))
                if not request_allowed(current, options.allow):
                    result.blocked.append(current)
                    await route.abort("blockedbyclient")
                    return
                hop = await route.fetch(url=current, max_redirects=0, timeout=options.timeout * 1000)
        except Exception:
            await route.abort("failed")
            return
        await route.fulfill(response=response)

    try:
        async with asyncio.timeout(options.timeout):
            async with SHARED.page(executable=options.chromium, idle_seconds=options.idle_seconds,
                                   width=options.width, height=options.height, route=route) as page:
                await ctx.progress(f"opening {_shown(str(target))}")
                response = await page.goto(str(target), wait_until="load")
                result.status = response.status if response is not None else None
                if wait_for:
                    await _wait(page, wait_for)
                else:
                    await _settle(page)
                result.final_url = page.url
                result.title = (await page.title()).strip()
                text = await page.evaluate("() => document.body ? document.body.innerText : ''")
                text = "\n".join(line.rstrip() for line in str(text).splitlines() if line.strip())
                result.text, result.text_truncated = text[:MAX_TEXT], max(0, len(text) - MAX_TEXT)
                shot = await page.screenshot(full_page=full_page, type="png")
                pictures = await _canvas_pictures(page)
    except TimeoutError:
        raise TimeoutError(f"the page did not finish within {options.timeout:g} s"
                           + (f" (waiting for {wait_for!r})" if wait_for else "")) from None
    except Exception as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "ERR_BLOCKED_BY_CLIENT" in message and result.blocked:
            raise ValueError(f"the page went to a host not allowed: {_host(result.blocked[-1])}") from None
        raise RuntimeError(f"could not load {_shown(str(target))}: {message[:200]}") from None
    result.screenshot = await ctx.attach("page.png", "image/png", shot)
    for selector, width, height, png in pictures:
        text = await asyncio.to_thread(_ocr, png, options.ocr_languages)
        result.canvases.append(CanvasText(selector=selector, width=width, height=height, text=text))
    result.seconds = round(time.monotonic() - started, 3)
    return result


async def _wait(page: Any, wait_for: str) -> None:
    if is_selector(wait_for):
        await page.wait_for_selector(wait_for.removeprefix("css="), state="visible")
    else:
        await page.get_by_text(wait_for).first.wait_for(state="visible")


async def _settle(page: Any) -> None:
    """Give scripts that fetch and draw after `load` (a dashboard's panels) a moment: until no
    request has been in flight for `QUIET` seconds, at most `SETTLE` seconds. (Playwright's own
    "networkidle" always waits 500 ms, half the warm budget, even on a page that is done.)"""
    in_flight: set[Any] = set()
    page.on("request", lambda request: in_flight.add(request))
    page.on("requestfinished", lambda request: in_flight.discard(request))
    page.on("requestfailed", lambda request: in_flight.discard(request))
    loop = asyncio.get_running_loop()
    give_up, quiet_since = loop.time() + SETTLE, loop.time()
    while loop.time() < give_up:
        await asyncio.sleep(0.025)
        if in_flight:
            quiet_since = loop.time()
        elif loop.time() - quiet_since >= QUIET:
            break
    await page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


async def _canvas_pictures(page: Any) -> list[tuple[str, int, int, bytes]]:
    """PNGs of the visible canvases big enough to hold words, largest first."""
    canvases = await page.query_selector_all("canvas")
    found: list[tuple[int, str, int, int, Any]] = []
    for index, canvas in enumerate(canvases):
        box = await canvas.bounding_box()
        if box is None or box["width"] < MIN_CANVAS_SIDE or box["height"] < MIN_CANVAS_SIDE:
            continue
        name = await canvas.evaluate("c => c.id ? '#' + c.id : ''") or f"canvas:nth-of-type({index + 1})"
        found.append((int(box["width"] * box["height"]), name, int(box["width"]), int(box["height"]), canvas))
    pictures = []
    for _, name, width, height, canvas in sorted(found, key=lambda item: -item[0])[:MAX_CANVASES]:
        pictures.append((name, width, height, await canvas.screenshot(type="png")))
    return pictures


def _ocr(png: bytes, languages: str) -> str:
    """Tesseract with the bot's preprocessing (dark charts inverted, small labels enlarged)."""
    import io

    from PIL import Image

    from chatops.bot.perception.tesseract_ocr import prepare, tesseract

    return tesseract(prepare(Image.open(io.BytesIO(png)).convert("RGB")), languages)
