"""Answers written from results: the finding first, in plain words, then the evidence, then the next step.

A plan's steps are evidence; people need the conclusion. Without a model the conclusion comes from
the diagnosis knowledge base (`bot.agent.diagnosis`) matched over the steps' results and the text
of the attachments (which is data: it selects a known explanation, it never commands), joined with
what the problem steps found. Problems come first, everywhere: in the finding, in the evidence.

Used by the hub for the `!command` fast path and for planners that do not review results, and by
the guided planner, which also puts next to each finding what the attachment showed (the evidence
its diagnostic step's reason quotes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from chatops.bot.agent.diagnosis import KnowledgeBase, Match, NextStep, Text
from chatops.bot.agent.provenance import Source
from chatops.bot.model import Plan, Step, StepStatus

EVIDENCE_MARK = "from the "  # a diagnostic step's reason: "from the screenshot x.png: `…` → `…`"
MAX_NEXT = 3  # next steps offered
_ORDER = {"failed": 0, "problem": 1, "ok": 3}


def summarize(plan: Plan, *, knowledge: KnowledgeBase | None = None, tools: Iterable[str] | None = None) -> str:
    """A plain answer from a plan's results."""
    return summarize_steps(plan.steps, knowledge=knowledge, tools=tools)


def summarize_steps(steps: list[Step], *, evidence: bool = False, data: Sequence[Source] = (),
                    knowledge: KnowledgeBase | None = None, tools: Iterable[str] | None = None) -> str:
    """The answer: the finding (one or two sentences), the evidence (problems first), the next step.

    `data` are the turn's attachment parts (text read from images and files); `tools` the names
    of the tools the requester may use, so a next check is offered as a command only when it can
    run (None: every tool named by the knowledge base)."""
    matches = diagnose(steps, data, knowledge)
    lines = [line for _, line in sorted(_step_lines(steps, evidence=evidence), key=lambda item: item[0])]
    if not lines and not matches:
        return "Nothing was run."
    if not matches and all(_state(step) == "ok" for step in steps):
        return "Done:\n" + "\n".join(lines)  # nothing to conclude: what ran, and what it said
    parts = [finding(steps, matches)]
    shown = [match for match in matches if match.source.from_attachment][:2]
    quoted = [f"• {match.source.label}: `{match.evidence}`" for match in shown]
    also = [f"• Also: {match.finding}." for match in matches[1:3]]
    if lines or quoted:
        parts.append("Evidence:\n" + "\n".join([*lines, *quoted, *also]))
    offer = next_steps(matches, tools)
    if offer:
        parts.append("Next: " + "\n".join(offer) if len(offer) == 1 else "Next:\n" + "\n".join(f"• {o}" for o in offer))
    return "\n\n".join(parts)


def diagnose(steps: Sequence[Step], data: Sequence[Source] = (),
             knowledge: KnowledgeBase | None = None) -> list[Match]:
    """Knowledge-base matches over the steps' results (problems first) and the attachments' text."""
    texts = [Text(step.tool, _result_text(step), from_attachment=False)
             for step in sorted(steps, key=lambda s: _ORDER.get(_state(s), 2)) if _state(step) != "ok"]
    texts += [Text(part.label, part.text) for part in data if not part.own]
    return (knowledge or KnowledgeBase.builtin()).match(texts)


def finding(steps: Sequence[Step], matches: Sequence[Match]) -> str:
    """One or two plain sentences: what the problem steps found and what it most likely means."""
    problems = [step for step in steps if _state(step) in ("failed", "problem")]
    problems.sort(key=lambda s: _ORDER[_state(s)])
    said = _said(problems[0]) if problems else ""
    if len(problems) > 1:
        said += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''} below)"
    # the words people scan for first, then the finding itself (a host name keeps its case)
    lead = "" if not problems else "Something failed: " if _state(problems[0]) == "failed" else "Found a problem: "
    top = matches[0] if matches else None
    if top is None:
        if said:
            return lead + _sentence(said, capital=False)
        ran = [step for step in steps if _state(step) == "ok"]
        if ran and len(ran) == len(steps):
            return "Everything I checked looks fine: " + "; ".join(_said(step) for step in ran[:3]) + "."
        return "Not every step ran, so I cannot conclude: see below."
    meaning = f"{top.source.label} shows {top.finding}" if top.source.from_attachment else top.finding
    if said and top.source.from_attachment:
        return lead + _sentence(f"{said}, and {meaning}", capital=False)
    if said:
        return lead + _sentence(f"{said}: {meaning}", capital=False)
    if steps:
        return _sentence(f"The checks I ran found nothing wrong, but {meaning}")
    return _sentence(meaning)


def next_steps(matches: Sequence[Match], tools: Iterable[str] | None = None) -> list[str]:
    """The next checks of the best matches, in words, each with the command that plans it when
    its tool is available and its arguments are known (sending that line runs the check)."""
    available = None if tools is None else set(tools)
    offered: list[str] = []
    for match in matches[:2]:
        for step in match.next:
            text = _offer(step, available)
            if text not in offered:
                offered.append(text)
    return offered[:MAX_NEXT]


def _offer(step: NextStep, available: set[str] | None) -> str:
    text = _capital(step.say)
    command = step.as_command()
    if command and (available is None or step.tool in available):
        text += f": `{command}`"
    elif step.command:
        text += f" (on that host: `{step.command}`)"
    return text + "."


def _step_lines(steps: Sequence[Step], *, evidence: bool) -> list[tuple[int, str]]:
    lines = []
    for index, step in enumerate(steps):
        state = _state(step)
        if state == "problem":
            line = f"⚠ {step.tool}: {_summary_of(step)}"
        elif state == "ok":
            line = f"✓ {step.tool}: {_summary_of(step)}"
        elif state == "failed":
            line = f"✗ {step.tool} failed: {step.error}"
        elif step.status is StepStatus.skipped:
            line = f"– {step.tool} was skipped"
        elif step.status is StepStatus.interrupted:
            line = f"! {step.tool} was interrupted"
        elif step.status in (StepStatus.denied, StepStatus.expired):
            line = f"– {step.tool} was {step.status.value}"
        else:
            continue
        if evidence and step.reason.startswith(EVIDENCE_MARK):
            line += f"\n   ({step.reason.split(' — ', 1)[0][:200]})"
        lines.append((_ORDER.get(state, 2) * 1000 + index, line))
    return lines


def _state(step: Step) -> str:
    if step.status is StepStatus.failed:
        return "failed"
    if step.status is StepStatus.succeeded:
        return "problem" if step.outcome == "problem" else "ok"
    return step.status.value


def _said(step: Step) -> str:
    """What a step found, as a clause: its summary in people's words, or why it could not run."""
    if _state(step) == "failed":
        return f"{step.tool} could not run ({(step.error or 'no reason given')[:200]})"
    return _summary_of(step).rstrip(".")


def _summary_of(step: Step) -> str:
    return (step.summary or (step.result if isinstance(step.result, str) else str(step.result)))[:500]


def _result_text(step: Step) -> str:
    """Everything a step said: its error, its summary and its output (a program's stdout and stderr)."""
    result = step.result
    if isinstance(result, dict):
        output = "\n".join(str(result.get(key) or "") for key in ("error", "stdout", "stderr"))
    else:
        output = result if isinstance(result, str) else ""
    return "\n".join(part for part in (step.error or "", step.summary or "", output) if part)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str, *, capital: bool = True) -> str:
    text = _capital(text.strip()) if capital else text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."
