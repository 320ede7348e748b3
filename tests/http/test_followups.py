"""Follow-ups in one thread through the HTTP API (issue 11): "try that once more", "and on X?"."""

from __future__ import annotations

from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo, FunctionModel

from chatops.bot.agent.guided import GuidedPlanner
from chatops.tools.builtin.http_check import http_check
from tests.http.conftest import done
from tests.http.test_uploads_and_events import form
from tests.screens import terminal_screenshot


def no_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    raise AssertionError("the guided planner should not need the model here")


async def test_follow_ups_in_one_thread_through_the_http_api(start_web):
    web = await start_web(GuidedPlanner(FunctionModel(no_model)))

    first = await web.say("ping db1.example.com")
    assert first.status == 201, first.body
    thread = first.body["id"]
    await web.wait_for(thread, done)
    again = await web.say("try that once more", thread=thread)
    assert again.status == 201, again.body
    other = await web.say("and on db3.example.com?", thread=thread)
    assert other.status == 201, other.body
    view = await web.wait_for(thread, lambda v: done(v) and len(v["plans"]) == 3)

    assert [[(s["tool"], s["args"]) for s in plan["steps"]] for plan in view["plans"]] == [
        [("ping", {"host": "db1.example.com"})], [("ping", {"host": "db1.example.com"})],
        [("ping", {"host": "db3.example.com"})]]
    assert web.bot.calls.of("ping")[-1] == {"host": "db3.example.com"}




async def test_a_screenshot_question_over_the_api_waits_for_the_requester_and_says_where_values_came_from(
        start_web, shared_perceiver, http_server):
    web = await start_web(GuidedPlanner(FunctionModel(no_model)), perceiver=shared_perceiver)
    web.bot.hub.registry.add(http_check)
    url = f"{http_server}/health"
    screen = terminal_screenshot([f"$ curl -sI {url}", "HTTP/1.1 502 Bad Gateway"])
    created = await web.request("POST", "/api/v1/threads", data=form("what is wrong here?",
                                                                    ("curl.png", screen, "image/png")))
    assert created.status == 201, created.body
    [plan] = created.body["plans"]
    [step] = plan["steps"]
    assert (step["tool"], step["args"], step["status"]) == ("http_check", {"url": url}, "proposed")
    assert step["tainted"] is True and "the screenshot curl.png" in step["provenance"]
    assert plan["status"] == "proposed"  # a read step, and still nothing was fetched

    decided = await web.request("POST", f"/api/v1/plans/{plan['id']}/decision", json={"decision": "approve"})
    assert decided.status == 200, decided.body
    view = await web.wait_for(created.body["id"], done)
    [finished] = view["plans"][0]["steps"]
    assert finished["status"] == "succeeded" and finished["result"]["status"] == 200
