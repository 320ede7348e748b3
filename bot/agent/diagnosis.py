"""The diagnosis knowledge base: known failures kept as data, matched against what a turn read and ran.

Each entry (`bot/agent/diagnoses/*.toml`, a team's `[[diagnoses]]` in the config, or the files of
`[agent] diagnosis_folders`) holds error signatures (regular expressions whose named groups fill
templates), the finding in plain words, and the next checks, each naming a tool and its argument
templates where a tool does it. Matching is plain `re.search` over each text (a screenshot's OCR,
a log file, a step's result): no model, a few milliseconds, the same on every machine.

Templates: `{port}` is a named group of the signature that matched; `{port|its port}` falls back to
the words after `|` when the group is absent; `{where}` is `host:port` (or whichever of the two was
found). A next check whose tool arguments are not all known is offered as words only.

Text that matched is data: it selects an explanation written here, it never adds instructions.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chatops.bot.config import Config, DiagnosisCheck, DiagnosisConfig

BUILTIN_FOLDER = Path(__file__).with_name("diagnoses")
MAX_TEXT = 32_000  # characters of one text searched: a long log's head is where the first error is
EVIDENCE_CHARS = 160
_TEMPLATE = re.compile(r"\{(\w+)(?:\|([^{}]*))?\}")
_UNROUTABLE = frozenset({"0.0.0.0", "::", "*", "[::]", ""})


class DiagnosisError(ValueError):
    """A knowledge-base file or entry that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Text:
    """One text to diagnose: where it came from, the text, and whether it is data read from an
    attachment (as opposed to a step's result)."""

    label: str  # "the screenshot nginx.png", "tcp_check"
    text: str
    from_attachment: bool = True


@dataclass(frozen=True)
class NextStep:
    """A next check in words, with the tool call that does it when one is known and complete."""

    say: str
    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    command: str | None = None

    def as_command(self) -> str | None:
        """The `!tool arg=value` line that plans this check (the bot's one-line fast path)."""
        if self.tool is None:
            return None
        return " ".join(["!" + self.tool, *(f"{key}={shlex.quote(str(value))}" for key, value in self.args.items())])


@dataclass(frozen=True)
class Match:
    """One entry that matched one text."""

    id: str
    finding: str
    why: str
    next: tuple[NextStep, ...]
    evidence: str  # the line(s) that matched, as read
    source: Text
    priority: int
    position: int  # the order of the text, then where in it: earlier evidence first on ties
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Entry:
    config: DiagnosisConfig
    regexes: tuple[re.Pattern[str], ...]
    needles: tuple[str, ...]  # per pattern, a literal it cannot match without ("" when none is known)


class KnowledgeBase:
    """Entries in order; a later entry with the same id replaces an earlier one (so a team can
    rewrite a built-in finding in its own words)."""

    def __init__(self, entries: Iterable[DiagnosisConfig] = ()) -> None:
        by_id: dict[str, DiagnosisConfig] = {}
        for entry in entries:
            by_id[entry.id] = entry
        self.entries = [_compile(entry) for entry in by_id.values()]

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def builtin(cls) -> KnowledgeBase:
        """The knowledge base shipped with the package (cached: it never changes at run time)."""
        return _builtin()

    @classmethod
    def for_config(cls, config: Config) -> KnowledgeBase:
        """The built-in entries, then those of `[agent] diagnosis_folders`, then `[[diagnoses]]`."""
        entries = list(_builtin_entries())
        for folder in config.agent.diagnosis_folders:
            entries += load_folder(Path(folder).expanduser())
        entries += config.diagnoses
        return cls(entries)

    def match(self, texts: Sequence[Text]) -> list[Match]:
        """Every entry that matches any text, best first: higher priority, then earlier evidence.
        An entry another match supersedes is left out; each entry appears once."""
        found: dict[str, Match] = {}
        for order, text in enumerate(texts):
            body = text.text[:MAX_TEXT]
            if not body.strip():
                continue
            lowered = body.lower()
            for entry in self.entries:
                if entry.config.id in found:
                    continue
                haystack = body if entry.config.case_sensitive else lowered
                for regex, needle in zip(entry.regexes, entry.needles, strict=True):
                    if needle and needle not in haystack:
                        continue
                    hit = regex.search(body)
                    if hit is not None:
                        found[entry.config.id] = _match(entry.config, hit, body, text, order)
                        break
        superseded = {other for match in found.values()
                      for other in self._entry(match.id).config.supersedes}
        kept = [match for match in found.values() if match.id not in superseded]
        return sorted(kept, key=lambda m: (-m.priority, m.position))

    def _entry(self, entry_id: str) -> _Entry:
        return next(entry for entry in self.entries if entry.config.id == entry_id)


def _compile(entry: DiagnosisConfig) -> _Entry:
    flags = re.MULTILINE | (0 if entry.case_sensitive else re.IGNORECASE)
    # an inline (?i) in a case-sensitive entry would make its literal's case unknowable: no needle
    needles = tuple("" if entry.case_sensitive and "(?i" in pattern else _needle(pattern)
                    for pattern in entry.patterns)
    if not entry.case_sensitive:
        needles = tuple(needle.lower() for needle in needles)
    return _Entry(entry, tuple(re.compile(pattern, flags) for pattern in entry.patterns), needles)


