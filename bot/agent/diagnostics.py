"""Diagnostic plans: "what is wrong here?" about a screenshot, a file or a voice note.

The attachment is the environment: each line of text read from it is searched for things a
read-only tool can check (a URL, a host and port, a domain name after `dig`, a systemd unit such
as `nginx.service`), ranked by the same transparent scores as a request (`ranking.rank_tools`,
restricted to read-only tools). Each step's reason quotes the line it came from and, when the next
line looks like its result, that too: "from the screenshot nginx.png: `curl -sI http://…/health`
→ `HTTP/1.1 502 Bad Gateway`".

Only read-only tools are ever proposed from data; the hub marks these steps tainted (their values
appear only in the attachment), so they wait for the user's approval before anything is fetched.
"""

from __future__ import annotations

import re

from chatops.bot.agent.entities import extract_entities, identifier_words
from chatops.bot.agent.param_kinds import parameters
from chatops.bot.agent.provenance import Source
from chatops.bot.agent.ranking import rank_tools
from chatops.bot.model import Risk, Step
from chatops.tools.registry import ToolArgumentError, ToolSpec

UNROUTABLE = frozenset({"0.0.0.0", "::", "*", "255.255.255.255"})  # bind addresses, not targets
MIN_FIT = 1.5  # the line must carry an entity that fits the tool's parameters this well
_UNIT = re.compile(r"\b([a-z0-9][a-z0-9@_-]{0,62})\.service\b", re.IGNORECASE)
_RESULT = re.compile(r"\b(?:HTTP/\d(?:\.\d)?\s+\d{3}|[1-5]\d\d\b|error|refused|failed|timed?\s*out|"
                     r"unreachable|NXDOMAIN|SERVFAIL|denied|down|unavailable|bad gateway)", re.IGNORECASE)
_COMMAND = re.compile(r"^\s*[$#>]\s")
SERVICE_LABELS = ("job", "service")  # an alert's labels that name what runs (and its runbooks)
# A stack frame or an exception line names code ("at com.acme.orders.OrderService.place(",
# "java.lang.NullPointerException", `File "x.py", line 3`), not a host: nothing there to check.
_CODE_LINE = re.compile(r"^\s*at [\w$. ]+\(|\.\s?(?:java|kt|scala|py|rb|go|js|ts)\s?:\s?\d+\)"
                        r"|\b[\w.]+(?:Exception|Error)\b|^Traceback\b|File \"[^\"]+\", line \d+")


def _evidence(source: Source, lines: list[str], index: int) -> str:
    line = " ".join(lines[index].split())[:100]
    text = f"from {source.label}: `{line}`"
    following = next((lines[i] for i in range(index + 1, min(index + 3, len(lines))) if lines[i].strip()), "")
    if following and _COMMAND.match(lines[index]) and _RESULT.search(following) and not _COMMAND.match(following):
        text += f" → `{' '.join(following.split())[:80]}`"
    return text


def _target(value: object) -> str:
    """The host part of a URL or a host value."""
    text = str(value)
    return re.sub(r"^[a-z]+://", "", text).split("/", 1)[0].rsplit(":", 1)[0] if "://" in text else text


def _code_like(line: str, args: dict) -> bool:
    """A value that is code, not a place: a call (`conn.execute(`), a dotted name of single letters
    (`o.a.c.c.C`), or anything on a stack-frame or exception line."""
    if _CODE_LINE.search(line):
        return True
    for value in args.values():
        if not isinstance(value, str):
            continue
        host = _target(value)
        labels = host.split(".")
        if len(labels) > 1 and all(len(label) <= 1 for label in labels):
            return True
        if re.search(re.escape(host) + r"\(", line, re.IGNORECASE):
            return True
    return False


def _anchored(spec: ToolSpec, args: dict) -> dict | None:
    """The arguments a check drawn from data keeps: its required ones, and optional ones that are
    not numbers. A tool with no required argument checks nothing the data names (a timestamp
    would make it `current_time`); an optional number is a stray one (`curl: (7)` is no timeout)."""
    required = {param.name for param in parameters(spec) if param.required}
    if not required or not required <= set(args):
        return None
    return {name: value for name, value in args.items()
            if name in required or not isinstance(value, int | float) or isinstance(value, bool)}


