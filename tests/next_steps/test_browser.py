"""The web chat's next-step buttons in a real browser (Playwright driving Debian's chromium): a
click sends the step in the open thread, whose answer then offers it again."""

from __future__ import annotations

from playwright.async_api import expect

from chatops.tools.builtin.tcp_check import tcp_check
from tests.http.conftest import browser  # noqa: F401  (a fixture, used by name)
from tests.http.test_browser import open_page, send
from tests.next_steps.test_web import closed_port


async def test_a_next_step_is_one_click_in_the_web_chat(start_web, browser):  # noqa: F811
    web = await start_web()
    web.bot.hub.registry.add(tcp_check)
    port = closed_port()
    page = await open_page(browser, web)
    await send(page, f"!tcp_check host=127.0.0.1 port={port}")
    button = page.get_by_role("group", name="Suggested next steps").get_by_role("button")
    await expect(button).to_have_count(1)
    await expect(button).to_have_text(f"▶ Check again whether 127.0.0.1:{port} accepts connections")
    await button.click()
    await expect(page.locator(".msg.mine")).to_have_count(2)
    await expect(page.locator(".msg.mine").last).to_contain_text(f"!tcp_check host=127.0.0.1 port={port}")
    await expect(page.get_by_role("group", name="Suggested next steps")).to_have_count(2)
    [thread] = (await web.request("GET", "/api/v1/threads")).body["threads"]
    view = await web.thread(thread["id"])
    assert len(view["plans"]) == 2 and all(p["steps"][0]["tool"] == "tcp_check" for p in view["plans"])
    assert page.errors == []  # type: ignore[attr-defined]
