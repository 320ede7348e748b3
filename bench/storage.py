"""Group commit and SQLite's `synchronous` mode, measured: what the store's writer costs per
operation, at 1 and 100 concurrent turns, and what it does to the event loop.

Modes: `group` (the store as it ships: one writer drains the queued operations, one transaction
and one commit per batch) or `single` (`max_batch=1`: one commit per operation, as before
issue 23), each with `synchronous = FULL` (the write-ahead log is fsynced at every commit:
durable through a power loss) or `NORMAL` (fsynced only at checkpoints: durable through a crash
of the process, not of the machine).

One "turn" = the intent operations of a read-only turn: record_inbound + propose_plan +
start_step + finish_step (4 store operations), on a fresh WAL file per measurement, each client
its own thread, turns one after another. Meanwhile a ticker task sleeps 1 ms in a loop and
records how late it wakes up: the event-loop lag. Every (mode, concurrency) is measured
`--repeats` times, modes interleaved (and their order reversed every other repeat); the table
shows the median rate with the min-max of the repeats, and the ratios are taken per repeat
(min / median / max).

    .venv/bin/python bench/storage.py              # 2000 turns at concurrency 100, 500 at 1, 3 repeats
    .venv/bin/python bench/storage.py --quick
"""

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/storage.py` would otherwise import this very file as the `storage` package.
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO))
if __name__ == "__main__":
    sys.modules.pop("storage", None)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

from chatops.bot.model import Inbound, Plan, Risk, Step, StepResult, ThreadRef, UserRef  # noqa: E402
from chatops.storage import Store  # noqa: E402
from chatops.storage.transactions import MAX_BATCH  # noqa: E402

OPS_PER_TURN = 4
MODES = ("group FULL", "group NORMAL", "single FULL", "single NORMAL")
WARMUP_TURNS = 40
TICK = 0.001


@dataclass
class Run:
    mode: str
    concurrency: int
    turns: int
    seconds: float
    latencies: list[float]
    lags: list[float]
    cpu: float  # process CPU seconds, all threads
    commits: int = 0

    @property
    def ops_rate(self) -> float:
        return self.turns * OPS_PER_TURN / self.seconds


@dataclass
class Summary:
    mode: str
    concurrency: int
    runs: list[Run] = field(default_factory=list)

    @property
    def ops_rate(self) -> float:
        return statistics.median(r.ops_rate for r in self.runs)

    @property
    def spread(self) -> tuple[float, float]:
        rates = [r.ops_rate for r in self.runs]
        return min(rates), max(rates)

    def latency(self, q: float) -> float:
        return pct([x for r in self.runs for x in r.latencies], q)

    @property
    def cpu_per_op(self) -> float:
        """Median process CPU microseconds per operation (all threads)."""
        return statistics.median(r.cpu / (r.turns * OPS_PER_TURN) for r in self.runs) * 1e6

    @property
    def lag_p99(self) -> float:
        return statistics.median(pct(r.lags, 0.99) for r in self.runs)

    @property
    def lag_max(self) -> float:
        return max(max(r.lags, default=0.0) for r in self.runs) * 1000


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class Ticker:
    """Sleeps `TICK` in a loop and records how much later than asked it woke up."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self._started = 0.0

    async def _run(self) -> None:
        while True:
            self._started = time.perf_counter()
            await asyncio.sleep(TICK)
            self.lags.append(max(0.0, time.perf_counter() - self._started - TICK))

    def start(self) -> None:
        self.lags.clear()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> list[float]:
        assert self._task is not None
        pending = time.perf_counter() - self._started - TICK  # a tick the loop could not run yet
        if pending > 0:
            self.lags.append(pending)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return list(self.lags)


def operations(store: Store) -> dict[str, Callable[..., Awaitable[Any]]]:
    names = ("record_inbound", "propose_plan", "start_step", "finish_step")
    return {name: getattr(store, name) for name in names}


async def measure(mode: str, concurrency: int, turns: int) -> Run:
    with tempfile.TemporaryDirectory(prefix="chatops-bench-") as tmp:
        grouping, synchronous = mode.split()
        store = await Store.open(Path(tmp) / "bench.db", synchronous=synchronous,  # type: ignore[arg-type]
                                 max_batch=1 if grouping == "single" else MAX_BATCH)
        ops = operations(store)
        users = [UserRef(platform="console", id=f"u{i}", name=f"user{i}") for i in range(concurrency)]
        threads = [ThreadRef(platform="console", thread=f"bench-{i}") for i in range(concurrency)]
        latencies: list[float] = []

        async def turn(prefix: str, i: int, k: int) -> None:
            inbound = Inbound(event_id=f"{prefix}-{i}-{k}", thread=threads[i], user=users[i], text="!noop")
            message_id = await ops["record_inbound"](inbound)
            plan = Plan(goal="run noop", steps=[Step(tool="noop", risk=Risk.read)], thread_id=threads[i].id,
                        requester=users[i], round=1)
            plan = await ops["propose_plan"](plan, message_id=message_id, ttl_seconds=900)
            step_id = plan.steps[0].id
            assert await ops["start_step"](step_id)
            assert await ops["finish_step"](step_id, StepResult(ok=True, result="ok", summary="ok", duration_ms=0.1))

        async def worker(prefix: str, i: int, n: int, record: bool) -> None:
            for k in range(n):
                started = time.perf_counter()
                await turn(prefix, i, k)
                if record:
                    latencies.append(time.perf_counter() - started)

        async def drive(prefix: str, width: int, total: int, record: bool) -> tuple[float, float]:
            shares = [total // width + (1 if i < total % width else 0) for i in range(width)]
            cpu = time.process_time()
            started = time.perf_counter()
            await asyncio.gather(*(worker(prefix, i, n, record) for i, n in enumerate(shares) if n))
            return time.perf_counter() - started, time.process_time() - cpu

        await drive("warm", min(concurrency, 10), WARMUP_TURNS, record=False)
        ticker = Ticker()
        ticker.start()
        await asyncio.sleep(0.01)
        commits = store.batches.commits
        seconds, cpu = await drive("run", concurrency, turns, record=True)
        commits = store.batches.commits - commits
        lags = await ticker.stop()
        done = await store._dispatch(
            lambda: store.db.execute("SELECT count(*) FROM steps WHERE status = 'succeeded'").fetchone()[0])
        assert done == turns + WARMUP_TURNS, (done, turns)
        await store.close()
    return Run(mode, concurrency, turns, seconds, latencies, lags, cpu, commits)


async def idle_lag(seconds: float) -> list[float]:
    ticker = Ticker()
    ticker.start()
    await asyncio.sleep(seconds)
    return await ticker.stop()


async def main_async(args: argparse.Namespace) -> None:
    many = args.turns
    one = max(args.turns // 4, 20)
    levels = [(1, one), (100, many)]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"chatops storage benchmark — Python {platform.python_version()}, {_cpus()} cores, "
          f"{many} turns at concurrency 100, {one} at 1, {OPS_PER_TURN} ops/turn, {args.repeats} repeats, "
          f"load average {load:.2f}", flush=True)
    if load > 0.5:
        print("  WARNING: the machine is busy (load average > 0.5): figures will be noisy", flush=True)
    floor = await idle_lag(0.5 if args.quick else 1.0)
    summaries = {(mode, c): Summary(mode, c) for mode in MODES for c, _ in levels}
    for repeat in range(args.repeats):
        order = MODES if repeat % 2 == 0 else tuple(reversed(MODES))
        for concurrency, count in levels:
            for mode in order:
                run = await measure(mode, concurrency, count)
                summaries[(mode, concurrency)].runs.append(run)
                print(f"  #{repeat + 1} {mode:<13} conc {concurrency:>3}: {run.ops_rate:7.0f} ops/s, "
                      f"lag p99 {pct(run.lags, 0.99):6.2f} ms, max {max(run.lags, default=0) * 1000:6.2f} ms",
                      flush=True)

    print()
    header = (f"{'mode':<15} {'conc':>4} {'ops/s':>7} {'(min-max)':>13} {'turns/s':>8} {'turn p50':>9} "
              f"{'turn p99':>9} {'cpu/op':>8} {'ops/commit':>10} {'lag p99':>8} {'lag max':>8}")
    print(header)
    print("-" * len(header))
    print(f"{'idle loop':<15} {'-':>4} {'-':>7} {'':>13} {'-':>8} {'-':>9} {'-':>9} {'-':>8} {'-':>10} "
          f"{pct(floor, 0.99):8.2f} {max(floor) * 1000:8.2f}")
    for concurrency, _ in levels:
        for mode in MODES:
            s = summaries[(mode, concurrency)]
            low, high = s.spread
            per_commit = statistics.median(r.turns * OPS_PER_TURN / max(1, r.commits) for r in s.runs)
            print(f"{mode:<15} {concurrency:>4} {s.ops_rate:7.0f} {f'({low:.0f}-{high:.0f})':>13} "
                  f"{s.ops_rate / OPS_PER_TURN:8.0f} {s.latency(0.5):8.2f}m {s.latency(0.99):8.2f}m "
                  f"{s.cpu_per_op:6.0f}us {per_commit:10.1f} "
                  f"{s.lag_p99:7.2f}m {s.lag_max:7.2f}m")
    print("(m = milliseconds; cpu/op = process CPU time, all threads, per operation; lag = how late a 1 ms sleep"
          " woke up while the turns ran)")
    print()
    for concurrency, _ in levels:
        for label, top, bottom in (("FULL / NORMAL, group commit", "group FULL", "group NORMAL"),
                                   ("group / single, FULL", "group FULL", "single FULL"),
                                   ("group / single, NORMAL", "group NORMAL", "single NORMAL")):
            ratios = sorted(a.ops_rate / b.ops_rate for a, b in zip(summaries[(top, concurrency)].runs,
                                                                      summaries[(bottom, concurrency)].runs,
                                                                      strict=True))
            print(f"concurrency {concurrency:>3}: {label:<28} {ratios[0]:.2f} / "
                  f"{statistics.median(ratios):.2f} / {ratios[-1]:.2f}  (min / median / max of {len(ratios)})")


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=2000,
                        help="turns per measurement at concurrency 100 (a quarter of it at concurrency 1)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="measurements per mode and concurrency (default 3, 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="small counts, one repeat, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.turns = min(args.turns, 200)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
