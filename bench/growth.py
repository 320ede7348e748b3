"""Does a turn cost the same at a million stored turns as at ten thousand?

For each size (default 10⁴, 10⁵, 10⁶ stored turns) a database is built quickly with SQL in the
store's own schema (every turn: its delivery id, the user's message and the bot's answer, a plan
with one succeeded step, four audit rows; ten turns per thread, all owned by one web user, plus
one thread of 10,000 messages), then the real bot is started on it and timed doing:

  planner turn      `Hub.handle` with the pydantic-ai planner on a zero-latency scripted model:
                    plan one step, run it, review the results (which reads the message's plans)
  fast-path turn    `Hub.handle("!noop")`
  GET /threads      the web user's thread list, over HTTP on 127.0.0.1
  long thread       POST a message into the 10,000-message thread over HTTP (reply and its size)
  audit             the newest 50 audit rows (what `chatops audit` reads)

All sizes run side by side and are timed interleaved (each round times every operation once on
every database), so a change in the machine's load falls on all sizes alike; which size goes
first alternates from round to round (the order reverses), so no size always meets a warm cache
or the first slot after a pause. Each figure is the median over the rounds. The result is the
ratio of each larger size to the smallest (the base), per round and then min / median / max;
the base's own 1.0 is never counted, so a larger size that is faster shows below 1 (target: the
median ≤ 1.5×). Bytes per stored turn come from the file size. Every report says when and on what
it was measured (`bench/machine.py`). A report, not a test: exit 0.

    .venv/bin/python bench/growth.py                      # 10^4, 10^5, 10^6 (several minutes)
    .venv/bin/python bench/growth.py --sizes 10000,100000 # quicker
    .venv/bin/python bench/growth.py --json bench/results/growth.json   # for bench/readme_figures.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # bench/storage.py shadows `storage`
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Awaitable, Callable, Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import aiohttp  # noqa: E402
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart  # noqa: E402
from pydantic_ai.models.function import AgentInfo, FunctionModel  # noqa: E402

from bench.machine import stamp as machine_stamp  # noqa: E402
from chatops.adapters.http import HttpAdapter  # noqa: E402
from chatops.adapters.http.auth import OPERATOR  # noqa: E402
from chatops.bot.agent.planner import ModelPlanner  # noqa: E402
from chatops.bot.config import Config  # noqa: E402
from chatops.bot.hub import Hub  # noqa: E402
from chatops.bot.model import Inbound, ThreadRef, UserRef  # noqa: E402
from chatops.bot.runtime import Runtime  # noqa: E402
from chatops.storage import Store  # noqa: E402
from chatops.tools.registry import ToolRegistry, tool  # noqa: E402

TURNS_PER_THREAD = 10
LONG_THREAD_TURNS = 5_000  # 10,000 messages
TARGET_RATIO = 1.5
PLAN_REPLY = json.dumps({"goal": "run noop", "steps": [{"tool": "noop", "args": {}, "reason": "bench"}],
                         "answer": ""})
ANSWER_REPLY = json.dumps({"goal": "answer", "steps": [], "answer": "noop said ok"})
RESULTS_MARKER = "Results of the steps planned so far"
BASE = datetime(2025, 1, 1, tzinfo=UTC)


@tool(risk="read")
async def noop() -> str:
    """Do nothing and say ok."""
    return "ok"


async def scripted(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Round 1 plans `noop`; a prompt carrying results gets the answer (see bench/pipeline.py)."""
    reviewing = any(RESULTS_MARKER in part.content for part in messages[-1].parts
                    if isinstance(getattr(part, "content", None), str))
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, ANSWER_REPLY if reviewing else PLAN_REPLY)])


# --- building a large database quickly -----------------------------------------------------------


def stamp(seconds: float) -> str:
    return (BASE + timedelta(seconds=seconds)).isoformat(timespec="microseconds")


