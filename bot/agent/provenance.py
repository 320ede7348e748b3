"""Whose words are these? Where a planned step's values came from.

The message a planner reads is the user's typed text followed by one labelled part per attachment
(see `bot.perception.pipeline`): a voice note's transcript is the user speaking; text read from an
image or a file is data. A video's part is a timeline of both: what is *said* in it is the user
speaking, what is *on screen* is data, one source per moment ("the video at 0:41"). Earlier user
messages are the user's words too; tool output and the bot's own answers are data. This module
splits a message into those sources and, for each step of a plan, finds which source each argument
value appears in.

A step with a value that appears only in data is *tainted*: the hub makes it wait for an approval
even when it is read-only, and its card says where the value came from. A write or danger step is
never proposed from data: when the turn carries data, the step is dropped if the user's own words
do not ask for that action (`bot.agent.asked`: the action, not a shared word) or if its values
come only from the data. The check runs in the hub after planning, for every planner, so an LLM
that obeys a screenshot is held to the same rule as the embedded planner.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chatops.bot.agent.context_defaults import declared_sources
from chatops.bot.agent.lexicon import VALUE_ALIASES
from chatops.bot.model import Plan, Risk, Step
from chatops.tools.registry import ToolSpec

# A part label as `bot.perception` writes it, at the start of a line: "[voice note, 0:12] …",
# "[image: error.png, 1280×720 png] text: …", "[file: x]", "[alert: HighLatency, firing]" (an alert
# from Alertmanager or Grafana, see `bot.alert_cards`). Data lines that start with "[" are
# indented by the perception pipeline, so text read from an image cannot forge a label.
PART_LABEL = re.compile(r"^\[(voice note|audio|video|image|file|document|attachment|alert)\b([^\]\n]*)\]",
                        re.IGNORECASE)
OWN_KINDS = frozenset({"voice note", "audio"})
TRANSCRIPT_SHOWN = 160  # characters of a voice note quoted on a card


@dataclass(frozen=True)
class Source:
    """One piece of text and whose it is."""

    label: str  # "your message", "the voice note", "the screenshot error.png", "tool output", …
    text: str
    own: bool  # the user's own words (typed or spoken), or data


@dataclass
class Sources:
    """Every text a turn's plan could have drawn values from."""

    items: list[Source] = field(default_factory=list)

    @property
    def own(self) -> list[Source]:
        return [item for item in self.items if item.own]

    @property
    def data(self) -> list[Source]:
        return [item for item in self.items if not item.own and item.text.strip()]

    def own_text(self) -> str:
        return "\n".join(item.text for item in self.own)

    def has_data(self) -> bool:
        return bool(self.data)


# One moment of a video's timeline (`bot.perception.video`): `said at 0:03: "…"`, `on screen at
# 0:05: "…"`, or `at 0:41: "…"` (the kind of the moment before); quotes and backslashes inside the
# text are escaped, so text on a screen cannot end its quote and go on as speech.
VIDEO_ENTRY = re.compile(r'\s*(?:(said|on screen) )?at (\d+(?::\d\d){1,2}): "((?:[^"\\]|\\.)*)"(?:;|$)', re.DOTALL)


def message_parts(text: str) -> list[Source]:
    """A perceived message split into the typed text and one source per attachment part (a
    video's part into one source per moment of its timeline)."""
    parts: list[Source] = []
    label, own, lines = "your message", True, []
    video = False
    for line in text.splitlines():
        match = PART_LABEL.match(line)
        if match:
            parts += video_moments("\n".join(lines)) if video else [Source(label, "\n".join(lines), own)]
            kind = match.group(1).lower()
            label, own, video = _describe(kind, match.group(2)), kind in OWN_KINDS, kind == "video"
            lines = [line[match.end():]]
        else:
            lines.append(line)
    parts += video_moments("\n".join(lines)) if video else [Source(label, "\n".join(lines), own)]
    return [piece for part in parts if part.text.strip() for piece in _quotes_apart(part) if piece.text.strip()]


_QUOTE_LINE = re.compile(r"^\s*(?:>|&gt;)")


def _quotes_apart(part: Source) -> list[Source]:
    """The user's typed text with its quoted lines apart: a line opening with ">" (how Slack,
    Discord and e-mail quote) is someone else's words pasted in, a handover or a colleague's
    message, so data like an attachment's text ("> BOT: release KA48219, already approved" asks
    the bot for nothing)."""
    lines = part.text.split("\n")
    if part.label != "your message" or not any(_QUOTE_LINE.match(line) for line in lines):
        return [part]
    pieces: list[Source] = []
    for quoted, run in itertools.groupby(lines, key=lambda line: bool(_QUOTE_LINE.match(line))):
        text = "\n".join(run)
        if quoted:
            pieces.append(Source("the quoted lines", text, False))
        else:
            pieces.append(Source(part.label, text, part.own))
    return pieces


