"""Follow-ups in one thread through the HTTP API (issue 11): "try that once more", "and on X?"."""

from __future__ import annotations

from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo, FunctionModel

from bot.agent.guided import GuidedPlanner
from tests.http.conftest import done


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


