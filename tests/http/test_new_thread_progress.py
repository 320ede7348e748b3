"""A new thread shows its progress before its plan is made (issue 24): `POST /api/v1/threads`
with `Prefer: respond-async` answers 202 with the thread's id once the message is stored, and the
web chat follows the thread's events from then on, so a slow model shows the message, then the
card as its plan event arrives, instead of a spinner over an empty page (main: nothing until the
plan was made, because a new thread had no event stream yet)."""

from __future__ import annotations

import asyncio
import json
import time

from playwright.async_api import expect
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from chatops.bot.agent.planner import ModelPlanner
from tests.conftest import reply
from tests.http.conftest import StartWeb
from tests.http.test_browser import open_page, send


class HeldModel:
    """A model that plans only when the test lets it: a slow model, as slow as the test wants."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.asked = asyncio.Event()

    async def function(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        first = not self.asked.is_set()
        self.asked.set()
        await self.release.wait()
        plan = reply({"tool": "ping", "args": {"host": "web1"}}, goal="check web1") if first \
            else reply(answer="web1 answers pings")
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, json.dumps(plan))])

    def planner(self) -> ModelPlanner:
        return ModelPlanner(FunctionModel(self.function))


async def test_respond_async_answers_202_once_the_message_is_stored_and_the_events_follow(start_web: StartWeb):
    model = HeldModel()
    web = await start_web(model.planner())
    started = time.monotonic()
    accepted = await web.request("POST", "/api/v1/threads", json={"text": "is web1 up?"},
                                 headers={"Prefer": "respond-async", "Idempotency-Key": "k-1"})
    assert accepted.status == 202, accepted.body
    assert time.monotonic() - started < 5 and not model.release.is_set()
    thread = accepted.body["id"]
    assert accepted.headers["Location"] == f"/api/v1/threads/{thread}"
    assert accepted.headers["Preference-Applied"] == "respond-async"
    view = await web.thread(thread)  # readable at once: the message is there, no plan yet
    assert [m["text"] for m in view["messages"]] == ["is web1 up?"] and view["plans"] == []

    async with web.session.get(f"{web.url}/api/v1/threads/{thread}/events",
                               headers={"Last-Event-ID": "0"}) as stream:
        assert stream.status == 200
        model.release.set()
        seen: list[dict] = []
        while not any(event["type"] == "answer" for event in seen):
            line = (await asyncio.wait_for(stream.content.readline(), 10)).decode()
            if line.startswith("data:"):
                seen.append(json.loads(line[5:]))
    assert [event["type"] for event in seen][:1] == ["plan"] and seen[0]["goal"] == "check web1"
    again = await web.request("POST", "/api/v1/threads", json={"text": "is web1 up?"},
                              headers={"Prefer": "respond-async", "Idempotency-Key": "k-1"})
    assert again.status == 201 and again.body["id"] == thread  # a retry: the same turn, now settled
    assert web.bot.calls.of("ping") == [{"host": "web1"}]


async def test_without_the_preference_the_answer_is_still_201_after_the_plan(start_web: StartWeb):
    model = HeldModel()
    web = await start_web(model.planner())
    posting = asyncio.create_task(web.request("POST", "/api/v1/threads", json={"text": "is web1 up?"}))
    await asyncio.wait_for(model.asked.wait(), 10)
    await asyncio.sleep(0.3)
    assert not posting.done()  # the contract as before: it waits for the plan
    model.release.set()
    answered = await posting
    assert answered.status == 201 and answered.body["plans"], answered.body


async def test_the_page_shows_a_new_threads_message_while_the_model_plans_then_the_card(browser, start_web: StartWeb):
    model = HeldModel()
    web = await start_web(model.planner())
    page = await open_page(browser, web, width=1280, height=860)
    await send(page, "is web1 up?")
    await asyncio.wait_for(model.asked.wait(), 10)
    conversation = page.get_by_label("Conversation")
    await expect(conversation.locator(".msg.mine")).to_contain_text("is web1 up?", timeout=3000)
    await expect(page.locator("#status")).to_contain_text("Planning…")
    assert not model.release.is_set()  # all of that while the model is still planning
    model.release.set()
    card = page.get_by_role("article", name="Plan: check web1")
    await expect(card).to_contain_text("pong from web1")
    await expect(page.locator(".msg.bot")).to_contain_text("web1 answers pings")
    await expect(page.locator("#status")).to_have_text("")
    await expect(page.get_by_role("navigation", name="Threads")).to_contain_text("is web1 up?")
    assert page.errors == []  # type: ignore[attr-defined]
