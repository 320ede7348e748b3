"""How far each perception test's measured figure sits from its limit on every CPU code path.

faster-whisper's words depend on CTranslate2's instruction-set path, and CI runs on a CPU we do not
choose; a test that passes here and fails there is a broken test. This runs the tests that compare
Whisper or OCR output with a threshold or with exact words (`CANDIDATES`) under each
`CT2_FORCE_CPU_ISA` (GENERIC, AVX, AVX2, AVX512), and once more on one core (`taskset -c 0`,
`OMP_NUM_THREADS=1`: fewer CTranslate2 and onnxruntime threads, another summation order) and once
repeated, with the `bench/isa_probe.py` plugin recording every WER/CER, transcript and OCR text
per test. Then it tabulates each test's worst figure per variant against its limit.

    .venv/bin/python bench/isa_margins.py run [--variants GENERIC,AVX2] [--out /tmp/isa] [tests…]
    .venv/bin/python bench/isa_margins.py table [--out /tmp/isa] > bench/results/isa-margins.txt

A run of the core files takes ~2-3 min per variant on 2 cores; exit code 0 whatever the results.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

CANDIDATES = [
    "tests/test_audio.py", "tests/test_perception.py", "tests/test_video.py", "tests/test_spoken.py",
    "tests/test_glossary.py", "tests/test_image.py", "tests/test_photo.py", "tests/test_diagnoses.py",
    "tests/test_provenance.py", "tests/test_video_held_out.py",
]
E2E = [
    "tests/slack/test_files.py", "tests/discord/test_attachments.py", "tests/http/test_uploads_and_events.py",
    "tests/http/test_video_upload.py", "tests/http/test_followups.py", "tests/test_model_wire.py",
    "tests/test_startup.py::test_a_voice_note_before_whisper_is_warm_waits_for_it_with_a_notice",
]
# name → (CT2_FORCE_CPU_ISA, cores for taskset). A level is also forced on Tesseract (its
# `dotproduct` setting picks the SIMD code of its LSTM; 5.3 has no avx512 value, `auto` picks AVX2
# on this machine) and on OpenCV (`OPENCV_CPU_DISABLE` turns its dispatched optimisations off).
# Tesseract's `avx` and `sse` values read garbage here ("§2_7&_«&_¥«…" for a terminal): its int8
# weights are laid out for the SIMD matrix chosen at load, and `-c` switches it afterwards, so an
# AVX-only CPU cannot be imitated; the AVX variant keeps `generic` (its int8 products are exact,
# and generic, fma, avx2 and auto read byte-identical text here).
# onnxruntime (RapidOCR) offers no switch: only the thread count varies it.
VARIANTS = {
    "GENERIC": ("GENERIC", "0,1"), "AVX": ("AVX", "0,1"), "AVX2": ("AVX2", "0,1"), "AVX512": ("AVX512", "0,1"),
    "AVX512-1core": ("AVX512", "0"), "AVX2-1core": ("AVX2", "0"), "AVX512-again": ("AVX512", "0,1"),
    "MKL-AVX2": ("AVX2", "0,1"), "MKL-AVX512": ("AVX512", "0,1"),
}
# CTranslate2 multiplies with Intel MKL on Intel CPUs and with oneDNN elsewhere; `CT2_USE_MKL=1` takes
# the Intel CPU's GEMM on this AMD one (slowly: MKL's int8 path is ~10× slower here), so these
# variants run a subset.
MKL = {"MKL-AVX2", "MKL-AVX512"}
TESSERACT = {"GENERIC": "generic", "AVX": "generic", "AVX2": "avx2", "AVX512": "auto"}
OPENCV_OFF = {"GENERIC": "SSE4.1,SSE4.2,POPCNT,AVX,FP16,AVX2,FMA3,AVX512F,AVX512-SKX",
              "AVX": "FP16,AVX2,FMA3,AVX512F,AVX512-SKX", "AVX2": "AVX512F,AVX512-SKX", "AVX512": ""}


def tesseract_shim(folder: Path) -> Path:
    """A `tesseract` first on PATH that passes `-c dotproduct=$TESSERACT_DOTPRODUCT` to the real one
    (the product finds the binary with `shutil.which`)."""
    real = shutil.which("tesseract")
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / "tesseract"
    shim.write_text(f'#!/bin/sh\nimage="$1"; out="$2"; shift 2\n'
                    f'exec {real} "$image" "$out" -c dotproduct="${{TESSERACT_DOTPRODUCT:-auto}}" "$@"\n')
    shim.chmod(0o755)
    return folder


def run(variants: list[str], out: Path, tests: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in variants:
        isa, cores = VARIANTS[name]
        log = out / f"{name}.jsonl"
        log.unlink(missing_ok=True)
        threads = str(len(cores.split(",")))
        env = {**os.environ, "CT2_FORCE_CPU_ISA": isa, "ISA_PROBE_OUT": str(log), "PYTHONPATH": str(REPO),
               "OMP_NUM_THREADS": threads, "TESSERACT_DOTPRODUCT": TESSERACT[isa],
               "CT2_USE_MKL": "1" if name in MKL else "0",
               "OPENCV_CPU_DISABLE": OPENCV_OFF[isa],
               "PATH": f"{tesseract_shim(out / 'bin')}{os.pathsep}{os.environ['PATH']}"}
        command = ["taskset", "-c", cores, PYTHON, "-m", "pytest", "-q", "-p", "bench.isa_probe",
                   "-p", "no:cacheprovider", *tests]
        started = time.monotonic()
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
        summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
        print(f"{name}: {summary} ({time.monotonic() - started:.0f} s)", flush=True)
        (out / f"{name}.log").write_text(done.stdout + done.stderr)


def load(out: Path) -> dict[str, dict[str, dict]]:
    """variant → test → {"figures": [(kind, value)], "texts": [...], "outcome": str}."""
    found: dict[str, dict[str, dict]] = {}
    for name in VARIANTS:
        path = out / f"{name}.jsonl"
        if not path.exists():
            continue
        tests: dict[str, dict] = collections.defaultdict(lambda: {"figures": [], "texts": [], "outcome": "?"})
        for line in path.read_text().splitlines():
            row = json.loads(line)
            test = tests[row["test"]]
            if row["kind"] in ("wer", "cer"):
                test["figures"].append((row["kind"], row["value"], row["hypothesis"]))
            elif row["kind"] == "outcome":
                test["outcome"] = ("xfail" if row["wasxfail"] else row["outcome"]) + (
                    f" ({row['message']})" if row["message"] else "")
            else:
                test["texts"].append((row["kind"], row["hypothesis"]))
        found[name] = tests
    return found


# What each candidate test compares its figures with (read from the test; "words:" = exact-word checks).
LIMITS = {
    "test_audio.py::test_every_platform_format_is_transcribed": "WER <= 0.25; words: restart payment nginx logs",
    "test_audio.py::test_the_vocabulary_prompt_helps_on_jargon":
        "WER without >= 0.5, with <= 0.35, gap >= 0.3; words: kubectl only with the prompt",
    "test_audio.py::test_what_the_prompt_costs_on_plain_speech": "mean WER <= 0.3, max <= 0.5; words: nginx payment",
    "test_audio.py::test_a_note_cut_midway_keeps_what_arrived": "words: starts 'please restart'",
    "test_audio.py::test_transcribing_never_blocks_the_event_loop": "words: nginx",
    "test_perception.py::test_voice_notes_in_every_platform_format_are_transcribed":
        "WER(heard) <= 0.31; words: restart payment nginx web",
    "test_perception.py::test_a_terminal_screenshot_is_read_line_by_line": "CER <= 0.03",
    "test_perception.py::test_image_facts_and_light_screenshots": "words: CrashLoopBackOff",
    "test_perception.py::test_a_message_with_a_voice_note_is_planned_from_its_transcript": "words: nginx, payment",
    "test_perception.py::test_transcribe_and_describe_commands": "WER(heard) <= 0.31; words: CrashLoopBackOff",
    "test_video.py::test_a_clip_becomes_a_timeline_of_speech_and_screens": "WER(heard) <= 0.25; OCR words",
    "test_video.py::test_a_sound_only_clip_is_heard_as_a_voice_note": "WER <= 0.25",
    "test_video.py::test_only_the_first_max_seconds_are_perceived": "WER <= 0.25",
    "test_video.py::test_the_time_budget_cuts_speech_off_too": ">= half the words in the first segment (e246ea4)",
    "test_video.py::test_the_console_attaches_a_video_and_watch_prints_its_timeline": "WER(heard) <= 0.25",
    "test_video.py::test_a_clips_speech_is_biased_and_normalised_like_a_voice_note": "words: 443, nginx",
    "test_spoken.py::test_transcripts_of_spoken_requests_keep_nginx_and_show_what_was_heard": "words: nginx, 443",
    "test_image.py::test_a_dark_terminal_screenshot_is_read_line_by_line_in_order": "CER <= 0.03, per line <= 0.15",
    "test_image.py::test_light_screens_dialogs_and_dashboards_are_read": "CER light <= 0.03, dialog/dash <= 0.05",
    "test_image.py::test_the_rapidocr_engine": "CER <= 0.05",
    "test_photo.py::test_a_photo_of_a_screen_is_corrected_before_ocr":
        "was CER <= 0.13 and <= raw + 0.035, dashboard raw > 0.3 and <= 0.06; now CER <= 0.2 and <= raw + 0.1, "
        "dashboard raw > 0.3 and <= raw / 4 (figures: corrected, [corrected,] raw, …)",
    "test_photo.py::test_a_screenshot_is_read_as_it_is": "CER <= 0.03",
    "test_photo.py::test_auto_reads_a_photo_with_rapidocr_and_a_screenshot_with_tesseract":
        "was CER <= 0.03; now CER <= 0.1 and the host name read exactly",
    "test_photo.py::test_a_moire_ripple_is_cut_and_text_survives": "words: 'ERROR load average 42.0'",
    "test_diagnoses.py::test_the_held_out_screenshots_are_concluded_in_the_bots_own_words":
        "share concluded >= target (OCR text)",
    "test_video_held_out.py::test_the_spoken_words_at_the_target_wer": "set WER <= 0.15 (strict xfail)",
    "test_video_held_out.py::test_every_error_line_is_found_within_a_second":
        "the module fixture's figures: 12 clip WERs, the set WER (13th; target 0.15, strict xfail), …",
}


def _limit(test: str) -> str:
    key = test.split("/", 1)[-1].split("[")[0]
    return next((text for name, text in LIMITS.items() if key.endswith(name)), "")


def table(out: Path) -> str:
    """Per test: its limit, then per variant the outcome and every figure it computed (in order)."""
    found = load(out)
    names = list(found)
    every = sorted({test for tests in found.values() for test in tests})
    lines = ["# per test: its limit, then per variant the outcome (. pass, F fail, x xfail, s skip)",
             "# and every WER/CER the test computed, in call order; '*' marks a test whose",
             "# Whisper/OCR text differed from the first variant's", ""]
    for test in every:
        figures = [entry for name in names if (entry := found[name].get(test)) and entry["figures"]]
        texts = [tuple(t for _, t in found[name][test]["texts"]) for name in names if test in found[name]]
        if not figures and not any(texts):
            continue  # no perception figure or text: not a candidate
        lines.append(f"{test}    [{_limit(test) or 'no limit on a figure'}]")
        for name in names:
            entry = found[name].get(test)
            if entry is None:
                continue
            letter = {"passed": ".", "failed": "F", "skipped": "s"}.get(entry["outcome"].split(" ")[0],
                                                                        entry["outcome"][:1])
            mine = tuple(t for _, t in entry["texts"])
            marker = "*" if texts and mine != texts[0] else " "
            shown = " ".join(f"{value:.3f}" for _, value, _ in entry["figures"][:14])
            more = f" (+{len(entry['figures']) - 14})" if len(entry["figures"]) > 14 else ""
            lines.append(f"    {name:<13} {letter}{marker} {shown}{more}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["run", "table", "texts"])
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--out", type=Path, default=Path("/tmp/isa"))
    parser.add_argument("tests", nargs="*")
    args = parser.parse_intermixed_args()
    if args.mode == "run":
        run(args.variants.split(","), args.out, args.tests or CANDIDATES)
    elif args.mode == "table":
        print(table(args.out))
    else:  # every transcript/OCR text per test and variant, to see what changed
        found = load(args.out)
        for test in sorted({t for tests in found.values() for t in tests}):
            print(test)
            for name, tests in found.items():
                if test in tests:
                    for kind, text in tests[test]["texts"]:
                        print(f"  {name:>13} {kind:>9}: {' / '.join(text.splitlines())[:200]}")


if __name__ == "__main__":
    main()
