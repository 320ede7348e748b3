"""What the HTTP layer costs: `POST /api/v1/threads` against the same turn through the hub directly.

One turn = a new thread, the message stored, one call to a zero-latency scripted model (a
ModelPlanner on a pydantic-ai FunctionModel that answers at once), the answer stored and emitted.
Through the hub: `await hub.handle(inbound)`. Through HTTP: a JSON POST to a real aiohttp server
on 127.0.0.1, answered with the thread (201) once the bot has answered. The load generator runs
in a separate process (like a real client), so the server process does only the server's work.

Measured at 1, 10 and 100 concurrent clients (each sending its turns one after another), both
paths in the same run on fresh SQLite files. Target: the HTTP rate is at least 80 % of the hub's
(the HTTP layer costs under 20 %). A missed target is reported, not an error: the exit code is 0.

    .venv/bin/python bench/http_api.py            # 300 turns at 1 client, 1000 at 10, 2000 at 100
    .venv/bin/python bench/http_api.py --quick    # smoke run
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # bench/storage.py shadows storage/
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import aiohttp  # noqa: E402
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart  # noqa: E402
from pydantic_ai.models.function import AgentInfo, FunctionModel  # noqa: E402

from chatops.adapters.http import HttpAdapter  # noqa: E402
from chatops.bot.agent.planner import ModelPlanner  # noqa: E402
from chatops.bot.config import Config  # noqa: E402
from chatops.bot.hub import Hub  # noqa: E402
from chatops.bot.model import Inbound, ThreadRef, UserRef  # noqa: E402
from chatops.bot.runtime import Runtime  # noqa: E402
from chatops.storage import Store  # noqa: E402
from chatops.tools.registry import ToolRegistry  # noqa: E402

RATIO_TARGET = 0.80
ANSWER = json.dumps({"goal": "answer", "steps": [], "answer": "ok"})
WARMUP = 20


def answer_at_once(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, ANSWER)])


@dataclass
class Figures:
    turns: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.turns / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def start_bot(folder: Path) -> tuple[Hub, Store, Config]:
    config = Config.model_validate({"storage": {"path": str(folder / "bench.db")}, "console": {"user": "bench"},
                                    "http": {"listen": "127.0.0.1:0"}})
    store = await Store.open(config.storage.path)
    hub = Hub(config=config, store=store, registry=ToolRegistry(), sweep_interval=3600,
              planner=ModelPlanner(FunctionModel(answer_at_once)))
    await hub.start()
    return hub, store, config


async def through_hub(folder: Path, clients: int, turns: int) -> Figures:
    hub, store, _ = await start_bot(folder)
    user = UserRef(platform="http", id="bench", name="bench")
    counter = iter(range(10**9))

    async def client(count: int, latencies: list[float]) -> None:
        for _ in range(count):
            n = next(counter)
            inbound = Inbound(event_id=f"e{n}", thread=ThreadRef(platform="http", channel="bench", thread=f"t{n}"),
                              user=user, text="hello")
            started = time.perf_counter()
            await hub.handle(inbound)
            latencies.append(time.perf_counter() - started)

    try:
        await asyncio.gather(*(client(WARMUP // clients + 1, []) for _ in range(clients)))
        latencies: list[float] = []
        started = time.perf_counter()
        await asyncio.gather(*(client(turns // clients, latencies) for _ in range(clients)))
        return Figures(len(latencies), time.perf_counter() - started, latencies)
    finally:
        await hub.stop()
        await store.close()


# --- the HTTP path: server here, clients in another process -------------------------------------

async def _client_load(url: str, clients: int, turns: int) -> tuple[float, list[float]]:
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def client(count: int, latencies: list[float]) -> None:
            for _ in range(count):
                started = time.perf_counter()
                async with session.post(url + "api/v1/threads", json={"text": "hello"}) as response:
                    await response.read()
                    if response.status != 201:
                        raise RuntimeError(f"unexpected {response.status}")
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(client(WARMUP // clients + 1, []) for _ in range(clients)))
        latencies: list[float] = []
        started = time.perf_counter()
        await asyncio.gather(*(client(turns // clients, latencies) for _ in range(clients)))
        return time.perf_counter() - started, latencies


def _client_process(url: str, clients: int, turns: int, results: multiprocessing.Queue) -> None:
    results.put(asyncio.run(_client_load(url, clients, turns)))


async def through_http(folder: Path, clients: int, turns: int) -> Figures:
    hub, store, config = await start_bot(folder)
    adapter = HttpAdapter(Runtime(config=config, store=store, registry=hub.registry, hub=hub))
    await adapter.start()
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = context.Queue()
    process = context.Process(target=_client_process, args=(adapter.url, clients, turns, results))
    try:
        process.start()
        seconds, latencies = await asyncio.get_running_loop().run_in_executor(None, results.get)
        return Figures(len(latencies), seconds, latencies)
    finally:
        process.join(30)
        await adapter.stop()
        await hub.stop()
        await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run with few turns")
    args = parser.parse_args()
    plan = [(1, 60), (10, 200), (100, 400)] if args.quick else [(1, 300), (10, 1000), (100, 2000)]
    print(f"chatops HTTP API benchmark · Python {platform.python_version()} · {os.cpu_count()} CPUs")
    print(f"{'clients':>7} {'path':<6} {'turns/s':>9} {'p50 ms':>8} {'p99 ms':>8}   HTTP/hub")
    missed = []
    for clients, turns in plan:
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            hub = await through_hub(Path(a), clients, turns)
            http = await through_http(Path(b), clients, turns)
        ratio = http.rate / hub.rate
        print(f"{clients:>7} {'hub':<6} {hub.rate:>9.0f} {hub.pct(0.5):>8.1f} {hub.pct(0.99):>8.1f}")
        verdict = "met" if ratio >= RATIO_TARGET else "MISSED"
        print(f"{clients:>7} {'http':<6} {http.rate:>9.0f} {http.pct(0.5):>8.1f} {http.pct(0.99):>8.1f}   "
              f"{ratio:6.1%}  (target >= {RATIO_TARGET:.0%}: {verdict})")
        if ratio < RATIO_TARGET:
            missed.append(clients)
    print("all targets met" if not missed else f"target missed at {missed} clients")


if __name__ == "__main__":
    asyncio.run(main())