def synthetic_rows(turns: int, owner: str) -> Iterator[tuple[str, tuple]]:
    """(table, row) for `turns` turns: the long thread first, then threads of ten turns."""
    for n in range(turns):
        thread = "tlong" if n < LONG_THREAD_TURNS else f"t{(n - LONG_THREAD_TURNS) // TURNS_PER_THREAD}"
        thread_id = f"http:{owner}:{thread}"
        at, answered = stamp(n), stamp(n + 0.5)
        if n == 0 or (n >= LONG_THREAD_TURNS and (n - LONG_THREAD_TURNS) % TURNS_PER_THREAD == 0):
            yield "threads", (thread_id, "http", owner, thread, f"thread {thread}", at, at)
        yield "events", ("http", f"ev{n}", at)
        yield "messages", (f"m{n}", thread_id, "user", "http", "bench", "bench", f"is web{n} up?", f"is web{n} up?",
                           "[]", at, answered)  # answered: its turn ended
        yield "messages", (f"a{n}", thread_id, "bot", "bot", "chatops", "chatops", "Done:\n✓ noop: ok",
                           "Done:\n✓ noop: ok", "[]", answered, answered)
        yield "plans", (f"p{n}", thread_id, f"m{n}", 1, "run noop", "succeeded",
                        '{"platform":"http","id":"bench","name":"bench","groups":[]}', at, None, None, None)
        yield "steps", (f"s{n}", f"p{n}", 0, "noop", "{}", "bench", "read", "succeeded", '"ok"', None, None, at,
                        answered, 0.1, "ok", "ok")
        for kind in ("message.received", "plan.proposed", "step.started", "step.succeeded"):
            yield "audit", (at, kind, "http:bench", thread_id, f"p{n}", f"s{n}", '{"summary": "ok"}')


