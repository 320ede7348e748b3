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
  audit             the newest 50 audit rows, and those of one thread (what `chatops audit` reads)

Each figure is the median of repeated runs; the ratio to the smallest size is the result
(target ≤ 1.5×). Bytes per stored turn come from the file size. A report, not a test: exit 0.

    .venv/bin/python bench/growth.py                      # 10^4, 10^5, 10^6 (several minutes)
    .venv/bin/python bench/growth.py --sizes 10000,100000 # quicker
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
from datetime import UTC, datetime, timedelta  # noqa: E402

import aiohttp  # noqa: E402
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart  # noqa: E402
from pydantic_ai.models.function import AgentInfo, FunctionModel  # noqa: E402

from adapters.http import HttpAdapter  # noqa: E402
from adapters.http.auth import OPERATOR  # noqa: E402
from bot.agent.planner import ModelPlanner  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.hub import Hub  # noqa: E402
from bot.model import Inbound, ThreadRef, UserRef  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from storage import Store  # noqa: E402
from tools.registry import ToolRegistry, tool  # noqa: E402

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
                           "[]", at)
        yield "messages", (f"a{n}", thread_id, "bot", "bot", "chatops", "chatops", "Done:\n✓ noop: ok",
                           "Done:\n✓ noop: ok", "[]", answered)
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
                "attachments, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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


async def median_ms(action: Callable[[int], Awaitable[object]], repeats: int, warmup: int = 3) -> float:
    for i in range(warmup):
        await action(-1 - i)
    times = []
    for i in range(repeats):
        started = time.perf_counter()
        await action(i)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def measure(folder: Path, turns: int, repeats: int) -> dict[str, float]:
    path = folder / f"growth-{turns}.db"
    owner = OPERATOR.id  # the token-less loopback web user owns every synthetic thread
    await (await Store.open(path)).close()  # the schema, by the store's own migrations
    figures: dict[str, float] = {"build_s": await asyncio.to_thread(fill, path, turns, owner),
                                 "bytes_per_turn": os.path.getsize(path) / turns}
    config = Config.model_validate({"storage": {"path": str(path)}, "console": {"user": "bench"},
                                    "http": {"listen": "127.0.0.1:0"}})
    store = await Store.open(path)
    hub = Hub(config=config, store=store, registry=ToolRegistry([noop]), sweep_interval=3600,
              planner=ModelPlanner(FunctionModel(scripted)))
    adapter = HttpAdapter(Runtime(config=config, store=store, registry=hub.registry, hub=hub))
    await hub.start()
    await adapter.start()
    user = UserRef(platform="http", id="bench", name="bench")
    long_thread = f"http:{owner}:tlong"
    reply_bytes: list[int] = []
    base = adapter.url.rstrip("/")
    try:
        async with aiohttp.ClientSession() as session:

            async def planner_turn(i: int) -> None:
                assert await hub.handle(Inbound(event_id=f"pt{i}", thread=ThreadRef(platform="bench", thread=f"p{i}"),
                                                user=user, text="is it up?"))

            async def fast_turn(i: int) -> None:
                assert await hub.handle(Inbound(event_id=f"ft{i}", thread=ThreadRef(platform="bench", thread=f"f{i}"),
                                                user=user, text="!noop"))

            async def list_threads(_: int) -> None:
                async with session.get(f"{base}/api/v1/threads") as response:
                    assert response.status == 200, await response.text()
                    await response.read()

            async def long_thread_message(_: int) -> None:
                async with session.post(f"{base}/api/v1/threads/{long_thread}/messages",
                                        json={"text": "!noop"}) as response:
                    assert response.status == 201, await response.text()
                    reply_bytes.append(len(await response.read()))

            async def audit(_: int) -> None:
                await store.audit_log(limit=50)

            figures["planner turn"] = await median_ms(planner_turn, repeats)
            figures["fast-path turn"] = await median_ms(fast_turn, repeats)
            figures["GET /threads"] = await median_ms(list_threads, repeats)
            figures["long thread message"] = await median_ms(long_thread_message, max(5, repeats // 2))
            figures["long thread reply KB"] = statistics.median(reply_bytes) / 1024
            figures["audit (newest 50)"] = await median_ms(audit, repeats)
    finally:
        await adapter.stop()
        await hub.stop()
        await store.close()
    path.unlink(missing_ok=True)
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="stored turns, comma-separated")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; sizes {sizes}")
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="chatops-growth-") as folder:
        for size in sizes:
            results[size] = await measure(Path(folder), size, args.repeats)
            print(f"  {size:>9,} turns: built in {results[size]['build_s']:.0f} s, "
                  f"{results[size]['bytes_per_turn']:.0f} bytes/turn", flush=True)
    base = results[sizes[0]]
    names = [k for k in base if k not in ("build_s", "bytes_per_turn")]
    print()
    print(f"{'operation (median)':<24}" + "".join(f"{size:>14,}" for size in sizes) + "   worst ratio")
    for name in names:
        unit = "KB" if "KB" in name else "ms"
        cells = "".join(f"{results[size][name]:>11.2f} {unit}" for size in sizes)
        ratio = max(results[size][name] / base[name] for size in sizes) if base[name] else 0.0
        verdict = "ok" if ratio <= TARGET_RATIO else f"MISSED (target ≤ {TARGET_RATIO}×)"
        print(f"{name:<24}{cells}   {ratio:.2f}× {verdict}")
    print(f"{'bytes per turn':<24}" + "".join(f"{results[size]['bytes_per_turn']:>14.0f}" for size in sizes))


if __name__ == "__main__":
    asyncio.run(main())
