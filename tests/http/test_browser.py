"""The web chat in a real browser: Playwright driving Debian's chromium (installed by `make test`;
Playwright never downloads a browser here)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from chatops.tools.builtin import BUILTIN_TOOLS
from tests.http.conftest import StartWeb, WebBot
from tests.screens import terminal_screenshot

TOKENS = {"alice": "alice-browser-token"}


async def open_page(browser: Browser, web: WebBot, *, width: int = 1100, height: int = 760) -> Page:
    page = await browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfailed", lambda request: "ERR_ABORTED" in (request.failure or "")  # a stream we closed
            or errors.append(f"failed: {request.url} {request.failure}"))
    page.on("request", lambda request: request.url.startswith(web.url) or errors.append(f"outside: {request.url}"))
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto(web.url + "/")
    return page


async def send(page: Page, text: str) -> None:
    await page.get_by_label("Message").fill(text)
    await page.get_by_role("button", name="Send").click()


async def test_an_http_check_against_a_local_server_shows_its_result(browser, start_web: StartWeb,
                                                                     http_server: str):
    web = await start_web()
    for item in BUILTIN_TOOLS:
        web.bot.hub.registry.add(item, source="builtin")
    page = await open_page(browser, web)
    await send(page, f"!http_check url={http_server}/health")
    card = page.get_by_role("article", name="Plan: run http_check")
    await expect(card.locator(".state.succeeded").first).to_be_visible()
    await expect(card).to_contain_text("200")
    await expect(page.locator(".msg.bot")).to_contain_text("Done:")
    await expect(page.get_by_role("navigation", name="Threads")).to_contain_text("!http_check")
    await page.get_by_role("button", name="New thread").click()
    await expect(page.get_by_label("Conversation")).to_contain_text("Ask for a check")
    assert page.errors == []  # type: ignore[attr-defined]


async def test_approving_a_change_in_the_page_runs_it_and_shows_the_result(browser, start_web: StartWeb,
                                                                           tmp_path: Path):
    web = await start_web()
    page = await open_page(browser, web)
    await send(page, "!restart unit=payments")
    approve = page.get_by_role("button", name="Approve: run restart")
    await expect(approve).to_be_visible()
    assert web.bot.calls.of("restart") == []
    await approve.click()
    card = page.get_by_role("article", name="Plan: run restart")
    await expect(card).to_contain_text("payments restarted")
    await expect(card).to_contain_text("Approved by operator")
    await expect(approve).to_have_count(0)
    assert web.bot.calls.of("restart") == [{"unit": "payments"}]
    await page.screenshot(path=str(tmp_path / "approved.png"), full_page=True)
    assert (tmp_path / "approved.png").stat().st_size > 10_000


async def test_denying_runs_nothing(browser, start_web: StartWeb):
    web = await start_web()
    page = await open_page(browser, web)
    await send(page, "!restart unit=db")
    await page.get_by_role("button", name="Deny: run restart").click()
    await expect(page.get_by_role("article", name="Plan: run restart")).to_contain_text("denied")
    await expect(page.locator(".msg.bot")).to_contain_text("Denied by")
    assert web.bot.calls.of("restart") == []


async def test_an_attached_screenshot_shows_its_ocr_text(browser, start_web: StartWeb, shared_perceiver,
                                                         tmp_path: Path):
    web = await start_web(perceiver=shared_perceiver)
    shot = tmp_path / "pods.png"
    shot.write_bytes(terminal_screenshot())
    page = await open_page(browser, web)
    await page.locator("#file-input").set_input_files(str(shot))
    await expect(page.locator("#attachments")).to_contain_text("pods.png")
    await send(page, "why is this crashing?")
    perceived = page.get_by_label("What the bot read")
    await expect(perceived).to_contain_text("CrashLoopBackOff")
    await expect(perceived).to_contain_text("[image: pods.png")
    await page.screenshot(path=str(tmp_path / "ocr.png"), full_page=True)


async def test_an_attached_video_plays_beside_its_timeline(browser, start_web: StartWeb, shared_perceiver,
                                                           tmp_path: Path):
    from tests.clips import clip

    web = await start_web(perceiver=shared_perceiver)
    video = tmp_path / "screen.webm"
    video.write_bytes(clip([(terminal_screenshot(["$ uptime"]), 2),
                            (terminal_screenshot(["$ uptime", "ERROR load average 42.0"]), 2)], fmt="webm"))
    page = await open_page(browser, web)
    await page.locator("#file-input").set_input_files(str(video))
    await expect(page.locator("#attachments")).to_contain_text("screen.webm")
    await send(page, "what is this?")
    perceived = page.get_by_label("What the bot read")
    await expect(perceived).to_contain_text('on screen at 0:00: "$ uptime"')
    await expect(perceived).to_contain_text('at 0:02: "ERROR load average 42.0"')
    player = page.get_by_label("Video: screen.webm")
    await expect(player).to_have_attribute("src", re.compile(r"^blob:"))
    duration = await player.evaluate("""node => new Promise(done => node.readyState >= 1 ? done(node.duration)
        : node.addEventListener("loadedmetadata", () => done(node.duration)))""")
    assert 3 <= duration <= 4.5  # the browser decodes the stored clip: it is playable
    await page.screenshot(path=str(tmp_path / "video.png"), full_page=True)


async def test_with_tokens_the_page_asks_for_one_and_keeps_it_for_the_tab(browser, start_web: StartWeb):
    web = await start_web(tokens=TOKENS)
    page = await open_page(browser, web)
    token_box = page.get_by_label("Access token")
    await expect(token_box).to_be_visible()
    await token_box.fill("wrong")
    await page.get_by_role("button", name="Use token").click()
    await expect(page.get_by_role("alert")).to_contain_text("not accepted")
    await token_box.fill(TOKENS["alice"])
    await page.get_by_role("button", name="Use token").click()
    await expect(token_box).to_be_hidden()
    await send(page, "!ping host=with-token")
    await expect(page.get_by_role("article", name="Plan: run ping")).to_contain_text("pong from with-token")
    assert await page.evaluate("sessionStorage.getItem('chatops-token')") == TOKENS["alice"]
    await page.reload()
    await expect(page.get_by_role("navigation", name="Threads")).to_contain_text("!ping host=with-token")
    await expect(token_box).to_be_hidden()


async def test_keyboard_only_use_on_a_phone_sized_screen(browser, start_web: StartWeb, tmp_path: Path):
    web = await start_web()
    page = await open_page(browser, web, width=390, height=800)
    await page.get_by_label("Message").focus()
    await page.keyboard.type("!restart unit=cache")
    await page.keyboard.press("Enter")
    approve = page.get_by_role("button", name="Approve: run restart")
    await expect(approve).to_be_visible()
    await approve.focus()
    await page.keyboard.press("Enter")
    card = page.get_by_role("article", name="Plan: run restart")
    await expect(card).to_contain_text("cache restarted")
    await expect(card).to_be_focused()  # focus stays on the card that was decided
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    await page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)


async def test_recording_a_voice_note_in_the_page_sends_it_through_perception(browser, start_web: StartWeb,
                                                                             shared_perceiver):
    web = await start_web(perceiver=shared_perceiver)
    page = await open_page(browser, web)
    record = page.get_by_role("button", name="Record")
    await expect(record).to_be_visible()
    await record.click()
    stop = page.get_by_role("button", name="Stop recording")
    await expect(stop).to_have_attribute("aria-pressed", "true")
    await page.wait_for_timeout(1500)
    await stop.click()
    await expect(page.locator("#attachments")).to_contain_text("voice-note.")
    await send(page, "listen to this")
    perceived = page.get_by_label("What the bot read")
    # the clip was decoded and run through Whisper: a fake microphone plays a tone, not speech
    await expect(perceived).to_contain_text("[voice note, 0:0", timeout=30_000)  # Whisper loads on first use
    message = (await web.request("GET", "/api/v1/threads")).body["threads"][0]
    view = await web.thread(message["id"])
    attachment = view["messages"][0]["attachments"][0]
    assert attachment["mime_type"].split("/")[0] in ("audio", "video") and attachment["size"] > 1000