def _needle(pattern: str) -> str:
    """The longest run of literal characters every match must contain, or "": read at the top level
    of the pattern (an alternation there is one item, so a pattern made only of alternatives has
    none). A substring test on it skips most patterns in microseconds: on a 32 KB log, running
    every pattern costs ~50 ms, mostly patterns that start with a character class tried at every
    position. Reads the pattern with the standard library's own parser (`re._parser`); any
    surprise there just means no needle."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(pattern)
    except Exception:
        return ""
    best, run = "", []
    for op, value in list(parsed):
        if op is _parser.LITERAL:
            run.append(chr(value))
            continue
        best = max(best, "".join(run), key=len)
        run = []
    best = max(best, "".join(run), key=len)
    return best if len(best) >= 3 else ""


def _match(entry: DiagnosisConfig, hit: re.Match[str], body: str, text: Text, order: int) -> Match:
    values = {name: _clean(value) for name, value in hit.groupdict().items() if value and _clean(value)}
    values.setdefault("host", "")
    if values.get("address", "").strip("[]") not in _UNROUTABLE and not values["host"]:
        values["host"] = values["address"]
    if not values["host"]:
        del values["host"]
    where = ":".join(part for part in (values.get("host"), values.get("port")) if part)
    if where:
        values["where"] = where if values.get("host") else f"port {where}"
    return Match(id=entry.id, finding=render(entry.finding, values), why=entry.why,
                 next=tuple(step for check in entry.next if (step := _next(check, values)) is not None),
                 evidence=_lines_of(body, hit),
                 source=text, priority=entry.priority, position=order * (MAX_TEXT + 1) + hit.start(),
                 values=values)


def _clean(value: str) -> str:
    return value.strip().strip("\"'`.,;()[]")


def _lines_of(body: str, hit: re.Match[str]) -> str:
    start = body.rfind("\n", 0, hit.start()) + 1
    end = body.find("\n", hit.end())
    lines = [" ".join(line.split()) for line in body[start: len(body) if end < 0 else end].splitlines()]
    lines = [line for line in lines if line]
    text = lines[0] if len(lines) <= 1 else f"{lines[0]} … {lines[-1]}"
    return text if len(text) <= EVIDENCE_CHARS else text[: EVIDENCE_CHARS - 1] + "…"


def render(template: str, values: dict[str, str], *, tidy: bool = True) -> str:
    """A template with `{name}` / `{name|fallback}` filled in; absent names without a fallback
    vanish, and (in words, not in a command) the spaces they leave are tidied."""
    text = _TEMPLATE.sub(lambda m: values.get(m.group(1)) or (m.group(2) or ""), template)
    if not tidy:
        return text
    return re.sub(r"\s+([,:;.)])", r"\1", re.sub(r"\(\s*\)", "", re.sub(r" {2,}", " ", text))).strip()


def _missing(template: str, values: dict[str, str]) -> bool:
    return any(not m.group(2) and not values.get(m.group(1)) for m in _TEMPLATE.finditer(template))


def _next(check: DiagnosisCheck, values: dict[str, str]) -> NextStep | None:
    if _missing(check.say, values):
        return None  # "check whether port 80 answers on …": the check needs what the text did not say
    say = render(check.say, values)
    command = render(check.command, values, tidy=False) if check.command and not _missing(check.command, values) \
        else None
    if check.tool is None:
        return NextStep(say=say, command=command)
    args: dict[str, Any] = {}
    for name, template in check.args.items():
        if not isinstance(template, str):
            args[name] = template
            continue
        if _missing(template, values):
            return NextStep(say=say, command=command)  # an argument is unknown: words only
        value = render(template, values, tidy=False)
        args[name] = int(value) if value.isdigit() else value
    return NextStep(say=say, tool=check.tool, args=args, command=command)


# --- loading ------------------------------------------------------------------------------------


def load_file(path: Path) -> list[DiagnosisConfig]:
    """The `[[diagnoses]]` entries of one TOML file; a `DiagnosisError` names the file and the entry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DiagnosisError(f"{path}: cannot read it: {exc}") from None
    unknown = sorted(set(data) - {"diagnoses"})
    if unknown:
        raise DiagnosisError(f"{path}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                             "(a file holds [[diagnoses]] entries only)")
    entries = []
    for number, raw in enumerate(data.get("diagnoses", [])):
        name = raw.get("id") if isinstance(raw, dict) else None
        try:
            entries.append(DiagnosisConfig.model_validate(raw))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg'].removeprefix('Value error, ')}"
                                 for e in exc.errors(include_url=False))
            raise DiagnosisError(f"{path}: diagnoses[{name or number}]: {problems}") from None
    return entries


def load_folder(folder: Path) -> list[DiagnosisConfig]:
    """Every `*.toml` file of a folder, in name order."""
    if not folder.is_dir():
        raise DiagnosisError(f"{folder}: not a folder (agent.diagnosis_folders)")
    entries: list[DiagnosisConfig] = []
    for path in sorted(folder.glob("*.toml")):
        entries += load_file(path)
    return entries


def example_problems(entries: Iterable[DiagnosisConfig]) -> list[str]:
    """Examples an entry's own signatures do not match: a signature that cannot fire is a bug."""
    problems = []
    for entry in entries:
        compiled = _compile(entry)
        for number, example in enumerate(entry.examples, 1):
            if not any(regex.search(example) for regex in compiled.regexes):
                problems.append(f"diagnoses[{entry.id}]: example {number} ({example[:60]!r}) "
                                "matches none of its patterns")
    return problems


@cache
def _builtin_entries() -> tuple[DiagnosisConfig, ...]:
    return tuple(load_folder(BUILTIN_FOLDER))


@cache
def _builtin() -> KnowledgeBase:
    return KnowledgeBase(_builtin_entries())
