"""Run one approved step: validate, call the tool under its timeout, turn every failure into a
step error the planner can read. Nothing a tool does can end the turn."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from chatops.bot.model import Step, StepResult
from chatops.bot.redaction import Redactor
from chatops.tools.context import ToolContext
from chatops.tools.registry import ToolArgumentError, ToolRegistry, ToolSpec, problem_of, render_result


class Executor:
    def __init__(self, registry: ToolRegistry, *, redactor: Redactor | None = None) -> None:
        self.registry = registry
        self.redactor = redactor or Redactor()

    def check(self, step: Step, *, spec: ToolSpec | None = None) -> str | None:
        """Why this step cannot run at all (unknown tool, invalid arguments), or None. `spec`
        overrides the registry's current definition (the hub passes the one a plan was proposed
        with)."""
        spec = spec or self.registry.get(step.tool)
        if spec is None:
            return f"unknown tool {step.tool!r}"
        try:
            spec.validate(step.args)
        except ToolArgumentError as exc:
            return f"invalid arguments for {step.tool}: {exc}"
        return None

    async def run(self, step: Step, ctx: ToolContext, *, spec: ToolSpec | None = None) -> StepResult:
        started = time.perf_counter()
        spec = spec or self.registry.get(step.tool)
        if spec is None:
            return self._failed(f"unknown tool {step.tool!r}", started)
        try:
            args = spec.validate(step.args)
        except ToolArgumentError as exc:
            return self._failed(f"invalid arguments for {step.tool}: {exc}", started)
        try:
            # `asyncio.timeout` rather than `wait_for`: the tool runs in the turn's own task
            # instead of a task of its own (a Task, its callbacks and a timer handle fewer per
            # step, a third of `wait_for`'s cost on Python 3.11; 3.12's `wait_for` does the same)
            async with asyncio.timeout(spec.timeout):
                value = await spec.run(ctx, args)
        except TimeoutError:
            return self._failed(f"{step.tool} timed out after {spec.timeout:g} s", started)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            detail = getattr(exc, "result", None)
            data = render_result(detail)[0] if detail is not None else None
            return self._failed(f"{type(exc).__name__}: {exc}", started, data=data)
        data, summary = render_result(value)
        problem = problem_of(value)
        if problem:
            summary = problem[:2000]
        return StepResult(ok=True, result=self.redactor.data(data), summary=self.redactor.text(summary) or "",
                          duration_ms=_elapsed(started), outcome="problem" if problem else "ok")

    def _failed(self, error: str, started: float, *, data: Any = None) -> StepResult:
        error = self.redactor.text(error) or error
        return StepResult(ok=False, error=error, summary=error, result=self.redactor.data(data),
                          duration_ms=_elapsed(started))


def _elapsed(started: float) -> float:
    return (time.perf_counter() - started) * 1000
