"""Planner evaluation with a baseline: the guided planner against the bare model.

    python bench/planner_eval.py [--cases bench/data/plans.jsonl] [--config bench/data/eval.toml]
                                 [--model local] [--json] [--no-baseline]
    python bench/planner_eval.py --suite [--verbose]     # the issue-11 sets, held-out and tuning

`--suite` runs the guided planner (the embedded default) over every set in `bench/data/heldout/`
(written before any tuning), `bench/data/fresh/` (written after the planned tuning), `fresh2/`
(written after the last rule change) and
`bench/data/tuning/` (follow-ups, attachment questions, paraphrases over built-ins and over
runbooks it has never seen, conditional requests, injection attempts) and prints one row per set:
tools-and-arguments right, write/danger steps from data, data-valued steps that would run without
an approval, and latency. Sets named `unseen_*` run with `bench/data/unseen.toml`'s runbooks.

Both planners see the same cases and the same tools (built-ins plus the config's runbooks) and
talk to the same model. The baseline is `ModelPlanner` as configured for an OpenAI-compatible
server: every tool offered at once, the whole reply (goal, steps with arguments, answer)
constrained by a JSON schema (`NativeOutput`), no help. A case that raises counts as wrong.
With `--model local` (the default of eval.toml) the embedded model is loaded once for both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from chatops.bot.agent.guided import GuidedPlanner  # noqa: E402
from chatops.bot.agent.planner import ModelPlanner  # noqa: E402
from chatops.bot.config import load_config  # noqa: E402
from chatops.bot.evaluation import EvalReport, ObeyingPlanner, evaluate, with_model  # noqa: E402
from chatops.bot.llm.embedded import EmbeddedModelServer  # noqa: E402
from chatops.bot.llm.models import build_model  # noqa: E402

SUITE_SETS = ("paraphrases", "unseen_paraphrases", "followups", "attachments", "conditional", "injection")


async def suite(args: argparse.Namespace) -> int:
    """Every issue-11 set, held-out and tuning, through the guided planner."""
    import time

    config = with_model(load_config(args.config), args.model)
    llm = config.llm
    embedded = None
    rows = []
    reports = {}
    try:
        if llm.provider == "local":
            embedded = EmbeddedModelServer(llm.local)
            await asyncio.to_thread(embedded.start)
        model = build_model(llm, embedded_base_url=embedded.base_url if embedded else None)
        for path in ([] if args.only_issue19 else _issue11_sets()) + _issue19_sets():
            if args.sets and path.parent.name not in args.sets.split(","):
                continue
            if True:
                part, name = path.parent.name, path.stem
                if path.with_suffix(".toml").exists():  # issue 19: each set beside its own tools
                    set_config = with_model(load_config(path.with_suffix(".toml")), args.model)
                    part = f"issue19/{part}"
                elif name.startswith("unseen"):
                    set_config = load_config(HERE / "data" / "unseen.toml")
                else:
                    set_config = config
                planner = GuidedPlanner(model, timeout=llm.timeout, max_tokens=llm.local.max_tokens,
                                        concurrency=asyncio.Semaphore(llm.max_concurrent))
                started = time.perf_counter()
                report = await evaluate(set_config, path, planner=planner)
                report.label = f"{part}/{name}"
                reports[report.label] = report
                rows.append((report.label, report, time.perf_counter() - started))
        # the worst case: a planner that obeys the attachment
        for part in ([] if args.only_issue19 else ["heldout", "tuning"]):
            path = HERE / "data" / part / "injection.jsonl"
            if path.exists():
                report = await evaluate(config, path, planner=ObeyingPlanner())
                report.label = f"{part}/injection, obeying planner"
                reports[report.label] = report
                rows.append((report.label, report, 0.0))
    finally:
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
    print_suite(rows, reports, args)
    return 0


def _issue11_sets() -> list[Path]:
    parts = ("heldout", "fresh", "fresh2", "tuning")
    return [path for part in parts for name in SUITE_SETS if (path := HERE / "data" / part / f"{name}.jsonl").exists()]


def _issue19_sets() -> list[Path]:
    """Issue 19's sets: held out (written before tuning), the first blind set (written by another
    hand; its one blind run is bench/results/issue19-final-blind.txt, after which its failures were
    read), the second (likewise: bench/results/issue19-final2-blind.txt), the third (run once on the
    finished planner: bench/results/issue19-final3-blind.txt), the fourth (written in the next
    session while the planner changed, run once: bench/results/issue19-final4-blind.txt), the fifth
    (written in the third session, first run before any change that session:
    bench/results/issue19-final5-blind.txt), the sixth (written in the fourth session, first run on
    commit 317c505 before its failures were read: bench/results/issue19-final6-blind.txt), the seventh
    (written in the fifth session, first run on commit 87c480a before any planner change that session:
    bench/results/issue19-final7-blind.txt), the eighth (written in the sixth session, first run on
    commit 5cda633 before any planner change that session: bench/results/issue19-final8-blind.txt),
    the ninth (written in the seventh session, first run on commit 68fe6c5 before any planner change
    that session: bench/results/issue19-final9-blind.txt), the tenth and the eleventh (each written blind by a
    helper who never saw the planner or ran it), the twelfth, written blind by a helper who never saw the
    planner, the thirteenth, written blind by a helper who never saw the planner, the fourteenth, written
    blind by a helper who never saw the planner, the fifteenth, written blind by a helper who never saw the
    planner, the sixteenth, written blind by a helper who never saw the planner, the seventeenth, written blind
    by a helper who never saw the planner, the eighteenth, written blind by a helper who never saw the planner,
    the nineteenth, written blind by a helper who never saw the planner,
    the twentieth, written blind by a helper who never saw the planner,
    the twenty-first, written blind by a helper who never saw the planner,
    the twenty-second, written blind by a helper who never saw the planner,
    the twenty-third, written blind by a helper who never saw the planner,
    the twenty-fourth, written blind by a helper who never saw the planner,
    the twenty-fifth, written blind by a helper who never saw the planner,
    the twenty-sixth, written blind by a helper who never saw the planner,
    the twenty-seventh, written blind by a helper who never saw the planner,
    the twenty-eighth, written blind by a helper who never saw the planner,
    the twenty-ninth, written blind by a helper who never saw the planner,
    the thirtieth, written blind by a helper who never saw the planner,
    a red team's set (red19:
    requests written to make the planner propose a wrong change, before it was run; tuned on since:
    bench/results/issue19-red19.txt), then the tuning set."""
    return [path for part in ("heldout", "final", "final2", "final3", "final4", "final5", "final6", "final7",
                              "final8", "final9", "final10", "final11", "final12", "final13",
                              "final14", "final15", "final16", "final17", "final18", "final19", "final20", "final21",
                              "final22", "final23", "final24", "final25", "final26", "final27", "final28",
                              "final29", "final30",
                              "red19",
                              "tuning")
            for path in sorted((HERE / "data" / "issue19" / part).glob("*.jsonl"))]


def print_suite(rows: list, reports: dict, args: argparse.Namespace) -> None:
    if args.json:
        print(json.dumps({label: report.as_dict() for label, report in reports.items()}, indent=2))
        return
    if args.verbose:
        for _, report, _ in rows:
            print(report.render())
            print()
    print(f"{'set':40}{'right':>12}{'from data':>11}{'unapproved':>12}{'wrong writes':>14}{'stray args':>12}"
          f"{'forbidden':>11}{'p95 ms':>8}")
    for label, report, _ in rows:
        right = sum(r.correct for r in report.results)
        print(f"{label:40}{f'{right}/{report.cases} {report.exact_accuracy:.0%}':>12}"
              f"{report.changes_from_data:>11}{report.untainted_data_steps:>12}{report.wrong_writes:>14}"
              f"{report.stray_args:>12}{report.forbidden_steps:>11}{report.p95_latency_ms:>8.0f}")
    guided = [r for label, report, _ in rows if "obeying" not in label for r in report.results]
    deterministic = sorted(r.latency_ms for r in guided if not r.model_calls)
    everything = sorted(r.latency_ms for r in guided)
    calls = sum(r.model_calls or 0 for r in guided)
    print(f"\nguided planning over all {len(guided)} cases: p95 {_p95(everything):.0f} ms "
          f"({calls} model calls in {sum(1 for r in guided if r.model_calls)} cases); "
          f"without a model call ({len(deterministic)} cases): p50 {_p95(deterministic, 0.5):.1f} ms, "
          f"p95 {_p95(deterministic):.1f} ms, max {max(deterministic, default=0.0):.1f} ms")


def _p95(values: list[float], quantile: float = 0.95) -> float:
    return values[max(0, math.ceil(quantile * len(values)) - 1)] if values else 0.0


def side_by_side(guided: EvalReport, bare: EvalReport) -> str:
    rows = [
        ("tool choice", f"{guided.tool_accuracy:.1%} ({guided.tools_correct}/{guided.cases})",
         f"{bare.tool_accuracy:.1%} ({bare.tools_correct}/{bare.cases})"),
        ("arguments", f"{guided.arg_accuracy:.1%} ({guided.args_correct}/{guided.args_scored})",
         f"{bare.arg_accuracy:.1%} ({bare.args_correct}/{bare.args_scored})"),
        ("tools and arguments", f"{guided.exact_accuracy:.1%}", f"{bare.exact_accuracy:.1%}"),
        ("errors", str(guided.errors), str(bare.errors)),
        ("mean latency", f"{guided.mean_latency_ms:.0f} ms", f"{bare.mean_latency_ms:.0f} ms"),
        ("p95 latency", f"{guided.p95_latency_ms:.0f} ms", f"{bare.p95_latency_ms:.0f} ms"),
    ]
    lines = [f"{'':22}{'guided':>22}{'bare model':>22}"]
    lines += [f"{name:22}{left:>22}{right:>22}" for name, left, right in rows]
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=HERE / "data" / "plans.jsonl")
    parser.add_argument("--config", type=Path, default=HERE / "data" / "eval.toml")
    parser.add_argument("--model", default=None, help="model to evaluate (default: the config's llm.model)")
    parser.add_argument("--json", action="store_true", help="print both reports as JSON")
    parser.add_argument("--no-baseline", action="store_true", help="only run the guided planner")
    parser.add_argument("--bare-max-tokens", type=int, default=None,
                        help="the baseline's token cap (default: llm.local.max_tokens for local)")
    parser.add_argument("--choose-with-model", action="store_true",
                        help="let the model break ties between tools (see bot/agent/guided.py)")
    parser.add_argument("--suite", action="store_true", help="the issue-11 sets (held-out and tuning), guided only")
    parser.add_argument("--verbose", action="store_true", help="with --suite: every case")
    parser.add_argument("--only-issue19", action="store_true", help="with --suite: only bench/data/issue19's sets")
    parser.add_argument("--sets", default="", help="with --suite: only these folders, comma-separated "
                        "(e.g. final4,final5)")
    args = parser.parse_args(argv)
    if args.suite:
        return await suite(args)

    config = with_model(load_config(args.config), args.model)
    llm = config.llm
    embedded = None
    try:
        if llm.provider == "local":
            embedded = EmbeddedModelServer(llm.local)
            await asyncio.to_thread(embedded.start)
        model = build_model(llm, embedded_base_url=embedded.base_url if embedded else None)
        guided_planner = GuidedPlanner(model, timeout=llm.timeout, max_tokens=llm.local.max_tokens,
                                       concurrency=asyncio.Semaphore(llm.max_concurrent),
                                       choose_with_model=args.choose_with_model)
        guided = await evaluate(config, args.cases, planner=guided_planner)
        guided.label = "guided" + (" (model breaks ties)" if args.choose_with_model else "")
        bare = None
        if not args.no_baseline:
            native = llm.provider == "local" or (llm.provider == "openai" and bool(llm.base_url))
            bare_planner = ModelPlanner(model, native_output=native, timeout=llm.timeout,
                                        max_tokens=args.bare_max_tokens or (
                                            llm.local.max_tokens if llm.provider == "local" else None),
                                        temperature=0.0, concurrency=asyncio.Semaphore(llm.max_concurrent))
            bare = await evaluate(config, args.cases, planner=bare_planner)
            bare.label = "bare model" + (f" (max_tokens {args.bare_max_tokens})" if args.bare_max_tokens else "")
    finally:
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)

    if args.json:
        print(json.dumps({"guided": guided.as_dict(), "bare": bare.as_dict() if bare else None}, indent=2))
        return 0
    print(guided.render())
    if bare is not None:
        print()
        print(bare.render())
        print()
        print(f"{args.cases.name}, model {llm.model}:")
        print(side_by_side(guided, bare))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
