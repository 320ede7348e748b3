"""A pytest plugin that records, per test, the figures a perception test compares with its limit:
every `jiwer.wer` / `jiwer.cer` call (reference, hypothesis, value), every Whisper transcript and
every OCR text the product produced, and the test's outcome. `bench/isa_margins.py` runs the
candidate tests once per CPU code path (`CT2_FORCE_CPU_ISA`) and thread count with it and
tabulates the margins.

Why a plugin rather than a copy of each test's inputs: the tests' own clips and screenshots, read
by the product's own code, are what CI runs; copying them into a bench would drift.

    ISA_PROBE_OUT=/tmp/x.jsonl python -m pytest -p bench.isa_probe tests/test_audio.py
"""

from __future__ import annotations

import json
import os
from typing import Any

import jiwer
import pytest

_OUT = os.environ.get("ISA_PROBE_OUT")


def _test() -> str:
    """The running test's node id (pytest keeps it in the environment while a test runs)."""
    return os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" (", 1)[0]


def _record(**row: Any) -> None:
    if _OUT:
        with open(_OUT, "a", encoding="utf-8") as out:
            out.write(json.dumps({"test": _test(), **row}, ensure_ascii=False) + "\n")


def _wrapped(name: str):
    original = getattr(jiwer, name)

    def measure(reference, hypothesis, *args, **kwargs):
        value = original(reference, hypothesis, *args, **kwargs)
        _record(kind=name, reference=reference, hypothesis=hypothesis, value=value)
        return value

    measure.__wrapped__ = original
    return measure


jiwer.wer = _wrapped("wer")
jiwer.cer = _wrapped("cer")


def _patch_product() -> None:
    """Record what Whisper heard and what OCR read, at the product's own seams."""
    from chatops.bot.perception import audio, image

    transcribe_samples = audio.Transcriber.transcribe_samples

    def heard(self, samples, name, *, deadline=None):
        transcript = transcribe_samples(self, samples, name, deadline=deadline)
        _record(kind="whisper", name=name, prompt=self.prompt, hypothesis=transcript.text,
                segments=[[s.start, s.end, s.text] for s in transcript.segments])
        return transcript

    audio.Transcriber.transcribe_samples = heard

    tesseract = image.tesseract

    def read(gray, *args, **kwargs):
        text = tesseract(gray, *args, **kwargs)
        _record(kind="tesseract", hypothesis=text)
        return text

    image.tesseract = read

    rapid = image.ImageReader._rapid_ocr

    def rapid_read(self, picture):
        text = rapid(self, picture)
        _record(kind="rapidocr", hypothesis=text)
        return text

    image.ImageReader._rapid_ocr = rapid_read


_patch_product()


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        message = str(report.longrepr).splitlines()[-1][:300] if report.failed and report.longrepr else ""
        if _OUT:
            with open(_OUT, "a", encoding="utf-8") as out:
                out.write(json.dumps({"test": report.nodeid, "kind": "outcome", "outcome": report.outcome,
                                      "wasxfail": hasattr(report, "wasxfail"), "message": message}) + "\n")
