"""The planner's one model request (bot/agent/structured_reply.py), driven by pydantic-ai's own
`FunctionModel`: what the model is sent, how a reply that does not fit is sent back once, and how
the planner reports what still does not fit. The real OpenAI wire is in tests/test_model_wire.py."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from pydantic_ai.exceptions import UnexpectedModelBehavior
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from chatops.bot.agent.planner import INSTRUCTIONS, ModelPlanner, PlannerReply, reply_schema
from chatops.bot.agent.planning import PlannerError, PlanRequest
from chatops.bot.agent.structured_reply import OUTPUT_TOOL, ReplyShape, structured_reply
from chatops.bot.model import Answer, Plan, Risk, UserRef
from chatops.tools.registry import spec_of, tool

ALICE = UserRef(platform="console", id="alice", name="alice")


@tool(risk="write")
async def restart_unit(unit: str) -> str:
    """Restart a systemd unit."""
    return f"{unit} restarted"


RESTART = spec_of(restart_unit)
SCHEMA = reply_schema([RESTART], 5)
PLAN = {"goal": "restart nginx", "steps": [{"tool": "restart_unit", "args": {"unit": "nginx"}, "reason": "asked"}],
        "answer": ""}


class Scripted:
    """Gives the scripted responses in order and keeps what each request carried."""

    def __init__(self, *responses: ModelResponse) -> None:
        self.responses = list(responses)
        self.requests: list[tuple[list[ModelMessage], AgentInfo]] = []
        self.model = FunctionModel(self.function)

    async def function(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.requests.append((list(messages), info))
        return self.responses[min(len(self.requests), len(self.responses)) - 1]


def call(args: Any, name: str = OUTPUT_TOOL) -> ModelResponse:
    return ModelResponse(parts=[ToolCallPart(name, args if isinstance(args, str) else json.dumps(args),
                                             tool_call_id="call-1")])


def shape(native: bool = False) -> ReplyShape[PlannerReply]:
    return ReplyShape(PlannerReply, SCHEMA, name="reply", description="a plan of tool calls, or an answer",
                      native=native)


async def test_the_model_is_sent_the_prompt_the_instructions_and_the_reply_schema_as_its_only_tool() -> None:
    model = Scripted(call(PLAN))
    reply = await structured_reply(model.model, "restart nginx", shape(), instructions=INSTRUCTIONS,
                                   settings={"temperature": 0.0})
    assert reply == PlannerReply.model_validate(PLAN)
    [(messages, info)] = model.requests
    assert [tool.name for tool in info.output_tools] == [OUTPUT_TOOL] and info.function_tools == []
    assert info.output_tools[0].parameters_json_schema == SCHEMA and not info.allow_text_output
    assert info.instructions == INSTRUCTIONS.strip() and info.model_settings == {"temperature": 0.0}
    assert messages[0].parts[0].content == "restart nginx"


async def test_a_reply_that_does_not_fit_is_sent_back_once_with_what_is_wrong() -> None:
    model = Scripted(call({"goal": "x", "steps": "all of them"}), call(PLAN))
    reply = await structured_reply(model.model, "restart nginx", shape(), instructions=INSTRUCTIONS)
    assert reply.steps[0].args == {"unit": "nginx"} and len(model.requests) == 2
    sent_back = model.requests[1][0][-1]
    assert isinstance(sent_back, ModelRequest) and sent_back.instructions == INSTRUCTIONS
    [part] = sent_back.parts
    assert isinstance(part, ToolReturnPart) and part.outcome == "retried" and part.tool_call_id == "call-1"
    assert "steps" in part.content and "Fix the errors" in part.content


async def test_malformed_json_in_the_tool_call_is_sent_back_too() -> None:
    model = Scripted(call('{"goal": "restart", "steps": ['), call(PLAN))
    reply = await structured_reply(model.model, "restart nginx", shape(), instructions=INSTRUCTIONS)
    assert reply.goal == "restart nginx"
    assert "Invalid JSON" in model.requests[1][0][-1].parts[0].content


async def test_text_instead_of_the_tool_call_is_asked_for_again() -> None:
    model = Scripted(ModelResponse(parts=[TextPart("Sure, I will restart nginx.")]), call(PLAN))
    await structured_reply(model.model, "restart nginx", shape(), instructions=INSTRUCTIONS)
    [part] = model.requests[1][0][-1].parts
    assert "Please include your response in a tool call" in str(part.content)  # as the model reads it


async def test_another_tool_name_is_refused_and_sent_back() -> None:
    model = Scripted(call(PLAN, name="restart_unit"), call(PLAN))
    await structured_reply(model.model, "restart nginx", shape(), instructions=INSTRUCTIONS)
    [part] = model.requests[1][0][-1].parts
    assert isinstance(part, ToolReturnPart) and "Unknown tool name: 'restart_unit'" in part.content


async def test_two_replies_that_do_not_fit_are_an_error_after_one_retry() -> None:
    model = Scripted(call({"steps": 3}))
    with pytest.raises(UnexpectedModelBehavior, match="Exceeded maximum retries"):
        await structured_reply(model.model, "restart nginx", shape(), instructions=INSTRUCTIONS, retries=1)
    assert len(model.requests) == 2


async def test_native_output_asks_for_json_schema_text_and_reads_it() -> None:
    model = Scripted(ModelResponse(parts=[TextPart("{\"goal\": ")]), ModelResponse(parts=[TextPart(json.dumps(PLAN))]))
    reply = await structured_reply(model.model, "restart nginx", shape(native=True), instructions=INSTRUCTIONS)
    assert reply.steps[0].tool == "restart_unit"
    parameters = model.requests[0][1].model_request_parameters
    assert parameters.output_mode == "native" and parameters.output_object.json_schema == SCHEMA
    [part] = model.requests[1][0][-1].parts
    assert "Invalid JSON" in str(part.content) and "Fix the errors" in str(part.content)


# --- through the planner -------------------------------------------------------------------------


def request(text: str = "restart nginx") -> PlanRequest:
    return PlanRequest(text=text, requester=ALICE, tools=[RESTART])


async def test_the_planner_makes_one_request_per_plan_and_takes_risks_from_the_registry() -> None:
    model = Scripted(call(PLAN))
    outcome = await ModelPlanner(model.model).plan(request())
    assert isinstance(outcome, Plan) and len(model.requests) == 1
    assert [(step.tool, step.args, step.risk) for step in outcome.steps] == [("restart_unit", {"unit": "nginx"},
                                                                              Risk.write)]
    answered = await ModelPlanner(Scripted(call({"goal": "", "steps": [], "answer": "Nothing to do."})).model
                                  ).plan(request("thanks"))
    assert answered == Answer(text="Nothing to do.")


async def test_a_planner_reply_that_never_fits_is_a_planner_error_for_the_thread() -> None:
    with pytest.raises(PlannerError, match="the model returned something I could not use"):
        await ModelPlanner(Scripted(ModelResponse(parts=[TextPart("no")])).model).plan(request())


async def test_a_model_slower_than_the_timeout_is_a_planner_error_and_frees_its_slot() -> None:
    async def slow(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        await asyncio.sleep(5)
        return call(PLAN)

    planner = ModelPlanner(FunctionModel(slow), timeout=0.2, concurrency=asyncio.Semaphore(1))
    with pytest.raises(PlannerError, match=r"did not answer within 0\.2 s"):
        await planner.plan(request())
    assert not planner.concurrency.locked()  # the next plan is not stuck behind the timed-out one
