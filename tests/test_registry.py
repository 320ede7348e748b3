"""The tool registry: schemas derived from signatures, validation errors that name the field."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field

from chatops.bot.model import Risk, ThreadRef, UserRef
from chatops.tools import ToolContext, ToolRegistry, tool
from chatops.tools.registry import ToolArgumentError, render_result, spec_of


@tool(risk="write", timeout=7, roles=("oncall",), keywords=("scale",))
async def scale(ctx: ToolContext, deployment: str, replicas: Annotated[int, Field(ge=0, le=50)] = 1,
                mode: Literal["fast", "safe"] = "safe") -> str:
    """Scale a deployment.

    Args:
        deployment: the deployment's name
        replicas: how many pods
        mode: how to roll
    """
    return f"{ctx.requester.id} scaled {deployment} to {replicas} ({mode})"


class Report(BaseModel):
    count: int

    def summary(self) -> str:
        return f"{self.count} things"


def test_the_decorator_records_everything_the_bot_needs():
    spec = spec_of(scale)
    assert (spec.name, spec.risk, spec.timeout, spec.roles, spec.keywords) == (
        "scale", Risk.write, 7.0, ("oncall",), ("scale",))
    assert spec.description.startswith("Scale a deployment.")
    schema = spec.parameters_schema
    assert schema["required"] == ["deployment"]
    assert schema["properties"]["deployment"] == {"description": "the deployment's name", "type": "string"}
    assert schema["properties"]["replicas"]["maximum"] == 50  # Annotated limits survive the context parameter
    assert schema["properties"]["mode"]["enum"] == ["fast", "safe"]
    assert "ctx" not in schema["properties"]


def test_validation_fills_defaults_and_names_every_bad_field():
    spec = spec_of(scale)
    assert spec.validate({"deployment": "web"}) == {"deployment": "web", "replicas": 1, "mode": "safe"}
    with pytest.raises(ToolArgumentError) as refused:
        spec.validate({"replicas": 99, "mode": "yolo", "extra": 1})
    message = str(refused.value)
    for field in ("deployment: Field required", "replicas:", "mode:", "extra:"):
        assert field in message
    with pytest.raises(ToolArgumentError, match="arguments must be an object"):
        spec.validate(["web"])  # type: ignore[arg-type]


async def test_a_tool_receives_its_context():
    spec = spec_of(scale)
    ctx = ToolContext(requester=UserRef(platform="console", id="bob"), thread=ThreadRef(platform="console", thread="x"))
    assert await spec.run(ctx, spec.validate({"deployment": "api", "replicas": 3})) == "bob scaled api to 3 (safe)"


def test_names_are_unique_and_only_functions_are_tools():
    registry = ToolRegistry([scale])
    with pytest.raises(ValueError, match="already registered"):
        registry.add(scale)
    with pytest.raises(TypeError, match="needs a function"):
        tool("not a function")  # type: ignore[arg-type]


async def test_a_plain_function_runs_in_a_worker_thread_and_an_unannotated_ctx_is_the_context():
    import threading

    @tool(risk="read")
    def where(ctx, label: str) -> str:
        """Say which thread ran the tool.

        Args:
            label: a word to echo
        """
        return f"{label} for {ctx.requester.id} on {threading.current_thread().name}"

    spec = spec_of(where)
    assert list(spec.parameters_schema["properties"]) == ["label"]  # ctx is never a user parameter
    ctx = ToolContext(requester=UserRef(platform="console", id="bob"), thread=ThreadRef(platform="console", thread="x"))
    answer = await spec.run(ctx, spec.validate({"label": "hi"}))
    assert answer.startswith("hi for bob on ") and threading.current_thread().name not in answer


def test_results_render_as_data_and_a_summary():
    assert render_result(Report(count=3)) == ({"count": 3}, "3 things")
    assert render_result("plain text") == ("plain text", "plain text")
    assert render_result(None) == (None, "done")
    data, summary = render_result({"k": "v" * 5000})
    assert data == {"k": "v" * 5000} and len(summary) < 2100
