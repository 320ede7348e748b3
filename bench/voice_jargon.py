"""Issue 26 item 3: Whisper's word error on *held-out* ops clips and on plain speech, with and
without the bot's vocabulary bias (the glossary prompt and hotwords of `bot.perception.audio`).

    .venv/bin/python bench/voice_jargon.py
    CT2_FORCE_CPU_ISA=GENERIC .venv/bin/python bench/voice_jargon.py

The sentences below were written for this bench, before its first run, and differ from those of
bench/voice_bias.py (the set the glossary's form was chosen on). The tools and runbooks are
bench/data/eval.toml's, with an operator's `whisper.vocabulary` naming the hosts and services the
sentences mention, as a team would configure it. espeak-ng voices, tiny.en int8.

Each glossary gets two columns: `raw`, Whisper's words (what the bench measured before the
correction existed), and `fixed`, the text the planner reads: spoken forms normalised and
misheard vocabulary terms re-spelled (`bot.perception.correction`, whose thresholds were chosen
on bench/voice_correction.py's tuning set). The correction uses the same glossary as the bias.

Target (issue 26): ops clips WER ≤ 0.15 with the vocabulary, and no loss on plain speech.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO))

from chatops.bot.config import PerceptionConfig, load_config  # noqa: E402
from chatops.bot.perception.pipeline import Perceiver  # noqa: E402
from chatops.bot.perception.types import MediaFile  # noqa: E402
from chatops.bot.runtime import build_registry, vocabulary  # noqa: E402
from tests.media import voice_note, wer  # noqa: E402

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
    clips = {text: voice_note("ogg", text) for text in [*OPS, *PLAIN]}
    results: dict[str, dict[str, float]] = {}
    heard: dict[str, dict[str, str]] = {}
    rewrites: list[str] = []
    for name, words in glossaries().items():
        config = PerceptionConfig()  # `whisper.vocabulary` left empty: `words` is the whole glossary
        config.whisper.bias_decoding = bool(words)
        perceiver = Perceiver(config, vocabulary=words)
        try:
            for column in (f"{name} raw", f"{name} fixed"):
                results[column], heard[column] = {}, {}
            for text, data in clips.items():
                part = await perceiver.perceive(MediaFile("clip.ogg", data, "audio/ogg"))
                for column, said in ((f"{name} raw", part.heard or part.text), (f"{name} fixed", part.text)):
                    results[column][text] = wer(text, said)
                    heard[column][text] = said
                rewrites += [f"{name}: {c['heard']!r} -> {c['term']!r} ({c['score']})"
                             for c in part.details.get("corrections", [])]
        finally:
            perceiver.close()
    names = list(results)
    print(f"# CT2_FORCE_CPU_ISA={os.environ.get('CT2_FORCE_CPU_ISA', '(auto)')}")
    print(f"{'clip':58}" + "".join(f"{n:>26}" for n in names))
    for text in clips:
        print(f"{text[:57]:58}" + "".join(f"{results[n][text]:>26.2f}" for n in names)
              + f"   {heard[names[-1]][text]}")
    for label, group in (("mean WER, held-out ops clips", OPS), ("mean WER, plain speech", PLAIN)):
        print(f"{label:58}" + "".join(f"{statistics.mean(results[n][t] for t in group):>26.3f}" for n in names))
    print("# rewrites made:" if rewrites else "# no rewrites made")
    for line in rewrites:
        print(f"#   {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
