"""Answers written from results: what the steps found, in plain words, without a model.

Used by the hub for the `!command` fast path and for planners that do not review results, and by
the guided planner, which also puts next to each finding what the attachment showed (the evidence
its diagnostic step's reason quotes)."""

from __future__ import annotations

from bot.model import Plan, Step, StepStatus

EVIDENCE_MARK = "from the "  # a diagnostic step's reason: "from the screenshot x.png: `…` → `…`"


def summarize(plan: Plan) -> str:
    """A plain answer from a plan's results."""
    return summarize_steps(plan.steps)


def summarize_steps(steps: list[Step], *, evidence: bool = False) -> str:
    lines = []
    for step in steps:
        if step.status is StepStatus.succeeded and step.outcome == "problem":
            lines.append(f"⚠ {step.tool}: {_summary_of(step)}")
        elif step.status is StepStatus.succeeded:
            lines.append(f"✓ {step.tool}: {_summary_of(step)}")
        elif step.status is StepStatus.failed:
            lines.append(f"✗ {step.tool} failed: {step.error}")
        elif step.status is StepStatus.skipped:
            lines.append(f"– {step.tool} was skipped")
        elif step.status is StepStatus.interrupted:
            lines.append(f"! {step.tool} was interrupted")
        elif step.status in (StepStatus.denied, StepStatus.expired):
            lines.append(f"– {step.tool} was {step.status.value}")
        if evidence and step.reason.startswith(EVIDENCE_MARK) and lines:
            lines[-1] += f"\n   ({step.reason.split(' — ', 1)[0][:200]})"
    failed = any(step.status is StepStatus.failed for step in steps)
    problem = any(step.outcome == "problem" for step in steps)
    head = "Something failed:" if failed else "Found a problem:" if problem else "Done:"
    return head + "\n" + "\n".join(lines) if lines else "Nothing was run."


def _summary_of(step: Step) -> str:
    return (step.summary or (step.result if isinstance(step.result, str) else str(step.result)))[:500]