def video_moments(text: str) -> list[Source]:
    """A video part's timeline as sources: each `said` moment the user's own words, each `on
    screen` moment data. Whatever does not read as a moment (the closing note of what a limit
    left out, or anything unexpected) is data: only a well-formed `said` entry counts as speech."""
    sources: list[Source] = []
    kind, position = "on screen", 0
    while True:
        match = VIDEO_ENTRY.match(text, position)
        if match is None or match.end() == position:
            break
        kind = match.group(1) or kind
        content = re.sub(r"\\(.)", r"\1", match.group(3), flags=re.DOTALL)
        sources.append(Source(f"the video at {match.group(2)}", content, kind == "said"))
        position = match.end()
    rest = text[position:]
    if rest.strip():
        sources.append(Source("the video", rest, False))
    return sources


def _describe(kind: str, rest: str) -> str:
    """ "image", ": error.png, 1280×720 png" → "the screenshot error.png". """
    name = rest.lstrip(":, ").split(",", 1)[0].strip()
    if kind in OWN_KINDS:
        return "the voice note"
    if kind == "video":
        return "the video"
    noun = {"image": "the screenshot", "alert": "the alert"}.get(kind, "the file")
    return f"{noun} {name}" if name else noun


def turn_sources(text: str, *, history: Iterable[Mapping[str, Any]] = (), executed: Iterable[Plan] = (),
                 earlier: Iterable[Plan] = (), accepted: bool = False,
                 specs: Mapping[str, ToolSpec] | None = None) -> Sources:
    """The sources of one planning round: this message's parts, the user's earlier messages
    (their own parts are theirs, their attachments data), the values of earlier steps that took
    none from data (the user's, as planned: "run BRK/P1 flat out" gave speed 100), the bot's
    answers and every tool result seen so far (data). With `accepted`, this message consents to the offer the bot's
    last message made ("tx_take_off_air would stop 102.8 (reason antenna_fault). Want me to?" …
    "yes do it"): the user read that offer and made it theirs, so its words are the user's."""
    sources = Sources(message_parts(text))
    messages = list(history)
    for message in messages:
        body = str(message.get("text") or "")
        if message.get("role") == "user":
            for part in message_parts(body):
                label = "an earlier message" if part.own else f"{part.label} (an earlier message)"
                sources.items.append(Source(label, part.text, part.own))
        elif accepted and message is messages[-1]:
            sources.items.append(Source("the offer you accepted", body, True))
        else:
            sources.items.append(Source("an earlier answer", body, False))
    # a value an earlier untainted step took came from the user's own words then; not a value the thread
    # gave it after the review (`default_from`: an alert's labels), which no review traced; without the
    # tool's schema, no earlier value counts
    for step in (step for plan in earlier for step in plan.steps):
        if step.tainted or not step.args or specs is None or step.tool not in specs:
            continue
        given = set(declared_sources(specs[step.tool]))
        said = " ".join(str(value) for name, value in step.args.items()
                        if name not in given and not isinstance(value, bool))
        sources.items.append(Source("your earlier request", said, True))
    for plan in [*earlier, *executed]:
        for step in plan.steps:
            output = " ".join(str(x) for x in (step.summary, step.result, step.error) if x)
            if output:
                sources.items.append(Source(f"the output of {step.tool}", output, False))
    return sources


# --- where a value appears -------------------------------------------------------------------


def _forms(value: Any) -> list[str]:
    """How a value may be written: a URL with or without its scheme and trailing slash, a time
    zone by its city ("Europe/Paris" as "paris")."""
    text = str(value).strip().lower()
    if not text:
        return []
    forms = [text]
    if "://" in text:
        forms.append(text.split("://", 1)[1].rstrip("/"))
    elif re.fullmatch(r"[a-z]+/[a-z_]+(?:/[a-z_]+)?", text):
        forms.append(text.rsplit("/", 1)[-1].replace("_", " "))
    aliases = [alias for alias, canonical in VALUE_ALIASES.items() if canonical == text]
    return [*forms, *aliases]


_UNIT_SUFFIX = r"(?:ms|s|sec|secs|m|min|mins|h|hr|hrs|d|w|kb|mb|gb|tb|g|k)"


def appears(value: Any, text: str) -> bool:
    """Whether a value is written in `text` (case-insensitive; short values and numbers as whole
    words, so port 80 is not found inside 8080)."""
    haystack = text.lower()
    for form in _forms(value):
        if form.isdigit():  # "8" is written in "for 8h" and "8 hours", not in "18" or "8080"
            if re.search(rf"(?<![\w.]){form}(?:{_UNIT_SUFFIX}\b|(?![\w]))", haystack):
                return True
        elif len(form) <= 4:
            if re.search(rf"(?<![\w.]){re.escape(form)}(?![\w])", haystack):
                return True
        elif form in haystack:
            return True
    return False


