"""The diagnosis cases (bench/data/diagnoses/*.toml) drawn as screenshots, read back by real OCR,
and judged: does the answer's finding name the known cause in the bot's own words?

Shared by tests/test_diagnoses.py (which asserts the share) and bench/diagnoses.py (which
reports it and times the knowledge base)."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chatops.bot.agent.answers import summarize_steps
from chatops.bot.agent.provenance import message_parts
from chatops.bot.perception.image_file import decoded, open_image
from chatops.bot.perception.tesseract_ocr import prepare, tesseract
from tests.screens import terminal_screenshot

DATA = Path(__file__).resolve().parent.parent / "bench" / "data" / "diagnoses"
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class Case:
    id: str
    question: str
    lines: list[str]
    cause: str
    mentions: list[str]


@dataclass(frozen=True)
class Verdict:
    case: Case
    read: str  # what OCR read from the screenshot
    answer: str
    finding: str  # the answer's opening paragraph
    named: bool  # the cause regex matched the finding, in words not read from the image
    mentioned: bool
    why: str

    @property
    def passed(self) -> bool:
        return self.named and self.mentioned


def load_cases(name: str = "heldout") -> list[Case]:
    data = tomllib.loads((DATA / f"{name}.toml").read_text(encoding="utf-8"))
    return [Case(c["id"], c["question"], list(c["lines"]), c["cause"], list(c.get("mentions", [])))
            for c in data["cases"]]


def screenshot(case: Case) -> bytes:
    """A dark terminal showing the case's lines (tall enough for them)."""
    return _terminal(case.lines)


def _terminal(lines: Sequence[str]) -> bytes:
    height = max(360, 12 * 2 + round(16 * 1.35) * (len(lines) + 1))
    return terminal_screenshot(list(lines), size=(1280, height))


def ocr(image: bytes) -> str:
    """What Tesseract reads from the image, as the perception pipeline reads it."""
    return tesseract(prepare(decoded(open_image(image, MAX_PIXELS), MAX_PIXELS)))


def read_back(case: Case) -> str:
    """`ocr(screenshot(case))`, drawn and read once per run: both tests in tests/test_diagnoses.py
    read the same held-out screenshots, and the drawing and Tesseract give the same text each time.
    (bench/diagnoses.py times `ocr` itself, uncached.)"""
    return _read_back(tuple(case.lines))


@functools.cache
def _read_back(lines: tuple[str, ...]) -> str:
    return ocr(_terminal(lines))


def perceived(case: Case, read: str) -> str:
    """The message the planner sees: the question, then the image part as the pipeline labels it."""
    return f"{case.question}\n[image: {case.id}.png, 1280×720 png] text:\n{read}"


def judge(case: Case, read: str, answer: str) -> Verdict:
    finding = answer.split("\n\n", 1)[0]
    named, why = False, "the cause is not named"
    for hit in re.finditer(case.cause, finding, re.IGNORECASE):
        if hit.group(0).lower() in read.lower():
            why = f"the cause words {hit.group(0)!r} were only quoted from the image"
            continue
        named, why = True, ""
        break
    missing = [word for word in case.mentions if word.lower() not in finding.lower()]
    if named and missing:
        why = f"the finding does not mention {', '.join(missing)}"
    return Verdict(case, read, answer, finding, named, not missing, why)


def answer_for(case: Case, read: str) -> str:
    """The answer composed from the attachment alone (no step ran: nothing here is reachable)."""
    data = [part for part in message_parts(perceived(case, read)) if not part.own]
    return summarize_steps([], data=data)


def evaluate(case: Case) -> Verdict:
    read = read_back(case)
    return judge(case, read, answer_for(case, read))
