"""The tool registry and the `@tool` decorator.

A tool is a function with typed parameters (async, or plain and then run in a worker thread); the
decorator records everything the bot needs (name, description, risk, timeout, roles) the way
errbot's `@botcmd` does. The JSON schema
and the argument validator come from pydantic-ai's own signature reader (`pydantic_ai.Tool`),
which also reads the docstring's `Args:` section, so no schema is written by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import hashlib
import inspect
import json
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from pydantic import BaseModel, ValidationError

from chatops.bot.model import Risk
from chatops.tools.context import ToolContext

ToolRunner = Callable[[ToolContext, dict[str, Any]], Awaitable[Any]]

SPEC_ATTRIBUTE = "__chatops_tool__"
# Set on a function whose `@tool` could not be built while broken tools are being collected
# (plugin folders): `file:line: what is wrong`, so the module's other tools still load.
ERROR_ATTRIBUTE = "__chatops_tool_error__"
_collecting_broken = contextvars.ContextVar("chatops_collecting_broken_tools", default=False)
# A parameter's JSON-schema key naming where its value comes from when the request leaves it empty:
# a value the thread offers (`alert.labels`), filled by the hub after planning
# (`bot.agent.context_defaults`). A tool declares it with `Field(json_schema_extra={DEFAULT_FROM: …})`.
DEFAULT_FROM = "x-default-from"


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
    risk_reason: str = ""
    """Why the tool has its risk when it is not simply declared: an MCP annotation or a config override."""
    origin: str = ""
    """What the tool runs, as text to fingerprint: a plugin's module source, a runbook's argv and
    settings, an MCP server's command and tool definition. Part of `fingerprint()`."""

    def fingerprint(self) -> str:
        """A digest of everything that decides what running this tool does and who may approve it
        (name, risk, timeout, roles, schema, origin), stored with each proposed step: an approval
        is for the definition its approver saw, so a reload that changes any of these makes the
        old approval refuse to run the new definition (see `PinnedDefinitions.spec_for` in
        `bot/pinned_tools.py`). Computed once per spec (a turn asks for it several times per step:
        vetting, pinning, running); a spec is frozen and a reload builds new ones."""
        cached = self.__dict__.get("_fingerprint")
        if cached is None:
            material = json.dumps([self.name, self.risk.value, self.timeout, list(self.roles),
                                   self.parameters_schema, self.origin], sort_keys=True, default=str)
            cached = hashlib.sha256(material.encode()).hexdigest()[:32]
            object.__setattr__(self, "_fingerprint", cached)  # not a field: no effect on eq or replace
        return cached

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
    """A first parameter typed `ToolContext`, or named `ctx` with no type hint, is the context and
    never a user parameter (a plugin written without imports must not ask the user for `ctx`)."""
    params = list(inspect.signature(fn).parameters.values())
    if not params:
        return False
    if params[0].name == "ctx" and params[0].annotation is inspect.Parameter.empty:
        return True
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


@contextlib.contextmanager
def collecting_broken_tools() -> Iterator[None]:
    """While active, a `@tool` that cannot be built marks its function (`ERROR_ATTRIBUTE`) instead
    of raising, so one broken function costs only itself, not the module around it."""
    token = _collecting_broken.set(True)
    try:
        yield
    finally:
        _collecting_broken.reset(token)


def _origin_of(func: Callable[..., Any]) -> str:
    """A digest of the source file that defines `func` (its helpers included), or of its code
    object when there is no file; what a reload of a plugin changes."""
    code = getattr(func, "__code__", None)
    try:
        source = Path(code.co_filename).read_bytes() if code is not None else b""
    except OSError:
        source = b""
    if not source and code is not None:
        source = code.co_code + repr(code.co_consts).encode()
    return f"{getattr(func, '__module__', '')}.{getattr(func, '__qualname__', '')}:" \
           f"{hashlib.sha256(source).hexdigest()}"


def _where(func: Callable[..., Any]) -> str:
    code = getattr(func, "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code is not None else getattr(func, "__qualname__", "?")


def tool(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    risk: Risk | str = Risk.read,
    timeout: float = 30.0,
    roles: Iterable[str] = (),
    keywords: Iterable[str] = (),
    examples: Iterable[str] = (),
    options: type[BaseModel] | None = None,
) -> Any:
    """Declare a function as a tool. Its signature is the schema, its docstring the description
    (with an `Args:` section for parameter descriptions). The first parameter may be a
    `ToolContext` (or an unannotated `ctx`). A plain function runs in a worker thread, so it
    cannot block the event loop (a timeout then stops waiting for it, but cannot stop the
    thread). `keywords` are words that suggest the tool to small planners; `options` is the model
    of its `[tools.<name>]` config table (handed to it as `ToolContext.config`)."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        if not _collecting_broken.get():
            return _decorate(func)
        try:
            return _decorate(func)
        except Exception as exc:
            setattr(func, ERROR_ATTRIBUTE, f"{_where(func)}: {type(exc).__name__}: {exc}")
            return func

    def _decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(func):
            raise TypeError(f"@tool needs a function, not {type(func).__name__}")
        is_async = inspect.iscoroutinefunction(func)
        takes_ctx = _takes_context(func)
        from pydantic_ai import Tool  # here, not at the top: importing the registry must stay cheap at start

        schema_source = _without_context(func) if takes_ctx else func
        pyd_tool = Tool(schema_source, takes_ctx=False, name=name or func.__name__)
        validator = pyd_tool.function_schema.validator

        async def run(ctx: ToolContext, args: dict[str, Any]) -> Any:
            call = functools.partial(func, ctx, **args) if takes_ctx else functools.partial(func, **args)
            if is_async:
                return await call()
            return await asyncio.to_thread(call)

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
            origin=_origin_of(func),
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
                "risk_reason": spec.risk_reason,
                "parameters": spec.parameters_schema,
            }
            for spec in self.specs()
        ]


def without_titles(schema: Any) -> Any:
    """A JSON schema minus pydantic's generated `title`s, which only cost prompt tokens."""
    if isinstance(schema, list):
        return [without_titles(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    cleaned: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            cleaned[key] = {name: without_titles(sub) for name, sub in value.items()}
        else:
            cleaned[key] = without_titles(value)
    return cleaned


def render_result(value: Any, *, limit: int = 2000) -> tuple[Any, str]:
    """A tool's return value as (JSON-able data, one short human summary).

    A pydantic model may define `summary()` for the one-liner, and `result_data()` when the data
    to keep is not the whole model; text is kept as it is."""
    if isinstance(value, BaseModel):
        result_data = getattr(value, "result_data", None)
        data = result_data() if callable(result_data) else value.model_dump(mode="json")
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