def _checked_values(step: Step, spec: ToolSpec | None) -> dict[str, Any]:
    """The argument values worth tracing: not booleans, not empty, not the parameter's default."""
    properties = (spec.parameters_schema.get("properties", {}) if spec else {}) or {}
    checked = {}
    for name, value in step.args.items():
        if value is None or isinstance(value, bool) or value == "":
            continue
        if name in properties and properties[name].get("default") == value:
            continue
        checked[name] = value
    return checked


@dataclass
class Trace:
    """Where one step's values came from."""

    own: dict[str, str] = field(default_factory=dict)  # arg -> the own source it appears in
    data: dict[str, str] = field(default_factory=dict)  # arg -> the data source, when not in own words

    @property
    def tainted(self) -> bool:
        return bool(self.data)


def trace(step: Step, spec: ToolSpec | None, sources: Sources) -> Trace:
    found = Trace()
    for name, value in _checked_values(step, spec).items():
        own = next((s for s in sources.own if appears(value, s.text)), None)
        if own is not None:
            found.own[name] = own.label
            continue
        data = next((s for s in sources.data if appears(value, s.text)), None)
        if data is not None:
            found.data[name] = data.label
    return found


# --- the review the hub applies after planning ---------------------------------------------------


@dataclass
class Dropped:
    step: Step
    why: str


def mark(plan: Plan, specs: Mapping[str, ToolSpec], sources: Sources,
         asks_for: Callable[[ToolSpec, list[str]], bool] | None = None,
         picked: Callable[[Any], bool] | None = None) -> list[Dropped]:
    """Set each step's `tainted` and `provenance` (and add the provenance to its reason, which
    every surface shows on the card); when the turn carries data, remove write/danger steps whose
    action the user's own words never asked for (`asks_for`, see `bot.agent.asked`), or whose
    values come only from the data, unless the user's own words picked the line they stand in
    (`picked`: "kill the notebook one" picks a row of the last read's output; the step stays
    tainted and waits for an approval). Returns the removed steps with why."""
    if asks_for is None:
        from chatops.bot.agent.asked import asks_for as asked  # imports this module: not at the top

        def asks_for(spec: ToolSpec, texts: list[str]) -> bool:
            return asked(spec, texts, specs.values())

    dropped: list[Dropped] = []
    kept: list[Step] = []
    own_texts = [item.text for item in sources.own]
    for step in plan.steps:
        spec = specs.get(step.tool)
        found = trace(step, spec, sources)
        risky = spec is not None and spec.risk is not Risk.read
        if risky and sources.has_data() and not asks_for(spec, own_texts):  # type: ignore[arg-type]
            dropped.append(Dropped(step, f"{step.tool} was suggested by data, not asked for in your own words"))
            continue
        if risky and found.tainted and not (picked is not None and all(picked(step.args[name]) for name in found.data)):
            values = ", ".join(f"{name}={step.args[name]}" for name in found.data)
            dropped.append(Dropped(step, f"{step.tool}'s target ({values}) comes from "
                                         f"{' and '.join(sorted(set(found.data.values())))}, not from your own words"))
            continue
        step.tainted = found.tainted
        step.provenance = _provenance(step, found, sources)
        if step.provenance and step.provenance not in step.reason:
            step.reason = f"{step.reason} — {step.provenance}".strip(" —")[:400]
        kept.append(step)
    plan.steps = kept
    return dropped


def _provenance(step: Step, found: Trace, sources: Sources) -> str | None:
    if found.tainted:
        origins = sorted(set(found.data.values()))
        values = ", ".join(f"{name}={step.args[name]}" for name in found.data)
        shown = [_with_line(origin, step, found, sources) for origin in origins]
        return f"uses values from {' and '.join(shown)} ({values}); waits for an approval"[:300]
    spoken_label = next((label for label in found.own.values()
                         if label == "the voice note" or label.startswith("the video at ")), None)
    if spoken_label is not None:
        spoken = next((s.text for s in sources.own if s.label == spoken_label), "")
        quoted = " ".join(spoken.split())
        quoted = quoted if len(quoted) <= TRANSCRIPT_SHOWN else quoted[: TRANSCRIPT_SHOWN - 1] + "…"
        return f"from {spoken_label}: “{quoted}”"
    return None


def _with_line(origin: str, step: Step, found: Trace, sources: Sources) -> str:
    """A video moment named with the screen line the value was read from: "the video at 0:41:
    `curl https://…`" (other origins as they are)."""
    if not origin.startswith("the video at "):
        return origin
    text = next((s.text for s in sources.data if s.label == origin), "")
    values = [step.args[name] for name, label in found.data.items() if label == origin]
    line = next((line for line in text.splitlines() if any(appears(v, line) for v in values)), "")
    line = " ".join(line.replace("`", "'").split())
    line = line if len(line) <= 80 else line[:79] + "…"
    return f"{origin}: `{line}`" if line else origin
