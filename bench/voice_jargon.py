"""Issue 26 item 3: Whisper's word error on *held-out* ops clips and on plain speech, with and
without the bot's vocabulary bias (the glossary prompt and hotwords of `bot.perception.audio`).

    .venv/bin/python bench/voice_jargon.py                    # the first held-out set
    .venv/bin/python bench/voice_jargon.py --set heldout2     # the second (bench/data/jargon_heldout2.py)
    .venv/bin/python bench/voice_jargon.py --set heldout2 --glossary "operator's"   # one glossary only
    CT2_FORCE_CPU_ISA=GENERIC .venv/bin/python bench/voice_jargon.py

The sentences below were written for this bench, before its first run, and differ from those of
bench/voice_bias.py (the set the glossary's form was chosen on). The tools and runbooks are
bench/data/eval.toml's, with an operator's `whisper.vocabulary` naming the hosts and services the
sentences mention, as a team would configure it. espeak-ng voices, tiny.en int8.

Each glossary gets two columns: `raw`, Whisper's words (what the bench measured before the
correction existed), and `fixed`, the text the planner reads: spoken forms normalised and
misheard vocabulary terms re-spelled (`bot.perception.correction`, whose thresholds were chosen
on bench/voice_correction.py's tuning set). The correction uses the same glossary as the bias.

Two metrics, both always printed: `old` is tests/media.wer (lower case, no punctuation, hyphens
and digits glued to names split, single digits as words: the metric of the earlier rounds), `norm`
is tests/media.wer_normalised (Whisper's English text normaliser, the standard for Whisper: number
words as numbers on both sides, American spelling, contractions expanded).

`--set heldout2` runs bench/data/jargon_heldout2.py instead: 12 ops + 6 plain sentences from other
tools and domains, in three espeak-ng voices, with its own operator vocabulary (written after this
set had been measured twice, and before any later choice). Its glossaries: none, the operator's
(what the bot uses: a user's list replaces the derived one) and the operator's + eval.toml's tools'.

Target (issue 26): ops clips WER ≤ 0.15 with the vocabulary, and no loss on plain speech.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO))

from bench.data import jargon_heldout2  # noqa: E402
from chatops.bot.config import PerceptionConfig, load_config  # noqa: E402
from chatops.bot.perception.audio import SAMPLE_RATE, decode  # noqa: E402
from chatops.bot.perception.pipeline import Perceiver  # noqa: E402
from chatops.bot.perception.types import MediaFile  # noqa: E402
from chatops.bot.runtime import build_registry, vocabulary  # noqa: E402
from tests.media import voice_note, wer, wer_normalised  # noqa: E402

OPS = [
    "restart postgresql on db two and then check the replication lag",
    "the kubelet on worker three keeps evicting pods",
    "drain the node and cordon it before the kernel upgrade",
    "check the haproxy backends for the checkout service",
    "flush the redis cache on cache one",
    "tail the nginx error log on web two",
    "is the grafana dashboard for payments api showing errors",
    "roll out the helm chart for the ledger service to staging",
]
PLAIN = [
    "could you book a table for four people at seven tonight",
    "my daughter starts school again next monday",
    "we should paint the kitchen before the summer holidays",
    "the library closes early on sundays during winter",
]
OPERATOR_VOCABULARY = ["web2", "db2", "cache1", "worker3", "payments-api", "ledger", "haproxy", "grafana",
                       "kubelet", "helm"]


def glossaries_heldout2() -> dict[str, list[str]]:
    """The second set's glossaries: none; its operator's list; that list with eval.toml's tools' words."""
    config = load_config(HERE / "data" / "eval.toml")
    config.perception.whisper.vocabulary = []
    registry, _ = build_registry(config)
    derived = vocabulary(config, registry)
    operators = list(jargon_heldout2.VOCABULARY)
    return {"none": [], "operator's": operators, "operator's + tools'": [*operators, *derived]}


def glossaries() -> dict[str, list[str]]:
    """No bias; the glossary the bot derives from eval.toml's tools (runbook values, aliases and
    examples' jargon, tools' schema values: `bot.perception.glossary`); and the operator's own
    `whisper.vocabulary`, which replaces the derived one; and, for comparison, both (the bot's
    glossary before the user's list replaced the derived one)."""
    config = load_config(HERE / "data" / "eval.toml")
    config.perception.whisper.vocabulary = []
    registry, _ = build_registry(config)
    derived = vocabulary(config, registry)
    config.perception.whisper.vocabulary = list(OPERATOR_VOCABULARY)
    operators = vocabulary(config, registry)
    return {"none": [], "from the tools": derived, "operator's": operators,
            "operator's + tools'": [*operators, *derived]}  # what the bot used before the user's list replaced


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", choices=("heldout1", "heldout2"), default="heldout1")
    parser.add_argument("--glossary", action="append", help="only this glossary (repeatable): runs stay short")
    args = parser.parse_args()
    if args.set == "heldout2":
        ops, plain, voices, chosen = (jargon_heldout2.OPS, jargon_heldout2.PLAIN, jargon_heldout2.VOICES,
                                      glossaries_heldout2())
    else:
        ops, plain, voices, chosen = OPS, PLAIN, ["en-us"], glossaries()
    if args.glossary:
        chosen = {name: words for name, words in chosen.items() if name in args.glossary}
    clips = {(text, voice): voice_note("ogg", text, voice=voice) for voice in voices for text in [*ops, *plain]}
    results: dict[str, dict[tuple[str, str], str]] = {}  # column → clip → text
    rewrites: list[str] = []
    seconds: dict[str, float] = {}
    for name, words in chosen.items():
        config = PerceptionConfig()  # `whisper.vocabulary` left empty: `words` is the whole glossary
        config.whisper.bias_decoding = bool(words)
        perceiver = Perceiver(config, vocabulary=words)
        try:
            results[f"{name} raw"], results[f"{name} fixed"] = {}, {}
            await perceiver.perceive(MediaFile("clip.ogg", clips[next(iter(clips))], "audio/ogg"))  # load
            started = time.perf_counter()
            for clip, data in clips.items():
                part = await perceiver.perceive(MediaFile("clip.ogg", data, "audio/ogg"))
                results[f"{name} raw"][clip] = part.heard or part.text
                results[f"{name} fixed"][clip] = part.text
                rewrites += [f"{name}: {c['heard']!r} -> {c['term']!r} ({c['score']})"
                             for c in part.details.get("corrections", [])]
            seconds[name] = time.perf_counter() - started
        finally:
            perceiver.close()
    names = list(results)
    print(f"# set {args.set}: {len(ops)} ops + {len(plain)} plain sentences x voices {', '.join(voices)}")
    print(f"# CT2_FORCE_CPU_ISA={os.environ.get('CT2_FORCE_CPU_ISA', '(auto)')}; cells: old WER / normalised WER")
    print(f"{'clip':58}" + "".join(f"{n:>26}" for n in names))
    for text, voice in clips:
        label = f"{voice[:9]:9} {text}"[:57]
        print(f"{label:58}" + "".join(
            f"{wer(text, results[n][(text, voice)]):>18.2f} / {wer_normalised(text, results[n][(text, voice)]):.2f}"
            for n in names) + f"   {results[names[-1]][(text, voice)]}")
    for label, group in (("mean WER, held-out ops clips", ops), ("mean WER, plain speech", plain)):
        for metric, function in (("old", wer), ("normalised", wer_normalised)):
            means = [statistics.mean(function(t, results[n][(t, v)]) for t, v in clips if t in group) for n in names]
            print(f"{label + ', ' + metric:58}" + "".join(f"{m:>26.3f}" for m in means))
    audio_seconds = sum(len(decode(data)) for data in clips.values()) / SAMPLE_RATE
    print(f"# decoding time per glossary (perceive, {len(clips)} clips): "
          + ", ".join(f"{n} {s:.1f} s ({s / len(clips):.2f} s a clip)" for n, s in seconds.items())
          + f"; {audio_seconds:.0f} s of speech")
    print("# rewrites made:" if rewrites else "# no rewrites made")
    for line in rewrites:
        print(f"#   {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
