"""What Whisper's decoding bias does to word error, on ops clips and on plain speech.

    python bench/voice_bias.py

Three settings, each over the same espeak-ng clips (generated in the run) with tiny.en int8:

- `none`: no glossary;
- `tool names` (before issue 11): the glossary the bot used to build, tool names (also as words:
  `restart_service` → "restart service") and runbook choices;
- `values` (now): only values people say: `whisper.vocabulary`, runbook enum values and aliases.

The tools and runbooks are those of `bench/data/eval.toml`, plus a `whisper.vocabulary` of the
kind an operator would configure (host and service names). Prints WER per clip and the mean per
kind of speech, and whether "nginx" survived where it was said.
"""

from __future__ import annotations

import asyncio
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
from tests.media import JARGON, SPOKEN, voice_note, wer  # noqa: E402

OPS = [
    "restart the nginx service on web one",
    SPOKEN,
    JARGON,
    "show me the redis logs from the last hour",
    "roll back the payments deployment to revision forty one",
    "scale the checkout deployment to five replicas",
    "is port four four three open on the api gateway",
]
PLAIN = [
    "the weather is nice today so we are going to the park",
    "please send me the quarterly report by friday afternoon",
    "I will be late for the meeting because my train was cancelled",
    "can you remind me to call my sister tomorrow morning",
]
OPERATOR_VOCABULARY = ["web1", "payments-api", "checkout", "api-gateway"]


def glossaries() -> dict[str, list[str]]:
    config = load_config(HERE / "data" / "eval.toml")
    config.perception.whisper.vocabulary = list(OPERATOR_VOCABULARY)
    registry, _ = build_registry(config)
    values = vocabulary(config, registry)
    before = list(registry.names())
    for runbook in config.runbooks:
        for param in runbook.params.values():
            before += param.values or []
    before += OPERATOR_VOCABULARY
    return {"none": [], "tool names": before, "values": values}


async def main() -> int:
    clips = {text: voice_note("ogg", text) for text in [*OPS, *PLAIN]}
    results: dict[str, dict[str, float]] = {}
    heard: dict[str, dict[str, str]] = {}
    for name, words in glossaries().items():
        perceiver = Perceiver(PerceptionConfig(), vocabulary=words)
        try:
            results[name], heard[name] = {}, {}
            for text, data in clips.items():
                part = await perceiver.perceive(MediaFile("clip.ogg", data, "audio/ogg"))
                transcript = part.heard or part.text
                results[name][text] = wer(text, transcript)
                heard[name][text] = transcript
        finally:
            perceiver.close()
    names = list(results)
    print(f"{'clip':58}" + "".join(f"{n:>12}" for n in names))
    for text in clips:
        print(f"{text[:57]:58}" + "".join(f"{results[n][text]:>12.2f}" for n in names))
    for label, group in (("mean WER, ops clips", OPS), ("mean WER, plain speech", PLAIN)):
        print(f"{label:58}" + "".join(f"{statistics.mean(results[n][t] for t in group):>12.2f}" for n in names))
    said = [text for text in clips if "nginx" in text]
    kept = {n: sum("nginx" in heard[n][t].lower() for t in said) for n in names}
    print(f"{'nginx kept (of ' + str(len(said)) + ' clips that say it)':58}" + "".join(f"{kept[n]:>12}" for n in names))
    for name in names:
        print(f"\n{name}: " + " | ".join(heard[name][t] for t in OPS[:1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
