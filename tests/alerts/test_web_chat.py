"""The web chat with alerts (issue 21), in a real browser (Playwright driving Debian's chromium):
an alert thread's bar with Acknowledge, the Export of its incident report, and a step's chart
shown under the step."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from playwright.async_api import expect

from chatops.tools import tool
from chatops.tools.context import ToolContext
from tests.alerts.test_webhooks import AM, fixture, served
from tests.http.conftest import browser  # noqa: F401  (a fixture, used by name)
from tests.http.test_browser import open_page, send


def chart_tool():
    @tool(risk="read")
    async def draw_chart(ctx: ToolContext) -> str:
        """Draw a small chart (test): a PNG file on the step."""
        buffer = io.BytesIO()
        Image.new("RGB", (120, 60), (30, 120, 200)).save(buffer, format="PNG")
        file = await ctx.attach("chart.png", "image/png", buffer.getvalue())
        return f"drew {file['name']}"

    return draw_chart


async def test_an_alert_thread_in_the_browser(start_web, browser, tmp_path: Path):  # noqa: F811
    web = await served(start_web)
    opened = await web.request("POST", AM, json=fixture("alertmanager_probe_failure.json"))
    thread_id = opened.body["threads"][0]["id"]
    page = await open_page(browser, web)
    await page.goto(f"{web.url}/#thread={thread_id}")
    bar = page.locator(".alert-bar")
    await expect(bar).to_contain_text("alertmanager: firing")
    await bar.get_by_role("button", name="Acknowledge").click()
    await expect(page.locator(".notice").last).to_contain_text("Acknowledged by operator at")
    async with page.expect_download() as waiting:
        await page.get_by_role("button", name="Export").click()
    download = await waiting.value
    saved = tmp_path / "report.md"
    await download.save_as(saved)
    text = saved.read_text()
    assert text.startswith("# Incident report: 🔔 ProbeFailure") and "👀 Acknowledged by operator" in text
    assert page.errors == []  # type: ignore[attr-defined]


async def test_a_steps_chart_is_shown_under_the_step(start_web, browser):  # noqa: F811
    web = await start_web()
    web.bot.hub.registry.add(chart_tool())
    page = await open_page(browser, web)
    await send(page, "!draw_chart")
    image = page.locator(".step-files img")
    await expect(image).to_have_count(1)
    await expect(image).to_have_attribute("alt", "chart.png")
    await page.wait_for_function("() => document.querySelector('.step-files img').naturalWidth === 120")
    # the image is fetched with the token and shown from a blob: URL of this page, not from outside
    assert [e for e in page.errors if not e.startswith(f"outside: blob:{web.url}/")] == []  # type: ignore[attr-defined]
