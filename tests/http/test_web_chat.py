"""The web chat as a chat app, in a real browser (Playwright driving Debian's chromium): a fixed
shell whose conversation scrolls, full output, safe Markdown, honest outcome badges, the danger
confirmation, the approver's "Waiting for you" list, pasted images, stored notices and dark mode.
Screenshots at desktop and phone widths go to the test's temporary folder."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from chatops.adapters.messages import BADGES
from chatops.tools import tool
from tests.conftest import ScriptedModel, reply
from tests.http.conftest import StartWeb, WebBot, done
from tests.http.test_browser import open_page, send
from tests.screens import terminal_screenshot

REPO = Path(__file__).resolve().parents[2]
HOSTILE = "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\">"


def output_tools() -> list:
    @tool(risk="read")
    async def tail_log(lines: int = 5) -> str:
        """The last lines of a log (test: numbered lines, one of them hostile HTML).

        Args:
            lines: how many lines
        """
        return "\n".join([f"line {n} of the log" for n in range(1, lines)] + [HOSTILE])

    @tool(risk="read")
    async def probe(target: str = "db") -> dict:
        """A check that finds its target down (test)."""
        return {"target": target, "problem": f"{target} is down: connection refused"}

    return [tail_log, probe]


async def in_viewport(page: Page, selector: str) -> bool:
    return await page.evaluate("""(selector) => {
        const nodes = document.querySelectorAll(selector);
        const box = nodes[nodes.length - 1].getBoundingClientRect();
        return box.top >= 0 && box.bottom <= window.innerHeight + 1 && box.height > 0;
    }""", selector)


async def long_thread(page: Page, web: WebBot, count: int) -> None:
    first = await web.say("!ping host=n0")
    thread = first.body["id"]
    for number in range(1, count - 1):
        await web.say(f"!ping host=n{number}", thread=thread)
    await page.goto(f"{web.url}/#thread={thread}")
    await send(page, f"!ping host=n{count - 1}")
    await expect(page.locator(".msg.bot").last).to_contain_text(f"pong from n{count - 1}")


async def test_a_long_thread_keeps_the_composer_and_the_newest_message_in_view(browser, start_web: StartWeb,
                                                                               tmp_path: Path):
    web = await start_web()
    for width, height in ((1280, 860), (390, 844)):
        page = await open_page(browser, web, width=width, height=height)
        await long_thread(page, web, 15)
        assert await page.locator(".msg.mine").count() == 15
        # the page itself never scrolls: the header and the composer stay, the conversation scrolls
        assert await page.evaluate("document.scrollingElement.scrollHeight") <= height
        assert (await page.locator(".topbar").bounding_box())["y"] == 0
        assert await in_viewport(page, "#send") and await in_viewport(page, "#message")
        assert await in_viewport(page, ".msg.bot"), "the newest answer is not in view"
        assert await page.evaluate("document.documentElement.scrollWidth") <= width
        await page.screenshot(path=str(tmp_path / f"long-thread-{width}.png"))

        # a reader who scrolled up stays there and is told something new arrived
        await page.locator("#log").evaluate("log => { log.scrollTop = 0; }")
        await web.say("!ping host=late", thread=(await web.request("GET", "/api/v1/threads")).body["threads"][0]["id"])
        pill = page.get_by_role("button", name="New messages")
        await expect(pill).to_be_visible()
        assert await page.locator("#log").evaluate("log => log.scrollTop") == 0
        await pill.click()
        await expect(pill).to_be_hidden()
        assert await in_viewport(page, ".msg.bot")
        assert page.errors == []  # type: ignore[attr-defined]
        await page.close()


async def test_full_output_expands_and_html_in_it_is_only_text(browser, start_web: StartWeb):
    web = await start_web()
    for item in output_tools():
        web.bot.hub.registry.add(item, source="builtin")
    page = await open_page(browser, web, width=1280, height=860)
    await send(page, "!tail_log lines=6")
    card = page.get_by_role("article", name="Plan: run tail_log")
    await expect(card.locator("[data-outcome=ok]")).to_have_text("✓ ok")
    output = card.locator("details.output")
    await expect(output.locator("summary")).to_have_text("Output (6 lines)")
    await output.locator("summary").click()
    block = card.get_by_label("Output of tail_log")
    await expect(block).to_be_visible()
    text = await block.inner_text()
    assert text.splitlines() == [f"line {n} of the log" for n in range(1, 6)] + [HOSTILE]
    assert await block.evaluate("pre => pre.scrollHeight <= pre.clientHeight + 1"), "the output is cut off"
    # the expanded block stays open when the thread is redrawn (a new event arrives)
    await send(page, "!ping host=after")
    await expect(page.locator(".msg.bot").last).to_contain_text("pong from after")
    await expect(block).to_be_visible()
    assert await page.evaluate("window.pwned") is None
    assert await page.locator("#log script, #log img[src=x]").count() == 0


async def computed_colour(locator) -> str:
    """The element's text colour; a card redrawn between finding the node and reading its style
    leaves a detached node with no style, so read again (the locator finds the new one)."""
    for _ in range(100):
        colour = await locator.evaluate("node => node.isConnected ? getComputedStyle(node).color : ''")
        if colour:
            return colour
        await asyncio.sleep(0.05)
    raise AssertionError("the element never stayed in the page long enough to read its colour")


async def test_a_problem_is_shown_as_a_finding_never_in_green(browser, start_web: StartWeb):
    web = await start_web()
    for item in output_tools():
        web.bot.hub.registry.add(item, source="builtin")
    page = await open_page(browser, web)
    await send(page, "!probe target=db")
    card = page.get_by_role("article", name="Plan: run probe")
    badge = card.locator("[data-outcome=problem]")
    await expect(badge).to_have_text("⚠ problem")
    await expect(card.locator(".summary")).to_have_text("db is down: connection refused")
    # the header is honest too: a plan that found a problem is not a green "succeeded"
    await expect(card.locator("[data-state=problem]")).to_have_text("found a problem")
    await send(page, "!ping host=fine")
    ok = page.get_by_role("article", name="Plan: run ping").locator("[data-outcome=ok]")
    await expect(ok).to_be_visible()
    await expect(page.locator(".msg.bot").last).to_contain_text("pong from fine")  # nothing more to redraw
    problem_colour, ok_colour = await computed_colour(badge), await computed_colour(ok)
    red, green, blue = map(int, re.findall(r"\d+", problem_colour)[:3])
    assert problem_colour != ok_colour and not (green > red and green > blue), problem_colour
    await expect(page.locator(".msg.bot").first).to_contain_text("Found a problem: db is down: connection refused")


async def test_bot_markdown_is_rendered_and_never_as_html(browser, start_web: StartWeb):
    answer = ("Use `current_time` for **times**:\n- one\n- two\n\n```\ncode <b>block</b>\n```\n"
              "See https://example.org/docs. " + HOSTILE)
    web = await start_web(ScriptedModel([reply(answer=answer)]).planner())
    page = await open_page(browser, web)
    await send(page, "how do I get the time?")
    bubble = page.locator(".msg.bot").last
    await expect(bubble.locator("code").first).to_have_text("current_time")
    await expect(bubble.locator("strong")).to_have_text("times")
    await expect(bubble.locator("ul > li")).to_have_text(["one", "two"])
    await expect(bubble.locator("pre code")).to_have_text("code <b>block</b>")
    await expect(bubble.get_by_role("link", name="https://example.org/docs")).to_have_attribute(
        "href", "https://example.org/docs")
    await expect(bubble).to_contain_text("<script>window.pwned = 1</script>")
    assert await page.evaluate("window.pwned") is None
    await expect(bubble.locator(".meta")).to_contain_text("chatops")
    await expect(page.locator(".msg.mine .meta")).to_contain_text("You")


async def test_approving_danger_asks_for_confirmation_first(browser, start_web: StartWeb):
    web = await start_web()
    page = await open_page(browser, web)
    await send(page, "!drop_database name=orders")
    await page.get_by_role("button", name="Approve: run drop_database").click()
    dialog = page.get_by_role("dialog", name="Approve a danger step?")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("drop_database")
    await page.keyboard.press("Enter")  # the focused button is Cancel
    await expect(dialog).to_be_hidden()
    await expect(page.locator("#status")).to_have_text("Not approved: nothing was run.")
    assert web.bot.calls.of("drop_database") == []
    await page.get_by_role("button", name="Approve: run drop_database").click()
    await dialog.get_by_role("button", name="Yes, approve and run").click()
    await expect(page.get_by_role("article", name="Plan: run drop_database")).to_contain_text("dropped orders")
    assert web.bot.calls.of("drop_database") == [{"name": "orders"}]


async def test_an_approver_finds_what_waits_for_them_and_sees_who_asked(browser, start_web: StartWeb,
                                                                        tmp_path: Path):
    tokens = {"alice": "alice-token-1", "bob": "bob-token-22"}
    web = await start_web(tokens=tokens, roles={"oncall": {"http": ["bob"]}})
    asked = await web.say("!restart unit=payments", token=tokens["alice"])
    assert asked.status == 201, asked.body
    page = await open_page(browser, web, width=1280, height=860)
    await page.get_by_label("Access token").fill(tokens["bob"])
    await page.get_by_role("button", name="Use token").click()
    waiting = page.get_by_role("region", name="Waiting for you")
    await expect(waiting).to_contain_text("run restart")
    await expect(waiting).to_contain_text("asked by alice")
    await waiting.get_by_role("button").first.click()
    card = page.get_by_role("article", name="Plan: run restart")
    await expect(card).to_contain_text("Requested by alice")
    other = page.locator(".msg.other")  # alice's message is hers, not styled as bob's own
    await expect(other.locator(".author")).to_have_text("alice")
    assert await page.locator(".msg.mine").count() == 0
    await expect(page.get_by_label("Message")).to_be_disabled()  # only alice writes in her thread
    await page.get_by_role("button", name="Approve: run restart").click()
    await expect(card).to_contain_text("payments restarted")
    await expect(card).to_contain_text("Approved by http:bob")
    await expect(waiting).to_be_hidden()
    # what bob approved stays in his thread list (he does not own the thread)
    await expect(page.get_by_role("navigation", name="Threads")).to_contain_text("!restart unit=payments")
    # the progress notice is stored with the thread: a reload shows the same thread
    await expect(page.get_by_label("Conversation")).to_contain_text("restart: restarting payments")
    await page.reload()
    await expect(page.get_by_label("Conversation")).to_contain_text("restart: restarting payments")
    await expect(page.get_by_role("article", name="Plan: run restart")).to_contain_text("Approved by http:bob")
    await page.screenshot(path=str(tmp_path / "approver.png"))


async def test_a_pasted_screenshot_is_sent_and_shown_as_a_thumbnail(browser, start_web: StartWeb, shared_perceiver):
    web = await start_web(perceiver=shared_perceiver)
    page = await open_page(browser, web)
    png = base64.b64encode(terminal_screenshot()).decode()
    await page.get_by_label("Message").focus()
    await page.evaluate("""(data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], "image.png", { type: "image/png" }));
        const event = new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true });
        document.getElementById("message").dispatchEvent(event);
    }""", png)
    await expect(page.locator("#attachments")).to_contain_text(re.compile(r"pasted-[0-9-]+\.png"))
    await send(page, "what is wrong here?")
    await expect(page.get_by_label("What the bot read")).to_contain_text("CrashLoopBackOff")
    thumbnail = page.locator(".msg.mine .media img")
    await expect(thumbnail).to_be_visible()
    await page.wait_for_function("() => document.querySelector('.msg.mine .media img').naturalWidth === 1280")


async def test_hash_links_open_without_reload_and_offline_is_said_plainly(browser, start_web: StartWeb):
    web = await start_web()
    first = (await web.say("!ping host=first")).body["id"]
    second = (await web.say("!ping host=second")).body["id"]
    page = await open_page(browser, web)
    await page.evaluate("document.body.dataset.marker = 'same page'")
    await page.evaluate(f"location.hash = 'thread={first}'")
    await expect(page.locator(".msg.bot")).to_contain_text("pong from first")
    await page.evaluate(f"location.hash = 'thread={second}'")
    await expect(page.locator(".msg.bot")).to_contain_text("pong from second")
    assert await page.evaluate("document.body.dataset.marker") == "same page"
    await page.get_by_label("Message").fill("x" * 20_001)
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#status")).to_contain_text("the limit is 20,000")
    await web.adapter.stop()
    page.errors.clear()  # type: ignore[attr-defined]
    await send(page, "!ping host=nobody")
    await expect(page.locator("#status")).to_contain_text("the bot is not reachable")
    await expect(page.get_by_label("Message")).to_have_value("!ping host=nobody")


async def test_dark_mode_follows_the_system(browser, start_web: StartWeb, tmp_path: Path):
    web = await start_web()
    for item in output_tools():
        web.bot.hub.registry.add(item, source="builtin")
    await web.say("!probe target=cache")
    view = await web.wait_for((await web.request("GET", "/api/v1/threads")).body["threads"][0]["id"], done)
    for name, size in (("desktop", {"width": 1280, "height": 860}), ("phone", {"width": 390, "height": 844})):
        page = await browser.new_page(viewport=size, color_scheme="dark")
        await page.goto(f"{web.url}/#thread={view['id']}")
        await page.get_by_role("article", name="Plan: run probe").locator("[data-outcome=problem]").wait_for()
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert sum(map(int, re.findall(r"\d+", background)[:3])) < 150, background
        await page.screenshot(path=str(tmp_path / f"dark-{name}.png"))
        await page.close()


def test_the_page_and_the_other_surfaces_use_the_same_badges():
    script = (REPO / "adapters" / "http" / "web" / "app.js").read_text(encoding="utf-8")
    table = re.search(r"^const BADGES = (\{.*\});$", script, re.MULTILINE)
    assert table is not None
    assert json.loads(table.group(1)) == {key: [badge.mark, badge.label] for key, badge in BADGES.items()}



async def test_a_thread_longer_than_a_page_shows_older_messages_on_demand(browser, start_web: StartWeb):
    web = await start_web()
    thread = (await web.say("!ping host=n0")).body["id"]
    for number in range(1, 27):  # 54 messages: more than the API's page of 50
        await web.say(f"!ping host=n{number}", thread=thread)
    page = await open_page(browser, web)
    await page.goto(f"{web.url}/#thread={thread}")
    await expect(page.locator(".msg.bot").last).to_contain_text("pong from n26")
    assert await page.locator(".msg", has_text="!ping host=n0").count() == 0
    await page.get_by_role("button", name="Show older messages").click()
    await expect(page.locator(".msg.mine").first).to_have_text(re.compile(r"!ping host=n0$"))
    assert await page.locator(".msg.mine").count() == 27
    await expect(page.get_by_role("button", name="Show older messages")).to_have_count(0)
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("how", ["drop", "paste"])
async def test_a_dropped_or_pasted_video_is_watched(browser, start_web: StartWeb, shared_perceiver, how):
    """Issue 26: the web chat takes a video by drop and by paste as well as by upload."""
    from tests.clips import clip

    web = await start_web(perceiver=shared_perceiver)
    page = await open_page(browser, web)
    data = base64.b64encode(clip([(terminal_screenshot(["$ uptime"]), 2),
                                  (terminal_screenshot(["$ uptime", "ERROR load average 42.0"]), 2)],
                                 fmt="webm")).decode()
    await page.get_by_label("Message").focus()
    await page.evaluate("""([data, how]) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], "screen.webm", { type: "video/webm" }));
        const event = how === "drop"
            ? new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true })
            : new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true });
        document.getElementById(how === "drop" ? "composer" : "message").dispatchEvent(event);
    }""", [data, how])
    await expect(page.locator("#attachments")).to_contain_text(re.compile(r"screen\.webm|pasted-[0-9-]+\.webm"))
    await send(page, "what is this?")
    perceived = page.get_by_label("What the bot read")
    await expect(perceived).to_contain_text('on screen at 0:00: "$ uptime"', timeout=60_000)  # Whisper + OCR
    await expect(perceived).to_contain_text('at 0:02: "ERROR load average 42.0"')
    await expect(page.locator(".msg.mine .media video")).to_be_visible()
