"""The web chat as a new user meets it: an attachment's text shown once, the phone layout at
390×844 in light and dark, notices in time order with the cards, decision wording, limits."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from playwright.async_api import expect

from tests.http.conftest import StartWeb
from tests.http.test_browser import open_page, send
from tests.screens import terminal_screenshot


def shots(tmp_path: Path) -> Path:
    """Where screenshots go: `CHATOPS_SHOTS` to look at them, else the test's own folder."""
    folder = Path(os.environ.get("CHATOPS_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_a_screenshots_text_is_shown_once_beside_its_thumbnail(browser, start_web: StartWeb,
                                                                      shared_perceiver, tmp_path: Path):
    web = await start_web(perceiver=shared_perceiver)
    shot = tmp_path / "pods.png"
    shot.write_bytes(terminal_screenshot())
    page = await open_page(browser, web, width=1280, height=860)
    await page.locator("#file-input").set_input_files(str(shot))
    await send(page, "why is this crashing?")
    mine = page.locator(".msg.mine")
    read = mine.get_by_label("What the bot read")
    await expect(read).to_contain_text("CrashLoopBackOff")
    await expect(page.locator(".msg.bot")).to_be_visible()  # the turn is over: every notice is in
    await page.wait_for_timeout(300)
    # once: beside its thumbnail (the notice the other surfaces show is not repeated here)
    assert (await page.locator("#log").text_content()).count("kubectl get pods -n payments") == 1
    attachment = mine.locator(".attachment")
    await expect(attachment.locator("img")).to_be_visible()
    details = attachment.locator("details.perceived-part")
    await expect(details.locator("summary")).to_contain_text("Text read from pods.png")
    assert await details.evaluate("node => node.open") is False  # a long text is one click away
    await details.locator("summary").click()
    await expect(details.locator("pre")).to_contain_text("OOMKilled")
    assert [e for e in page.errors if "blob:" not in e] == []  # type: ignore[attr-defined]
    await page.screenshot(path=str(shots(tmp_path) / "ocr-once.png"), full_page=True)


TOKENS = {"alice": "alice-token-1", "bob": "bob-token-22"}


async def test_on_a_phone_waiting_and_threads_are_a_drawer_in_light_and_dark(browser, start_web: StartWeb,
                                                                            tmp_path: Path):
    web = await start_web(tokens=TOKENS, roles={"oncall": {"http": ["bob"]}})
    for unit in ("payments", "ledger-writer-with-a-rather-long-name", "search"):
        assert (await web.say(f"!restart unit={unit}", token=TOKENS["alice"])).status == 201
    for scheme in ("light", "dark"):
        page = await browser.new_page(viewport={"width": 390, "height": 844}, color_scheme=scheme)
        await page.goto(web.url + "/")
        await page.get_by_label("Access token").fill(TOKENS["bob"])
        await page.get_by_role("button", name="Use token").click()
        toggle = page.locator("#threads-toggle")
        await expect(toggle).to_contain_text("3")  # how many plans wait, on the closed drawer's button
        waiting = page.get_by_role("region", name="Waiting for you")
        await expect(waiting).to_be_hidden()  # closed: nothing over the conversation
        await toggle.click()
        await expect(toggle).to_have_attribute("aria-expanded", "true")
        await expect(waiting).to_be_visible()
        items = waiting.get_by_role("button")
        await expect(items).to_have_count(3)
        for index in range(3):  # every item whole: no line cut by the panel's edge
            item = items.nth(index)
            await item.scroll_into_view_if_needed()
            box = await item.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
            clipped = await item.evaluate("""node => { const r = node.getBoundingClientRect();
                const panel = document.getElementById('threads-panel').getBoundingClientRect();
                return r.top < panel.top - 1 || r.bottom > panel.bottom + 1; }""")
            assert not clipped
        await expect(page.get_by_role("navigation", name="Threads")).to_contain_text("Threads")
        await page.screenshot(path=str(shots(tmp_path) / f"phone-drawer-{scheme}.png"))
        await items.first.click()
        await expect(toggle).to_have_attribute("aria-expanded", "false")
        card = page.get_by_role("article", name="Plan: run restart")
        await expect(card.get_by_role("button", name="Approve: run restart")).to_be_visible()
        # the conversation is what is under the top bar: nothing overlaps it
        log = await page.locator("#log").bounding_box()
        top = await page.evaluate(f"document.elementFromPoint(195, {log['y'] + 20}).closest('#log') !== null")
        assert top, "something covers the top of the conversation"
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        await page.screenshot(path=str(shots(tmp_path) / f"phone-thread-{scheme}.png"))
        await page.keyboard.press("Escape")
        await page.close()


async def test_a_tools_progress_shows_inside_its_card_not_after_it(browser, start_web: StartWeb, tmp_path: Path):
    web = await start_web()
    page = await open_page(browser, web, width=1280, height=860)
    await send(page, "!restart unit=payments")
    await page.get_by_role("button", name="Approve: run restart").click()
    card = page.get_by_role("article", name="Plan: run restart")
    await expect(card).to_contain_text("payments restarted")
    await expect(card.get_by_label("Progress")).to_contain_text("restart: restarting payments")
    loose = await page.locator("#log > .notice").all_text_contents()
    assert not [text for text in loose if "restarting payments" in text]
    order = await page.evaluate("""() => [...document.getElementById('log').children]
        .map(node => node.matches('article.plan') ? 'card' : node.classList.contains('bot') ? 'answer' : 'other')""")
    assert order.index("card") < order.index("answer")
    await page.reload()
    await expect(page.get_by_role("article", name="Plan: run restart").get_by_label("Progress")) \
        .to_contain_text("restart: restarting payments")
    await page.screenshot(path=str(shots(tmp_path) / "progress-in-card.png"), full_page=True)


async def axe_violations(page) -> list[str]:
    """axe-core's violations on the page as it is now (the engine ships inside the wheel)."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: {v['nodes'][0]['target']})"
            for v in results.response["violations"]]


async def test_the_web_chat_has_no_axe_violations_on_desktop_and_phone_light_and_dark(browser, start_web: StartWeb,
                                                                                     shared_perceiver, tmp_path: Path):
    web = await start_web(tokens=TOKENS, roles={"oncall": {"http": ["bob"]}}, perceiver=shared_perceiver)
    asked = await web.say("!restart unit=payments", token=TOKENS["alice"])
    thread = asked.body["id"]
    for size in ({"width": 1280, "height": 860}, {"width": 390, "height": 844}):
        for scheme in ("light", "dark"):
            page = await browser.new_page(viewport=size, color_scheme=scheme)
            await page.goto(f"{web.url}/#thread={thread}")
            await page.get_by_label("Access token").fill(TOKENS["bob"])
            await page.get_by_role("button", name="Use token").click()
            await expect(page.get_by_role("article", name="Plan: run restart")).to_be_visible()
            found = await axe_violations(page)
            assert found == [], f"{size['width']}px {scheme}: {found}"
            if size["width"] < 700:  # the drawer open, too
                await page.locator("#threads-toggle").click()
                await expect(page.get_by_role("region", name="Waiting for you")).to_be_visible()
                found = await axe_violations(page)
                assert found == [], f"drawer {scheme}: {found}"
            await page.screenshot(path=str(shots(tmp_path) / f"axe-{size['width']}-{scheme}.png"))
            await page.close()


async def test_a_plan_shows_from_its_event_before_the_thread_is_read_back(browser, start_web: StartWeb):
    web = await start_web()
    first = await web.say("!ping host=web1")
    thread = first.body["id"]
    page = await open_page(browser, web, width=1280, height=860)
    await page.goto(f"{web.url}/#thread={thread}")
    await expect(page.locator(".msg.bot")).to_contain_text("pong from web1")
    await page.wait_for_timeout(300)  # the event stream is open

    async def slow_reads(route):  # the stored view now takes 5 s: only the event can show the card sooner
        if route.request.method == "GET":
            await asyncio.sleep(5)
        await route.continue_()

    view_url = re.compile(r"/api/v1/threads/[^/?]+(\?.*)?$")  # the thread's view (its id is URL-encoded)
    await page.route(view_url, slow_reads)
    asked = asyncio.create_task(web.say("!restart unit=api", thread=thread))  # from another client

    card = page.get_by_role("article", name="Plan: run restart")
    await expect(card).to_be_visible(timeout=2500)
    await expect(card.get_by_role("button", name="Approve: run restart")).to_be_visible(timeout=2500)
    await expect(card).to_contain_text("unit=api")
    assert (await asked).status == 201
    await page.unroute(view_url)
