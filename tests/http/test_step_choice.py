"""Per-step decisions in the web chat and the HTTP API (issue 24): approve some of a plan's waiting
steps and skip the others, as on Slack and Discord. Through the API (`steps` in the decision) and
in the real browser (a checkbox per waiting step), with the card and the audit log saying which."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from tests.conftest import ScriptedModel, reply
from tests.http.conftest import StartWeb
from tests.http.test_browser import open_page, send
from tests.http.test_web_surfaces import axe_violations, shots

BOTH = ({"tool": "restart", "args": {"unit": "web"}}, {"tool": "restart", "args": {"unit": "db"}})


def planner() -> ScriptedModel:
    return ScriptedModel([reply(*BOTH, goal="restart web and db"), reply(answer="db restarted")])


async def test_the_api_approves_only_the_steps_named_and_skips_the_rest(start_web: StartWeb):
    web = await start_web(planner().planner())
    asked = await web.say("restart web and db")
    assert asked.status == 201, asked.body
    plan = asked.body["plans"][-1]
    first, second = (step["id"] for step in plan["steps"])
    path = f"/api/v1/plans/{plan['id']}/decision"

    denied_with_steps = await web.request("POST", path, json={"decision": "deny", "steps": [second]})
    assert denied_with_steps.status == 400 and "steps go with approve" in denied_with_steps.body["error"]["message"]
    unknown = await web.request("POST", path, json={"decision": "approve", "steps": ["s-nope"]})
    assert unknown.status == 400 and "not a step of this plan: s-nope" in unknown.body["error"]["message"]
    empty = await web.request("POST", path, json={"decision": "approve", "steps": []})
    assert empty.status == 400, empty.body
    assert web.bot.calls.of("restart") == []

    decided = await web.request("POST", path, json={"decision": "approve", "steps": [second]})
    assert decided.status == 200, decided.body
    view = await web.wait_for(asked.body["id"], lambda v: v["messages"][-1]["role"] == "bot")
    steps = view["plans"][-1]["steps"]
    assert [s["status"] for s in steps] == ["skipped", "succeeded"]
    assert all(s["decided_by"] == "local:operator" for s in steps)
    assert web.bot.calls.of("restart") == [{"unit": "db"}]
    [audit] = await web.bot.store.audit_log(kind="plan.decided")
    assert audit["detail"]["steps"] == [second]

    again = await web.request("POST", path, json={"decision": "approve", "steps": [first]})
    assert again.status == 409 and "already" in again.body["error"]["message"], again.body


async def test_in_the_page_unticking_a_step_approves_only_the_others(browser, start_web: StartWeb, tmp_path: Path):
    web = await start_web(planner().planner())
    page = await open_page(browser, web, width=1280, height=860)
    await send(page, "restart web and db")
    card = page.get_by_role("article", name="Plan: restart web and db")
    choice = card.get_by_role("group", name="Steps to approve")
    await expect(choice.get_by_role("checkbox")).to_have_count(2)
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        assert await axe_violations(page) == [], scheme
    approve = card.get_by_role("button", name="Approve: restart web and db")
    await expect(approve).to_have_text("Approve")
    await choice.get_by_role("checkbox", name="1. restart unit=web write").uncheck()
    await expect(approve).to_have_text("Approve 1 of 2 steps")
    await page.screenshot(path=str(shots(tmp_path) / "step-choice.png"))
    await choice.get_by_role("checkbox", name="2. restart unit=db write").uncheck()
    await expect(approve).to_be_disabled()  # nothing ticked: nothing to approve
    await choice.get_by_role("checkbox", name="2. restart unit=db write").check()
    await approve.click()

    await expect(page.locator("#status")).to_contain_text("Approved step 2; the others are skipped.")
    await expect(page.locator(".msg.bot")).to_contain_text("db restarted")
    await expect(card).to_contain_text("Approved only step 2 (the others skipped) by local:operator")
    await expect(card.locator('[data-step-id] .outcome, [data-step-id]').first).to_contain_text("skipped")
    await expect(choice).to_have_count(0)
    assert web.bot.calls.of("restart") == [{"unit": "db"}]
    await page.reload()  # the stored view says the same
    await expect(page.get_by_role("article", name="Plan: restart web and db")) \
        .to_contain_text("Approved only step 2 (the others skipped)")
    assert page.errors == []  # type: ignore[attr-defined]


async def test_on_a_phone_the_step_choice_fits_and_passes_axe(browser, start_web: StartWeb, tmp_path: Path):
    web = await start_web(planner().planner())
    asked = await web.say("restart web and db")
    for scheme in ("light", "dark"):
        page = await browser.new_page(viewport={"width": 390, "height": 844}, color_scheme=scheme)
        await page.goto(f"{web.url}/#thread={asked.body['id']}")
        choice = page.get_by_role("group", name="Steps to approve")
        await expect(choice.get_by_role("checkbox")).to_have_count(2)
        box = await choice.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert await axe_violations(page) == [], scheme
        await page.screenshot(path=str(shots(tmp_path) / f"step-choice-390-{scheme}.png"))
        await page.close()
