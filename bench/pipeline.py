"""Throughput and latency of the whole conversation loop, against baselines measured in the same run.

One turn = inbound stored -> plan -> read-only step run -> result stored -> answer emitted, i.e.
one `Hub.handle(inbound)` on a real SQLite file (fresh temp file per measurement), with a no-op
read-only tool. Measured at concurrency 1 (one task) and 100 (100 asyncio tasks, each driving
its own chat thread with sequential messages), for:

  fast path          "!noop" (no model)
  planner, 2 calls   ModelPlanner on a zero-latency scripted FunctionModel: plan, then the
                     planner reviews the results and answers (the hub's real behaviour: 2 model
                     calls per turn)
  planner, 1 call    the same planner with `reviews_results = False`: one model call per turn,
                     the hub summarises the results itself (apples to apples with baseline i)

Baselines: (i) a bare pydantic-ai `Agent.run` on the same scripted model with the same
StructuredDict output type (`reply_schema`); (i-b) the planner's own request alone: pydantic-ai's
direct `model_request` with the same prompt, instructions and output tool, validated into the
reply (`bot/agent/structured_reply.py`), so what the hub adds around one model call is visible
apart from what pydantic-ai's agent adds; (ii) the raw sqlite-utils single-row insert rate, one
commit per row, WAL + synchronous=NORMAL (what the Store uses) and synchronous=FULL; (iii)
errbot's in-memory `TestBot` answering a `!noop` plugin command (`bench/errbot_testbot.py`), one
at a time against our concurrency 1 and 100 in flight against our concurrency 100. errbot is
installed with pip into its own virtualenv, built here on first use (`--errbot-venv`, default
under the temp folder, reused), run as a subprocess: never into the project's environment.

Interleaved: every ratio is taken between neighbours, a baseline measured just before the bot
(bare, bot, bare, bot …), repeated `--repeats` times (default 3), and printed as min / median /
max, by rate and by CPU time per turn. Minutes apart, the same ratio swung from 0.27 to 1.17 on
this shared machine; back to back, both sides of a pair meet the same load. Every report says
when and on what it was measured (`bench/machine.py`); `--json` writes the figures for
`bench/readme_figures.py`, which puts them in bench/README.md.

Each hub measurement also counts, over its warm-up, the store's trips to its thread (hops) and its
write transactions (`BEGIN` statements, traced off the live connection) per turn.

Targets (issues 15 and 23): fast path >= 300 turns/s and >= 35 % of errbot's TestBot round-trip
rate, at most 2 write transactions per turn; planner (1 call) >= 80 % of the bare pydantic-ai
`Agent.run`, by rate and by CPU, at the same concurrency (on the medians of the pairs). A missed
target is reported, not an error: the exit code is 0.

    .venv/bin/python bench/pipeline.py             # 3 repeats: 1000 turns at concurrency 100, 250 at 1
    .venv/bin/python bench/pipeline.py --turns 1000 --repeats 5 --json bench/results/pipeline.json
    .venv/bin/python bench/pipeline.py --quick     # smoke run
    .venv/bin/python bench/pipeline.py --no-errbot # without baseline (iii) (no network needed)
"""

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/pipeline.py` puts bench/ first on sys.path, where bench/storage.py would shadow
# the `storage` package: look the project up from the repository root instead.
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import sqlite_utils  # noqa: E402
from pydantic_ai import Agent, StructuredDict  # noqa: E402
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart  # noqa: E402
from pydantic_ai.models.function import AgentInfo, FunctionModel  # noqa: E402

from bench.machine import stamp  # noqa: E402
from chatops.bot.agent.planner import (  # noqa: E402
    INSTRUCTIONS,
    ModelPlanner,
    PlannerReply,
    render_prompt,
    reply_schema,
)
from chatops.bot.agent.planning import PlanRequest  # noqa: E402
from chatops.bot.agent.structured_reply import ReplyShape, structured_reply  # noqa: E402
from chatops.bot.config import Config  # noqa: E402
from chatops.bot.hub import Hub  # noqa: E402
from chatops.bot.model import Inbound, Outbound, ThreadRef, UserRef  # noqa: E402
from chatops.storage import Store  # noqa: E402
from chatops.tools.registry import ToolRegistry, spec_of, tool  # noqa: E402

FAST_TARGET = 300.0  # turns/s
FAST_ERRBOT_RATIO_TARGET = 0.35  # of errbot's TestBot round-trip rate
FAST_TRANSACTIONS_TARGET = 2  # write transactions per fast-path turn (receive; finish)
PLANNER_RATIO_TARGET = 0.80  # of the bare pydantic-ai rate
ERRBOT_VERSION = "6.2.1"
WARMUP_TURNS = 40


@tool(risk="read")
async def noop() -> str:
    """Do nothing and say ok."""
    return "ok"


NOOP = spec_of(noop)
MAX_STEPS = 5  # AgentConfig.max_steps default: the hub builds the schema with it
PLAN_REPLY = json.dumps({"goal": "run noop", "steps": [{"tool": "noop", "args": {}, "reason": "bench"}],
                         "answer": ""})
ANSWER_REPLY = json.dumps({"goal": "answer", "steps": [], "answer": "noop said ok"})
RESULTS_MARKER = "Results of the steps planned so far"


class ScriptedModel:
    """A zero-latency scripted pydantic-ai `FunctionModel` (the pattern of tests/conftest.py):
    round 1 plans one `noop` step, a prompt carrying results gets an answer. It decides from the
    prompt, not from a call counter, so 100 concurrent threads cannot mix up their rounds. The
    function is `async` on purpose: FunctionModel runs a plain `def` in a thread executor, which
    would add a thread hop to every call that no real (network) model has."""

    def __init__(self) -> None:
        self.calls = 0
        self.model = FunctionModel(self.function)

    async def function(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.calls += 1
        reviewing = any(RESULTS_MARKER in part.content for part in messages[-1].parts
                        if isinstance(getattr(part, "content", None), str))
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name,
                                                 ANSWER_REPLY if reviewing else PLAN_REPLY)])


# --- measurement helpers -----------------------------------------------------------------------


@dataclass
class Result:
    name: str
    concurrency: int
    count: int
    seconds: float
    latencies: list[float]
    unit: str = "turns/s"
    note: str = ""
    cpu: float = 0.0  # process CPU seconds (all threads) spent during the measurement
    hops: float = 0.0  # the store's trips to its thread per turn (hub measurements)
    transactions: float = 0.0  # write transactions per turn (hub measurements)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


async def drive(concurrency: int, total: int, one: Callable[[int, int], Awaitable[None]]
                ) -> tuple[float, list[float], float]:
    """`concurrency` tasks, task i running its share of `total` calls of `one(i, k)` in order.
    Returns (wall seconds, per-call latencies, process CPU seconds)."""
    latencies: list[float] = []

    async def worker(i: int, n: int) -> None:
        for k in range(n):
            started = time.perf_counter()
            await one(i, k)
            latencies.append(time.perf_counter() - started)

    cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker(i, n) for i, n in enumerate(split(total, concurrency)) if n))
    return time.perf_counter() - started, latencies, time.process_time() - cpu


# --- the hub ------------------------------------------------------------------------------------


@dataclass
class Variant:
    name: str
    text: str
    model_calls_per_turn: int | None  # expected; None: no model
    reviews_results: bool = True
    expect_answer: str = ""


VARIANTS = {
    "fast": Variant("fast path !noop", "!noop", None, expect_answer="noop: ok"),
    "planner2": Variant("planner, 2 calls/turn", "please run noop", 2, expect_answer="noop said ok"),
    "planner1": Variant("planner, 1 call/turn", "please run noop", 1, reviews_results=False,
                        expect_answer="noop: ok"),
}


async def bench_hub(variant: Variant, concurrency: int, turns: int, dispatch: str) -> Result:
    with tempfile.TemporaryDirectory(prefix="chatops-bench-") as tmp:
        config = Config.model_validate({"storage": {"path": str(Path(tmp) / "bench.db")},
                                        "console": {"user": "bench"}})
        store = await Store.open(config.storage.path, dispatch=dispatch)  # type: ignore[arg-type]
        scripted = ScriptedModel()
        planner = None
        if variant.model_calls_per_turn is not None:
            planner = ModelPlanner(scripted.model)
            planner.reviews_results = variant.reviews_results
        hub = Hub(config=config, store=store, registry=ToolRegistry([noop]), planner=planner, sweep_interval=3600)
        answers: list[str] = []
        steps_ok = 0

        async def sink(thread: ThreadRef, event: Outbound) -> None:
            nonlocal steps_ok
            if event.type == "answer":
                answers.append(event.text)
            elif event.type == "step" and event.status == "succeeded":
                steps_ok += 1

        hub.add_sink(sink)
        await hub.start()
        users = [UserRef(platform="console", id=f"u{i}", name=f"user{i}") for i in range(concurrency)]
        threads = [ThreadRef(platform="console", thread=f"bench-{i}") for i in range(concurrency)]

        def turn(prefix: str) -> Callable[[int, int], Awaitable[None]]:
            async def one(i: int, k: int) -> None:
                await hub.handle(Inbound(event_id=f"{prefix}-{i}-{k}", thread=threads[i], user=users[i],
                                         text=variant.text))
            return one

        # warm-up (also counts store round-trips, write transactions and model calls per turn,
        # outside the timing)
        round_trips = 0
        statements: list[str] = []
        writer = store._writer  # every store operation is queued to it (`storage.transactions`)
        original = writer.submit

        async def counting(*args: Any, **kwargs: Any) -> Any:
            nonlocal round_trips
            round_trips += 1
            return await original(*args, **kwargs)

        await store._dispatch(lambda: store.db.conn.set_trace_callback(statements.append))
        writer.submit = counting  # type: ignore[method-assign]
        await drive(min(concurrency, 10), WARMUP_TURNS, turn("warm"))
        writer.submit = original  # type: ignore[method-assign]
        await store._dispatch(lambda: store.db.conn.set_trace_callback(None))
        transactions = sum(1 for sql in statements if sql.lstrip().upper().startswith("BEGIN"))
        warm_calls = scripted.calls
        problems = []
        if len(answers) != WARMUP_TURNS or not all(variant.expect_answer in a for a in answers):
            problems.append(f"warm-up answers wrong: {answers[:2]!r}")
        answers.clear()
        steps_ok = 0
        scripted.calls = 0

        seconds, latencies, cpu = await drive(concurrency, turns, turn("run"))

        if len(answers) != turns or steps_ok != turns or not all(variant.expect_answer in a for a in answers):
            problems.append(f"{len(answers)} answers / {steps_ok} steps for {turns} turns")
        if variant.model_calls_per_turn is not None and scripted.calls != turns * variant.model_calls_per_turn:
            problems.append(f"{scripted.calls} model calls for {turns} turns")
        await hub.stop()
        await store.close()
    note = f"{round_trips / WARMUP_TURNS:.1f} store calls/turn, {transactions / WARMUP_TURNS:.1f} write tx/turn"
    if variant.model_calls_per_turn is not None:
        note += f", {warm_calls / WARMUP_TURNS:g} model calls/turn"
    if problems:
        note += "; CHECK FAILED: " + "; ".join(problems)
    return Result(variant.name, concurrency, turns, seconds, latencies, note=note, cpu=cpu,
                  hops=round_trips / WARMUP_TURNS, transactions=transactions / WARMUP_TURNS)


# --- baseline (i): bare pydantic-ai --------------------------------------------------------------


async def bench_bare_agent(concurrency: int, runs: int) -> Result:
    scripted = ScriptedModel()
    output = StructuredDict(reply_schema([NOOP], MAX_STEPS), name="reply",
                            description="a plan of tool calls, or an answer")
    agent = Agent(scripted.model, output_type=output)
    prompt = render_prompt(PlanRequest(text="please run noop", requester=UserRef(platform="console", id="u"),
                                       tools=[NOOP], max_steps=MAX_STEPS))

    async def one(i: int, k: int) -> None:
        result = await agent.run(prompt)
        assert result.output["steps"][0]["tool"] == "noop", result.output

    await drive(min(concurrency, 10), WARMUP_TURNS, one)
    seconds, latencies, cpu = await drive(concurrency, runs, one)
    return Result("bare pydantic-ai Agent.run", concurrency, runs, seconds, latencies, unit="runs/s",
                  note="baseline (i), same model + output schema", cpu=cpu)


async def bench_direct_request(concurrency: int, runs: int) -> Result:
    """Baseline (i-b): the one request the planner makes, alone: pydantic-ai's direct
    `model_request` on the same model, prompt, instructions and output tool, validated into the
    reply. What the hub adds around a model call is the difference to the planner row."""
    scripted = ScriptedModel()
    shape = ReplyShape(PlannerReply, reply_schema([NOOP], MAX_STEPS), name="reply",
                       description="a plan of tool calls, or an answer")
    prompt = render_prompt(PlanRequest(text="please run noop", requester=UserRef(platform="console", id="u"),
                                       tools=[NOOP], max_steps=MAX_STEPS))

    async def one(i: int, k: int) -> None:
        reply = await structured_reply(scripted.model, prompt, shape, instructions=INSTRUCTIONS)
        assert reply.steps[0].tool == "noop", reply

    await drive(min(concurrency, 10), WARMUP_TURNS, one)
    seconds, latencies, cpu = await drive(concurrency, runs, one)
    return Result("bare pydantic-ai direct model_request", concurrency, runs, seconds, latencies, unit="runs/s",
                  note="baseline (i-b), the planner's own request", cpu=cpu)


# --- baseline (iii): errbot's TestBot ------------------------------------------------------------


def errbot_python(venv: Path) -> Path:
    """The Python of a virtualenv holding errbot, built on first use (`python -m venv` and pip,
    into `venv` only). errbot's test backend imports pytest, so it is installed beside it."""
    python = venv / "bin" / "python"
    ready = venv / ".chatops-bench-ready"
    if ready.exists() and python.exists():
        return python
    print(f"  installing errbot {ERRBOT_VERSION} into {venv} (once) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    f"errbot=={ERRBOT_VERSION}", "pytest"], check=True, stdout=subprocess.DEVNULL)
    ready.write_text(ERRBOT_VERSION)
    return python


def bench_errbot(python: Path, levels: list[tuple[int, int]]) -> list[Result]:
    """errbot's TestBot in its own process: one at a time (against our concurrency 1), and in
    windows of the highest concurrency (against it)."""
    sequential = next(count for concurrency, count in levels if concurrency == 1)
    window, windowed = max(levels)
    done = subprocess.run([str(python), str(HERE / "errbot_testbot.py"), str(sequential),
                           str(windowed), str(window)], check=True, capture_output=True, text=True)
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    name = f"errbot {measured['version']} TestBot !noop"
    return [Result(name, concurrency, part["count"], part["seconds"], part["latencies"], cpu=part["cpu"],
                   note="baseline (iii)" + (f"; {part['errors']} replies were errbot errors" if part["errors"] else ""))
            for concurrency, part in ((1, measured["sequential"]), (window, measured["windows"]))]


# --- baseline (ii): raw sqlite-utils inserts --------------------------------------------------------


def bench_sqlite(synchronous: str, rows: int, max_seconds: float) -> Result:
    with tempfile.TemporaryDirectory(prefix="chatops-bench-") as tmp:
        db = sqlite_utils.Database(sqlite3.connect(str(Path(tmp) / "raw.db")))
        db.enable_wal()
        db.execute(f"PRAGMA synchronous = {synchronous}")
        db["t"].create({"id": int, "at": str, "kind": str, "detail": str}, pk="id")
        table = db["t"]
        for _ in range(50):  # warm-up
            with db.atomic():
                table.insert({"at": "2026-11-25T00:00:00", "kind": "warm", "detail": "{}"})
        count = 0
        latencies = []
        cpu = time.process_time()
        started = time.perf_counter()
        deadline = started + max_seconds
        while count < rows:
            t0 = time.perf_counter()
            with db.atomic():
                table.insert({"at": "2026-11-25T00:00:00", "kind": "bench", "detail": f'{{"n": {count}}}'})
            t1 = time.perf_counter()
            latencies.append(t1 - t0)
            count += 1
            if t1 > deadline:
                break
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        db.close()
    return Result(f"sqlite-utils insert, WAL, sync={synchronous}", 1, count, seconds, latencies, unit="rows/s",
                  note="baseline (ii), 1 row per commit", cpu=cpu)


# --- report ------------------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    header = (f"{'measurement':<38} {'conc':>4} {'count':>6} {'rate':>9} {'unit':<8} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'cpu ms':>7}  note")
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(f"{r.name:<38} {r.concurrency:>4} {r.count:>6} {r.rate:>9.0f} {r.unit:<8} "
                     f"{r.pct(0.50):>8.2f} {r.pct(0.99):>8.2f} {r.cpu / r.count * 1000:>7.3f}  {r.note}")
    return "\n".join(lines)


@dataclass
class Pair:
    """A bot measurement and the baseline measured just before it (interleaved, same load)."""

    baseline: Result
    bot: Result

    @property
    def by_rate(self) -> float:
        return self.bot.rate / self.baseline.rate if self.baseline.rate else 0.0

    @property
    def by_cpu(self) -> float:
        """Baseline CPU per operation over the bot's: > 1 when the bot spends less."""
        bot = self.bot.cpu / self.bot.count
        return (self.baseline.cpu / self.baseline.count) / bot if bot else 0.0


def spread(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def summary(rows: list[Result]) -> dict[str, Any]:
    """min / median / max over the repeats of one (measurement, concurrency)."""
    rates = [r.rate for r in rows]
    return {"name": rows[0].name, "concurrency": rows[0].concurrency, "unit": rows[0].unit,
            "runs": len(rows), "count": rows[0].count, "rate": spread(rates),
            "p50_ms": statistics.median(r.pct(0.50) for r in rows),
            "p99_ms": statistics.median(r.pct(0.99) for r in rows),
            "cpu_ms": statistics.median(r.cpu / r.count * 1000 for r in rows), "note": rows[-1].note}


COMPARISONS = [
    # (key, bot variant, baseline name, target or None for information)
    ("planner1-vs-agent", "planner1", "bare pydantic-ai Agent.run", PLANNER_RATIO_TARGET),
    ("planner2-vs-agent", "planner2", "bare pydantic-ai Agent.run", None),
    ("planner1-vs-direct", "planner1", "bare pydantic-ai direct model_request", None),
    ("fast-vs-errbot", "fast", "errbot", FAST_ERRBOT_RATIO_TARGET),
]


async def main_async(args: argparse.Namespace) -> None:
    many = args.turns
    one = max(args.turns // 4, 20)
    levels = [(1, one), (100, many)]
    results: list[Result] = []
    pairs: dict[tuple[str, int], list[Pair]] = {}
    measured = stamp()

    def show(result: Result) -> Result:
        results.append(result)
        print(f"  {result.name:<38} conc {result.concurrency:>3}: {result.rate:8.0f} {result.unit}"
              f"  cpu {result.cpu / result.count * 1000:6.3f} ms", flush=True)
        return result

    def pair(key: str, concurrency: int, baseline: Result, bot: Result) -> None:
        pairs.setdefault((key, concurrency), []).append(Pair(baseline, bot))

    print(f"chatops pipeline benchmark — {measured.machine()}\n  store dispatch={args.dispatch}, {many} turns at "
          f"concurrency 100, {one} at 1, {args.repeats} interleaved repeats; started {measured.start}, "
          f"load average {measured.load_at_start:.2f}", flush=True)
    if measured.load_at_start > 0.5:
        print("  WARNING: the machine is busy (load average > 0.5): rates will be noisy; the ratios come from "
              "back-to-back pairs and the CPU columns are steadier", flush=True)
    errbot_py: Path | None = None
    if args.errbot:
        try:
            errbot_py = errbot_python(Path(args.errbot_venv))
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"  errbot's TestBot could not be installed: {exc}", flush=True)
    for repeat in range(1, args.repeats + 1):
        print(f" repeat {repeat}/{args.repeats}", flush=True)
        # baseline, bot, baseline, bot …: each ratio is taken between neighbours
        for concurrency, count in levels:
            agent = show(await bench_bare_agent(concurrency, count))
            planner1 = show(await bench_hub(VARIANTS["planner1"], concurrency, count, args.dispatch))
            pair("planner1-vs-agent", concurrency, agent, planner1)
            direct = show(await bench_direct_request(concurrency, count))
            pair("planner1-vs-direct", concurrency, direct, planner1)
            agent = show(await bench_bare_agent(concurrency, count))
            planner2 = show(await bench_hub(VARIANTS["planner2"], concurrency, count, args.dispatch))
            pair("planner2-vs-agent", concurrency, agent, planner2)
        errbot: dict[int, Result] = {}
        if errbot_py is not None:
            try:
                errbot = {r.concurrency: show(r) for r in bench_errbot(errbot_py, levels)}
            except (subprocess.CalledProcessError, OSError, ValueError) as exc:
                detail = getattr(exc, "stderr", "") or ""
                print(f"  errbot's TestBot could not be measured: {exc}\n{detail[-800:]}", flush=True)
        for concurrency, count in levels:
            fast = show(await bench_hub(VARIANTS["fast"], concurrency, count, args.dispatch))
            if concurrency in errbot:
                pair("fast-vs-errbot", concurrency, errbot[concurrency], fast)
    sqlite_rows = 500 if args.quick else 5000
    for synchronous in ("NORMAL", "FULL"):
        show(bench_sqlite(synchronous, sqlite_rows, max_seconds=1.0 if args.quick else 4.0))
    measured.done()

    print()
    print(table(results))
    print("(p50/p99: latency of one turn / run / insert; cpu ms: process CPU time, all threads, per turn / run /"
          " row; steadier than the rate when other processes share the CPU, not immune)")
    print()
    print(f"ratios, min / median / max over {args.repeats} interleaved pairs ({measured.line()}):")
    ratios = []
    for key, variant, baseline_name, target in COMPARISONS:
        for concurrency, _ in levels:
            found = pairs.get((key, concurrency), [])
            if not found:
                print(f"  [SKIP] {VARIANTS[variant].name} vs {baseline_name} at concurrency {concurrency}: "
                      "not measured")
                continue
            by_rate, by_cpu = spread([p.by_rate for p in found]), spread([p.by_cpu for p in found])
            if target is None:
                label = "[info]"
            else:
                label = "[PASS]" if by_rate[1] >= target and by_cpu[1] >= target else "[FAIL]"
            baseline = found[0].baseline.name
            print(f"  {label} {VARIANTS[variant].name} / {baseline} at concurrency {concurrency:>3}: "
                  f"by rate {by_rate[0]:.2f} / {by_rate[1]:.2f} / {by_rate[2]:.2f}, "
                  f"by CPU {by_cpu[0]:.2f} / {by_cpu[1]:.2f} / {by_cpu[2]:.2f}"
                  + (f" (target >= {target:.2f}, on the medians)" if target is not None else ""))
            ratios.append({"key": key, "bot": VARIANTS[variant].name, "baseline": baseline,
                           "concurrency": concurrency, "by_rate": by_rate, "by_cpu": by_cpu, "target": target,
                           "pairs": len(found)})
    print()
    print("other targets:")
    for concurrency, _ in levels:
        fasts = [r for r in results if r.name == VARIANTS["fast"].name and r.concurrency == concurrency]
        low, mid, high = spread([r.rate for r in fasts])
        print(f"  [{'PASS' if mid >= FAST_TARGET else 'FAIL'}] fast path at concurrency {concurrency:>3}: "
              f"{low:.0f} / {mid:.0f} / {high:.0f} turns/s (target >= {FAST_TARGET:.0f}, on the median)")
        transactions = statistics.median(r.transactions for r in fasts)
        hops = statistics.median(r.hops for r in fasts)
        print(f"  [{'PASS' if transactions <= FAST_TRANSACTIONS_TARGET else 'FAIL'}] fast path at concurrency "
              f"{concurrency:>3}: {transactions:.1f} write transactions and {hops:.1f} store hops per turn "
              f"(target <= {FAST_TRANSACTIONS_TARGET} transactions)")
    for key in ("planner1", "planner2"):
        planned = next(r for r in results if r.name == VARIANTS[key].name and r.concurrency == 1)
        print(f"  [info] {planned.name}: {planned.transactions:.1f} write transactions and {planned.hops:.1f} store "
              "hops per turn (a thread with history)")
    print(f"  ({measured.line()})")
    if args.json:
        grouped: dict[tuple[str, int], list[Result]] = {}
        for r in results:
            grouped.setdefault((r.name, r.concurrency), []).append(r)
        Path(args.json).write_text(json.dumps({
            "bench": "pipeline", "measured": measured.as_json(),
            "settings": {"turns": many, "turns_at_1": one, "repeats": args.repeats, "dispatch": args.dispatch},
            "rows": [summary(rows) for rows in grouped.values()], "ratios": ratios}, indent=1))
        print(f"  figures written to {args.json} (bench/readme_figures.py puts them in bench/README.md)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=1000,
                        help="turns per measurement at concurrency 100 (a quarter of it at concurrency 1)")
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    parser.add_argument("--repeats", type=int, default=3,
                        help="interleaved repeats of every baseline/bot pair (ratios: min / median / max)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (for bench/readme_figures.py)")
    parser.add_argument("--dispatch", choices=("writer_thread", "to_thread"), default="writer_thread",
                        help="the Store's dispatch mode (default: the Store's default)")
    parser.add_argument("--no-errbot", dest="errbot", action="store_false",
                        help="skip baseline (iii), errbot's TestBot (it needs PyPI the first time)")
    parser.add_argument("--errbot-venv",
                        default=str(Path(tempfile.gettempdir()) / f"chatops-bench-errbot-{ERRBOT_VERSION}"),
                        help="where errbot's virtualenv is built and reused (default: %(default)s)")
    args = parser.parse_args()
    if args.quick:
        args.turns = min(args.turns, 200)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
