"""The tool registry and the `@tool` decorator.

A tool is an async function with typed parameters; the decorator records everything the bot
needs (name, description, risk, timeout, roles) the way errbot's `@botcmd` does. The JSON schema
and the argument validator come from pydantic-ai's own signature reader (`pydantic_ai.Tool`),
which also reads the docstring's `Args:` section, so no schema is written by hand.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, get_type_hints

from pydantic import BaseModel, ValidationError
from pydantic_ai import Tool

from bot.model import Risk
from tools.context import ToolContext

ToolRunner = Callable[[ToolContext, dict[str, Any]], Awaitable[Any]]

SPEC_ATTRIBUTE = "__chatops_tool__"


class ToolArgumentError(ValueError):
    """Arguments that do not fit a tool's schema; the message names each bad field."""


@dataclass(frozen=True)
class ToolSpec:
    """Everything the planner, the policy and the executor need to know about one tool."""

    name: str
    description: str
    risk: Risk
    timeout: float
    roles: tuple[str, ...]
    parameters_schema: dict[str, Any]
    run: ToolRunner
    validate_args: Callable[[dict[str, Any]], dict[str, Any]]
    source: str = "builtin"
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = field(default=())
    options: type[BaseModel] | None = None
    """The tool's `[tools.<name>]` table as a pydantic model, so `chatops check-config` and start-up
    report a misspelled or mistyped option; None when the tool takes no options."""

    @property
    def summary(self) -> str:
        """The first line of the description, for lists and prompts."""
        return self.description.strip().splitlines()[0] if self.description.strip() else self.name

    def validate(self, args: dict[str, Any]) -> dict[str, Any]:
        """Validated, defaults-filled arguments, or `ToolArgumentError` naming every bad field."""
        if not isinstance(args, dict):
            raise ToolArgumentError(f"arguments must be an object, not {type(args).__name__}")
        try:
            return self.validate_args(args)
        except ValidationError as exc:
            raise ToolArgumentError(format_validation_error(exc)) from None


def format_validation_error(exc: ValidationError) -> str:
    """`url: Input should be a valid string; count: Field required` — short and field-first."""
    problems = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error.get("loc", ())) or "arguments"
        problems.append(f"{location}: {error.get('msg', 'invalid')}")
    return "; ".join(problems)


def _takes_context(fn: Callable[..., Any]) -> bool:
    params = list(inspect.signature(fn).parameters.values())
    if not params:
        return False
    hints = get_type_hints(fn)
    return hints.get(params[0].name) is ToolContext


