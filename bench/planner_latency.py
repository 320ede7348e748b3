"""Guided planning latency with and without the sentence encoder, interleaved (issue 19).

    .venv/bin/python bench/planner_latency.py [--rounds 3]

Every case of the issue-11 and issue-19 sets is planned by the guided planner twice per round,
once with meaning (`bot.agent.meaning`) and once on words alone (the baseline), alternating, so
both see the same machine. The small model is never called (a case that would need it is
declined), so the figures are the planner's own. Wall time and this process's CPU time (all
threads: the encoder runs in a worker thread) per case; p50/p95/max of each, and the ratio.
The target (issue 19): guided planning p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pydantic_ai.messages import ModelMessage, ModelResponse  # noqa: E402
from pydantic_ai.models.function import AgentInfo, FunctionModel  # noqa: E402

from chatops.bot.agent import meaning  # noqa: E402
from chatops.bot.agent.guided import GuidedPlanner  # noqa: E402
from chatops.bot.agent.planning import PlanRequest  # noqa: E402
from chatops.bot.agent.tool_score import forget_scores  # noqa: E402
from chatops.bot.config import load_config  # noqa: E402
from chatops.bot.evaluation import EVAL_USER, _plan_of, load_cases, offered_tools  # noqa: E402


async def decline(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    raise RuntimeError("no model in this benchmark")


def sets() -> list[tuple[Path, Path]]:
    data = HERE / "data"
    found = []
    for part in ("heldout", "fresh", "fresh2", "tuning"):
        for path in sorted((data / part).glob("*.jsonl")):
            found.append((path, data / ("unseen.toml" if path.stem.startswith("unseen") else "eval.toml")))
    for folder in sorted(path for path in (data / "issue19").iterdir() if path.is_dir()):
        for path in sorted(folder.glob("*.jsonl")):
            found.append((path, path.with_suffix(".toml")))
    return found


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else 0.0


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with_meaning = GuidedPlanner(FunctionModel(decline))
    words_only = GuidedPlanner(FunctionModel(decline), use_meaning=False)
    work = []
    for cases_path, config_path in sets():
        tools, _ = offered_tools(load_config(config_path), cases_path)
        for case in load_cases(cases_path):
            if case.executed:
                continue
            request = PlanRequest(text=case.message(), requester=EVAL_USER, tools=tools, history=list(case.history),
                                  earlier=[_plan_of(case.earlier)] if case.earlier else [])
            work.append(request)
    await asyncio.to_thread(meaning.warm, (), [meaning.described(s) for r in work for s in r.tools])  # tool texts once
    figures: dict[str, dict[str, list[float]]] = {"meaning": {"wall": [], "cpu": []}, "words": {"wall": [], "cpu": []}}
    for _ in range(args.rounds):
        for request in work:
            for label, planner in (("meaning", with_meaning), ("words", words_only)):
                forget_scores()  # the other planner's scores of the same words are not this plan's
                wall, cpu = time.perf_counter(), time.process_time()
                with contextlib.suppress(Exception):  # a declined model call: the case still took its time
                    await planner.plan(request)
                figures[label]["wall"].append((time.perf_counter() - wall) * 1000)
                figures[label]["cpu"].append((time.process_time() - cpu) * 1000)
        meaning._VECTORS.clear()  # each round embeds the requests again, as a new message would
        await asyncio.to_thread(meaning.warm, (), [meaning.described(s) for r in work for s in r.tools])
    print(f"{len(work)} requests × {args.rounds} rounds, interleaved")
    print(f"{'':22}{'wall p50':>10}{'wall p95':>10}{'wall max':>10}{'cpu p50':>10}{'cpu p95':>10}")
    for label in ("words", "meaning"):
        wall, cpu = figures[label]["wall"], figures[label]["cpu"]
        print(f"{label:22}{quantile(wall, .5):>10.1f}{quantile(wall, .95):>10.1f}{max(wall):>10.1f}"
              f"{quantile(cpu, .5):>10.1f}{quantile(cpu, .95):>10.1f}")
    ratio = quantile(figures["meaning"]["wall"], .95) / max(quantile(figures["words"]["wall"], .95), 1e-9)
    p95 = quantile(figures["meaning"]["wall"], .95)
    print(f"p95 with meaning / words alone: {ratio:.2f}×; target p95 < 50 ms: {'met' if p95 < 50 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
