"""The model planner's reply schemas, one per tool set (bot/agent/planner.py): a reload that
changes a tool under the same name is sent the new schema, and a process whose tool sets keep
changing (reloads, MCP `list_changed`, roles) keeps a bounded number of them (issue 22: the
chaos soak's RSS must stay flat)."""

from __future__ import annotations

import json
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from chatops.bot.agent.planner import MAX_REPLY_SHAPES, ModelPlanner
from chatops.bot.agent.planning import PlanRequest
from chatops.bot.agent.structured_reply import OUTPUT_TOOL
from chatops.bot.model import Plan, UserRef
from chatops.tools.registry import spec_of, tool

ALICE = UserRef(platform="console", id="alice", name="alice")


class Recording:
    """A model that plans `scale` and keeps the schema each request carried."""

    def __init__(self) -> None:
        self.schemas: list[dict[str, Any]] = []
        self.model = FunctionModel(self.reply)

    async def reply(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.schemas.append(info.output_tools[0].parameters_json_schema)
        plan = {"goal": "scale", "steps": [], "answer": "nothing to do"}
        return ModelResponse(parts=[ToolCallPart(OUTPUT_TOOL, json.dumps(plan), tool_call_id="call-1")])


def scale_v1():
    @tool(risk="write")
    async def scale(service: str) -> str:
        """Scale a service."""
        return service

    return spec_of(scale)


def scale_v2():
    """The same tool after a reload: same name, one more parameter."""

    @tool(risk="write")
    async def scale(service: str, replicas: int) -> str:
        """Scale a service to a number of replicas."""
        return f"{service} {replicas}"

    return spec_of(scale)


def numbered(n: int):
    """A tool an MCP server added after its n-th `list_changed`."""

    @tool(risk="read", name=f"added_{n}")
    async def added(query: str) -> str:
        """An added tool."""
        return query

    return spec_of(added)


def arguments_of(schema: dict[str, Any], name: str) -> dict[str, Any]:
    for variant in schema["properties"]["steps"]["items"]["anyOf"]:
        if variant["properties"]["tool"]["const"] == name:
            return variant["properties"]["args"]
    raise AssertionError(f"{name} is not in the schema")


async def test_a_tool_reloaded_with_new_parameters_is_sent_with_its_new_schema() -> None:
    model = Recording()
    planner = ModelPlanner(model.model)
    for spec in (scale_v1(), scale_v2()):
        await planner.plan(PlanRequest(text="scale web", requester=ALICE, tools=[spec]))
    before, after = (arguments_of(schema, "scale") for schema in model.schemas)
    assert "replicas" not in before["properties"]
    assert "replicas" in after["properties"] and "replicas" in after["required"]


async def test_the_reply_schemas_kept_stay_bounded_while_the_tool_sets_keep_changing() -> None:
    model = Recording()
    planner = ModelPlanner(model.model)
    base = [scale_v1()]
    for n in range(MAX_REPLY_SHAPES * 4):  # one more MCP tool each time, as after each list_changed
        outcome = await planner.plan(PlanRequest(text="scale web", requester=ALICE, tools=[*base, numbered(n)]))
        assert not isinstance(outcome, Plan)
        assert len(planner._shapes) <= MAX_REPLY_SHAPES
    # each request was still sent the schema of its own tool set
    assert arguments_of(model.schemas[-1], f"added_{MAX_REPLY_SHAPES * 4 - 1}")
    assert len(planner._shapes) == MAX_REPLY_SHAPES


async def test_a_tool_set_in_use_is_kept_while_others_come_and_go() -> None:
    model = Recording()
    planner = ModelPlanner(model.model)
    steady = [scale_v1()]
    await planner.plan(PlanRequest(text="scale web", requester=ALICE, tools=steady))
    kept = next(iter(planner._shapes.values()))
    for n in range(MAX_REPLY_SHAPES * 2):
        await planner.plan(PlanRequest(text="scale web", requester=ALICE, tools=[numbered(n)]))
        await planner.plan(PlanRequest(text="scale web", requester=ALICE, tools=steady))
    assert kept in planner._shapes.values()
