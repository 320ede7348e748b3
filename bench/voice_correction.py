"""Issue 26 item 3, the TUNING run: choose the vocabulary corrector's thresholds
(`bot.perception.correction`) on the tuning sentences, never on the held-out ones.

    .venv/bin/python bench/voice_correction.py                # transcribe, then sweep
    .venv/bin/python bench/voice_correction.py --save raw.json  # keep the raw transcripts
    .venv/bin/python bench/voice_correction.py --load raw.json  # sweep again without Whisper

Sets: bench/data/jargon_tuning.py (12 ops + 8 plain sentences, two espeak-ng voices, its own
operator vocabulary) and bench/voice_bias.py (7 ops + 4 plain, its operator list). Each clip is
transcribed once, as the bot does (tiny.en, the glossary as hotwords); every setting is then
applied to the same raw transcripts (spoken-form normalisation, then the correction), so the
sweep costs no decoding. Prints raw and corrected mean WER on ops and plain speech per setting,
the number of rewrites made in plain speech, and each rewrite of the chosen setting.

The choice rule, fixed before the run: the lowest ops WER among settings that make no rewrite
in plain speech and do not raise its WER; ties go to the higher (more careful) thresholds.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO))

from bench import voice_bias  # noqa: E402
from bench.data import jargon_tuning  # noqa: E402
from chatops.bot.config import PerceptionConfig  # noqa: E402
from chatops.bot.perception import correction  # noqa: E402
from chatops.bot.perception.correction import VocabularyCorrector  # noqa: E402
from chatops.bot.perception.pipeline import Perceiver  # noqa: E402
from chatops.bot.perception.spoken import normalise_transcript  # noqa: E402
from chatops.bot.perception.types import MediaFile  # noqa: E402
from tests.media import voice_note, wer  # noqa: E402


def sets() -> list[tuple[list[str], list[str], list[str], list[str]]]:
    """(ops, plain, vocabulary, voices) per tuning set."""
    return [(jargon_tuning.OPS, jargon_tuning.PLAIN, jargon_tuning.VOCABULARY, jargon_tuning.VOICES),
            (voice_bias.OPS, voice_bias.PLAIN, voice_bias.glossaries()["values"], ["en-us"])]


async def transcribe() -> list[dict]:
    rows: list[dict] = []
    for ops, plain, words, voices in sets():
        perceiver = Perceiver(PerceptionConfig(), vocabulary=words)
        try:
            for voice in voices:
                for text in [*ops, *plain]:
                    media = MediaFile("clip.ogg", voice_note("ogg", text, voice=voice), "audio/ogg")
                    heard = await perceiver.transcriber.transcribe(media)
                    rows.append({"ref": text, "voice": voice, "raw": heard.text, "vocabulary": words,
                                 "kind": "ops" if text in ops else "plain"})
        finally:
            perceiver.close()
    return rows


def measure(rows: list[dict], threshold: float, english: float, span: int) -> dict:
    correction.MAX_SPAN = span
    correctors: dict[tuple[str, ...], VocabularyCorrector] = {}
    result: dict = {"ops": [], "plain": [], "raw_ops": [], "raw_plain": [], "plain_rewrites": 0, "rewrites": []}
    for row in rows:
        key = tuple(row["vocabulary"])
        if key not in correctors:
            correctors[key] = VocabularyCorrector(key, threshold=threshold, english_threshold=english)
        text, changes = correctors[key].correct(normalise_transcript(row["raw"]))
        result[row["kind"]].append(wer(row["ref"], text))
        result["raw_" + row["kind"]].append(wer(row["ref"], row["raw"]))
        if row["kind"] == "plain":
            result["plain_rewrites"] += len(changes)
        result["rewrites"] += [(row["kind"], c.heard, c.term, round(c.score, 3)) for c in changes]
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--save", type=Path)
    parser.add_argument("--load", type=Path)
    args = parser.parse_args()
    rows = json.loads(args.load.read_text()) if args.load else asyncio.run(transcribe())
    if args.save:
        args.save.write_text(json.dumps(rows, indent=1))
    raw_ops = statistics.mean(wer(r["ref"], r["raw"]) for r in rows if r["kind"] == "ops")
    raw_plain = statistics.mean(wer(r["ref"], r["raw"]) for r in rows if r["kind"] == "plain")
    print(f"# {len(rows)} tuning clips; raw (Whisper's words) ops {raw_ops:.3f} / plain {raw_plain:.3f}")
    print(f"{'threshold':>9} {'english':>8} {'span':>4} {'ops WER':>8} {'plain WER':>9} {'plain rewrites':>14}")
    grid = [x / 100 for x in range(70, 100, 5)]
    best = None
    for threshold, english, span in itertools.product(grid, grid, (2, 3, 4)):
        if english < threshold:
            continue
        found = measure(rows, threshold, english, span)
        ops, plain = statistics.mean(found["ops"]), statistics.mean(found["plain"])
        print(f"{threshold:>9.2f} {english:>8.2f} {span:>4} {ops:>8.3f} {plain:>9.3f} {found['plain_rewrites']:>14}")
        if found["plain_rewrites"] == 0 and plain <= raw_plain + 1e-9:
            rank = (round(ops, 6), -threshold, -english, span)
            if best is None or rank < best[0]:
                best = (rank, threshold, english, span)
    if best is None:
        print("no setting leaves plain speech alone")
        return 1
    _, threshold, english, span = best
    print(f"# chosen: threshold {threshold:.2f}, english {english:.2f}, span {span}")
    chosen = measure(rows, threshold, english, span)
    for kind, heard, term, score in chosen["rewrites"]:
        print(f"#   {kind:5} {heard!r} -> {term!r} ({score})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