def _without_context(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The same function as pydantic-ai should see it: the `ToolContext` parameter hidden."""
    signature = inspect.signature(fn)
    params = list(signature.parameters.values())[1:]

    @functools.wraps(fn)
    async def visible(*args: Any, **kwargs: Any) -> Any:  # pragma: no cover - never called
        raise NotImplementedError

    visible.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    hints = get_type_hints(fn, include_extras=True)
    first = next(iter(signature.parameters))
    visible.__annotations__ = {k: v for k, v in hints.items() if k != first}
    return visible


def tool(
    fn: Callable[..., Awaitable[Any]] | None = None,
    *,
    name: str | None = None,
    risk: Risk | str = Risk.read,
    timeout: float = 30.0,
    roles: Iterable[str] = (),
    keywords: Iterable[str] = (),
    examples: Iterable[str] = (),
    options: type[BaseModel] | None = None,
) -> Any:
    """Declare an async function as a tool. Its signature is the schema, its docstring the
    description (with an `Args:` section for parameter descriptions). The first parameter may
    be a `ToolContext`. `keywords` are words that suggest the tool to small planners; `options` is
    the model of its `[tools.<name>]` config table (handed to it as `ToolContext.config`)."""

    def decorate(func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        if not inspect.iscoroutinefunction(func):
            raise TypeError(f"tool {func.__name__!r} must be an async function")
        takes_ctx = _takes_context(func)
        schema_source = _without_context(func) if takes_ctx else func
        pyd_tool = Tool(schema_source, takes_ctx=False, name=name or func.__name__)
        validator = pyd_tool.function_schema.validator

        async def run(ctx: ToolContext, args: dict[str, Any]) -> Any:
            return await (func(ctx, **args) if takes_ctx else func(**args))

        spec = ToolSpec(
            name=pyd_tool.name,
            description=pyd_tool.tool_def.description or "",
            risk=Risk(risk),
            timeout=float(timeout),
            roles=tuple(roles),
            parameters_schema=pyd_tool.tool_def.parameters_json_schema,
            run=run,
            validate_args=validator.validate_python,
            keywords=tuple(keywords),
            examples=tuple(examples),
            options=options,
        )
        setattr(func, SPEC_ATTRIBUTE, spec)
        return func

    return decorate(fn) if fn is not None else decorate


def spec_of(obj: Any) -> ToolSpec:
    """The `ToolSpec` of a decorated function (or a spec itself)."""
    if isinstance(obj, ToolSpec):
        return obj
    spec = getattr(obj, SPEC_ATTRIBUTE, None)
    if spec is None:
        raise TypeError(f"{obj!r} is not a tool: decorate it with @tool")
    return spec


class ToolRegistry:
    """The tools this bot may plan with, by name. Names are unique: a second tool with a taken
    name is refused, so a runbook can never silently shadow a built-in."""

    def __init__(self, tools: Iterable[Any] = ()) -> None:
        self._tools: dict[str, ToolSpec] = {}
        for item in tools:
            self.add(item)

    def add(self, item: Any, *, source: str | None = None) -> ToolSpec:
        spec = spec_of(item)
        if source is not None and spec.source != source:
            spec = ToolSpec(**{**spec.__dict__, "source": source})
        if spec.name in self._tools:
            raise ValueError(f"a tool named {spec.name!r} is already registered ({self._tools[spec.name].source})")
        self._tools[spec.name] = spec
        return spec

    def get(self, name: str) -> ToolSpec | None:
        return self._tools.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def specs(self) -> list[ToolSpec]:
        return sorted(self._tools.values(), key=lambda spec: spec.name)

    def names(self) -> list[str]:
        return sorted(self._tools)

    def describe(self) -> list[dict[str, Any]]:
        """What `chatops tools --json` prints: the public facts of every tool."""
        return [
            {
                "name": spec.name,
                "description": spec.description,
                "risk": spec.risk.value,
                "timeout": spec.timeout,
                "roles": list(spec.roles),
                "source": spec.source,
                "parameters": spec.parameters_schema,
            }
            for spec in self.specs()
        ]


def render_result(value: Any, *, limit: int = 2000) -> tuple[Any, str]:
    """A tool's return value as (JSON-able data, one short human summary).

    A pydantic model may define `summary()` for the one-liner; text is kept as it is."""
    if isinstance(value, BaseModel):
        data = value.model_dump(mode="json")
        summarize = getattr(value, "summary", None)
        text = summarize() if callable(summarize) else _compact(data)
    elif value is None:
        data, text = None, "done"
    elif isinstance(value, str):
        data, text = value, value
    else:
        data, text = value, _compact(value)
    if len(text) > limit:
        text = text[: limit - 20] + f"… ({len(text)} chars)"
    return data, text


def problem_of(value: Any) -> str | None:
    """The finding when a tool ran and found something wrong, else None.

    A result model says so by defining `problem()` (returning the finding or None): "it is down"
    is the tool doing its job, so it is reported as a problem, not as a failure of the tool. A
    plain dict may carry the same in a `"problem"` key (what plugins returning JSON can do)."""
    check = getattr(value, "problem", None)
    if callable(check):
        found = check()
        return str(found) if found else None
    if isinstance(value, dict) and value.get("problem"):
        return str(value["problem"])
    return None


def _compact(data: Any) -> str:
    import json

    return json.dumps(data, default=str, ensure_ascii=False, separators=(", ", ": "))