def _usable(spec: ToolSpec, args: dict) -> bool:
    if any(str(value).strip("[]") in UNROUTABLE for value in args.values()):
        return False
    if any(re.match(r"^https?://(?:0\.0\.0\.0|\[::\])", str(value)) for value in args.values()):
        return False
    try:
        spec.validate(args)
    except ToolArgumentError:
        return False
    return True


def diagnostic_steps(sources: list[Source], tools: list[ToolSpec], max_steps: int) -> list[Step]:
    """Read-only checks of what the data sources show, at most `max_steps`, in reading order."""
    readers = [spec for spec in tools if spec.risk is Risk.read]
    steps: list[Step] = []
    seen: set[tuple[str, str]] = set()

    def add(spec: ToolSpec, args: dict, reason: str) -> None:
        key = (spec.name, repr(sorted(args.items())))
        if key in seen or len(steps) >= max_steps or not _usable(spec, args):
            return
        seen.add(key)
        steps.append(Step(tool=spec.name, args=args, reason=reason[:240], risk=spec.risk))

    for source in sources:
        lines = source.text.splitlines()
        for index, line in enumerate(lines):
            if not line.strip():
                continue
            for candidate in rank_tools(line, readers)[:1]:
                if candidate.filled.missing or candidate.filled.fit < MIN_FIT:
                    continue
                args = _anchored(candidate.spec, dict(candidate.filled.args))
                if args is None or _code_like(line, args):
                    continue
                add(candidate.spec, args, _evidence(source, lines, index))
            for spec, args in _named_runbooks(source, line, readers):
                add(spec, args, _runbook_reason(source, line, spec))
            for unit in _UNIT.findall(line):
                for spec in readers:
                    param = next((p for p in parameters(spec) if p.name in ("unit", "service")
                                  and (unit.lower() in [str(v).lower() for v in p.enum] or p.kind == "string")), None)
                    if param is not None and all(p.name == param.name or not p.required for p in parameters(spec)):
                        add(spec, {param.name: unit.lower()}, _evidence(source, lines, index))
    return steps


def _alert_labels(line: str) -> dict[str, str]:
    """`labels: alertname=X, job=queue, …` (an alert part's line, `bot.alert_cards`) → the labels."""
    if not line.startswith("labels: "):
        return {}
    found = {}
    for pair in line[len("labels: "):].split(", "):
        name, sep, value = pair.partition("=")
        if sep and name.strip():
            found[name.strip()] = value.strip()
    return found


def _runbook_words(spec: ToolSpec) -> set[str]:
    """What a runbook answers to: the words of its name, its keywords, its examples, and its
    parameters' values and aliases."""
    words = set(identifier_words(spec.name))
    for text in (*spec.keywords, *spec.examples):
        words |= set(re.split(r"[^\w.-]+", text.lower()))
    for param in parameters(spec):
        words |= {str(value).lower() for value in param.enum}
        words |= {str(alias).lower() for alias in param.schema.get("x-aliases") or {}}
    return {word for word in words if word}


def _named_runbooks(source: Source, line: str, readers: list[ToolSpec]) -> list[tuple[ToolSpec, dict]]:
    """An alert's `job` or `service` label that names a read-only runbook (by its name, keywords,
    examples, or a parameter's value or alias): that runbook, with the label's value as its one
    required argument. Only the alert's labels anchor it, never its free text; and, as for every
    check drawn from data, a runbook that takes no argument is not proposed (its value would not
    come from the alert, so nothing would make it wait for a click)."""
    if not source.label.startswith("the alert"):
        return []
    labels = _alert_labels(line)
    found = []
    for value in [labels[key].lower() for key in SERVICE_LABELS if labels.get(key)]:
        for spec in readers:
            if spec.source != "runbook" or value not in _runbook_words(spec):
                continue
            required = [param for param in parameters(spec) if param.required]
            if len(required) == 1:
                found.append((spec, {required[0].name: value}))
    return found


def _runbook_reason(source: Source, line: str, spec: ToolSpec) -> str:
    labels = _alert_labels(line)
    named = next(f"{key}={labels[key]}" for key in SERVICE_LABELS if labels.get(key)
                 and labels[key].lower() in _runbook_words(spec))
    return f"from {source.label}: its label `{named}` names the runbook {spec.name}"


def has_checkable(sources: list[Source]) -> bool:
    """Whether the data names anything at all a check could target."""
    for source in sources:
        entities = extract_entities(source.text)
        if entities.urls or entities.hosts or _UNIT.search(source.text):
            return True
    return False