INSERTS = {
    "threads": "INSERT INTO threads (id, platform, channel, external_id, title, created_at, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at",
    "events": "INSERT INTO events (platform, event_id, received_at) VALUES (?, ?, ?)",
    "messages": "INSERT INTO messages (id, thread_id, role, platform, user_id, user_name, text, perceived_text, "
                "attachments, created_at, turn_ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "plans": "INSERT INTO plans (id, thread_id, message_id, round, goal, status, requester, created_at, "
             "expires_at, decided_at, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "steps": "INSERT INTO steps (id, plan_id, position, tool, args, reason, risk, status, result, error, "
             "decided_by, started_at, finished_at, duration_ms, summary, outcome) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "audit": "INSERT INTO audit (at, kind, actor, thread_id, plan_id, step_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
}


def fill(path: Path, turns: int, owner: str) -> float:
    """Insert `turns` synthetic turns in batches; returns the seconds it took."""
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    batches: dict[str, list[tuple]] = {table: [] for table in INSERTS}
    for table, row in synthetic_rows(turns, owner):
        batch = batches[table]
        batch.append(row)
        if len(batch) >= 50_000:
            conn.executemany(INSERTS[table], batch)
            batch.clear()
    for table, batch in batches.items():
        conn.executemany(INSERTS[table], batch)
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


# --- measuring ---------------------------------------------------------------------------------------


@dataclass
class Running:
    """One bot (store, hub, HTTP API) on one prebuilt database, and the operations timed on it."""

    size: int
    store: Store
    hub: Hub
    adapter: HttpAdapter
    session: aiohttp.ClientSession
    base: str
    reply_bytes: list[int] = field(default_factory=list)
    times: dict[str, list[float]] = field(default_factory=dict)

    async def planner_turn(self, i: int) -> None:
        assert await self.hub.handle(Inbound(event_id=f"pt{i}", thread=ThreadRef(platform="bench", thread=f"p{i}"),
                                             user=BENCH_USER, text="is it up?"))

    async def fast_turn(self, i: int) -> None:
        assert await self.hub.handle(Inbound(event_id=f"ft{i}", thread=ThreadRef(platform="bench", thread=f"f{i}"),
                                             user=BENCH_USER, text="!noop"))

    async def list_threads(self, _: int) -> None:
        async with self.session.get(f"{self.base}/api/v1/threads") as response:
            assert response.status == 200, await response.text()
            await response.read()

    async def long_thread_message(self, _: int) -> None:
        async with self.session.post(f"{self.base}/api/v1/threads/http:{OPERATOR.id}:tlong/messages",
                                     json={"text": "!noop"}) as response:
            assert response.status == 201, await response.text()
            self.reply_bytes.append(len(await response.read()))

    async def audit(self, _: int) -> None:
        await self.store.audit_log(limit=50)

    async def timed(self, name: str, action: Callable[[int], Awaitable[None]], i: int) -> None:
        started = time.perf_counter()
        await action(i)
        self.times.setdefault(name, []).append((time.perf_counter() - started) * 1000)


BENCH_USER = UserRef(platform="http", id="bench", name="bench")
OPERATIONS = ["planner turn", "fast-path turn", "GET /threads", "long thread message", "audit (newest 50)"]


def actions(bot: Running) -> dict[str, Callable[[int], Awaitable[None]]]:
    return dict(zip(OPERATIONS, [bot.planner_turn, bot.fast_turn, bot.list_threads, bot.long_thread_message,
                                 bot.audit], strict=True))


async def start(path: Path, size: int, session: aiohttp.ClientSession) -> Running:
    config = Config.model_validate({"storage": {"path": str(path)}, "console": {"user": "bench"},
                                    "http": {"listen": "127.0.0.1:0"}})
    store = await Store.open(path)
    hub = Hub(config=config, store=store, registry=ToolRegistry([noop]), sweep_interval=3600,
              planner=ModelPlanner(FunctionModel(scripted)))
    adapter = HttpAdapter(Runtime(config=config, store=store, registry=hub.registry, hub=hub))
    await hub.start()
    await adapter.start()
    return Running(size, store, hub, adapter, session, adapter.url.rstrip("/"))


async def stop(bot: Running) -> None:
    await bot.adapter.stop()
    await bot.hub.stop()
    await bot.store.close()


def round_ratios(bots: list[Running], name: str, warmup: int) -> list[list[float]]:
    """For each larger size, its time over the base's in the same round (the base not counted)."""
    base = bots[0].times[name][warmup:]
    return [[mine / theirs for mine, theirs in zip(bot.times[name][warmup:], base, strict=True)]
            for bot in bots[1:]]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="stored turns, comma-separated")
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (for bench/readme_figures.py)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if len(sizes) < 2:
        parser.error("give at least two sizes: the ratio is against the first")
    measured = machine_stamp()
    print(f"chatops growth benchmark — {measured.machine()}\n  sizes {sizes}, {args.repeats} rounds; "
          f"started {measured.start}, load average {measured.load_at_start:.2f}", flush=True)
    warmup = 3
    with tempfile.TemporaryDirectory(prefix="chatops-growth-") as folder:
        paths, bytes_per_turn = {}, {}
        for size in sizes:
            paths[size] = Path(folder) / f"growth-{size}.db"
            await (await Store.open(paths[size])).close()  # the schema, by the store's own migrations
            built = await asyncio.to_thread(fill, paths[size], size, OPERATOR.id)
            bytes_per_turn[size] = os.path.getsize(paths[size]) / size
            print(f"  {size:>9,} turns: built in {built:.0f} s, {bytes_per_turn[size]:.0f} bytes/turn", flush=True)
        async with aiohttp.ClientSession() as session:
            bots = [await start(paths[size], size, session) for size in sizes]
            try:
                # interleaved: every round times each operation once on every database, so a
                # change in the machine's load falls on all sizes alike; the order of the sizes
                # reverses every round, so none always goes first
                for i in range(-warmup, args.repeats):
                    order = bots if i % 2 == 0 else bots[::-1]
                    for name in OPERATIONS:
                        for bot in order:
                            await bot.timed(name, actions(bot)[name], i)
            finally:
                for bot in bots:
                    await stop(bot)
    measured.done()
    print()
    larger = sizes[1:]
    print(f"{'operation (median)':<24}" + "".join(f"{size:>14,}" for size in sizes)
          + "".join(f"   {size:,} / {sizes[0]:,} (min / median / max)" for size in larger))
    rows = []
    for name in OPERATIONS:
        medians = [statistics.median(bot.times[name][warmup:]) for bot in bots]
        ratios = [(min(r), statistics.median(r), max(r)) for r in round_ratios(bots, name, warmup)]
        worst = max(ratio[1] for ratio in ratios)
        verdict = "ok" if worst <= TARGET_RATIO else f"MISSED (target ≤ {TARGET_RATIO}×)"
        print(f"{name:<24}" + "".join(f"{m:>11.2f} ms" for m in medians)
              + "".join(f"   {lo:.2f} / {mid:.2f} / {hi:.2f}×" for lo, mid, hi in ratios) + f"   {verdict}")
        rows.append({"operation": name, "median_ms": dict(zip(map(str, sizes), medians, strict=True)),
                     "ratios": dict(zip(map(str, larger), ratios, strict=True)), "worst_median_ratio": worst})
    reply_kb = [statistics.median(b.reply_bytes) / 1024 for b in bots]
    print(f"{'long thread reply':<24}" + "".join(f"{kb:>11.1f} KB" for kb in reply_kb))
    print(f"{'bytes per stored turn':<24}" + "".join(f"{bytes_per_turn[size]:>14.0f}" for size in sizes))
    print(f"({measured.line()})")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "bench": "growth", "measured": measured.as_json(), "settings": {"sizes": sizes, "rounds": args.repeats},
            "rows": rows, "reply_kb": dict(zip(map(str, sizes), reply_kb, strict=True)),
            "bytes_per_turn": {str(size): bytes_per_turn[size] for size in sizes}, "target": TARGET_RATIO}, indent=1))
        print(f"figures written to {args.json} (bench/readme_figures.py puts them in bench/README.md)")


if __name__ == "__main__":
    asyncio.run(main())
