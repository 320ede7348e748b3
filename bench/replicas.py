"""Fast-path turns through real `chatops run` processes: one on SQLite, one replica on PostgreSQL,
two replicas on one PostgreSQL, in the same run.

One turn = `POST /api/v1/threads/{id}/messages` with `!current_time` (a read-only built-in that
needs no network), answered with the thread (201) once the bot has answered: the message stored,
the plan proposed and started, the step run and finished, the answer stored. Each client owns
one thread and sends its turns one after another; with two replicas, requests alternate between
them (a round-robin load balancer), so consecutive turns of a thread land on different
replicas. The load runs in a separate process, so the bots' processes do only the bots' work.

Measured at 1 and 100 concurrent clients: turns/s, p50 and p99 latency, and on PostgreSQL the
database transactions per turn (`pg_stat_database.xact_commit`: every autocommit read counts
as one, so this is the number of round trips that ended a transaction). The PostgreSQL server
is Debian's, started in a temporary folder (as for the tests). All three setups stay up for the
whole run and are measured interleaved (SQLite, PostgreSQL, two replicas, SQLite, …, the order
reversed every other repeat), so the ratios to SQLite are taken between runs seconds apart and
printed as min / median / max over the repeats.

    .venv/bin/python bench/replicas.py              # 300 turns at 1 client, 3000 at 100, 3 repeats
    .venv/bin/python bench/replicas.py --quick      # smoke run
    .venv/bin/python bench/replicas.py --turns 1000 # 100 turns at 1 client, 1000 at 100 (under 3 minutes)
    .venv/bin/python bench/replicas.py --trace-only # where each transaction of a turn comes from

`--baseline PATH` adds another checkout's SQLite and one-replica PostgreSQL setups (its
`chatops run` imports that tree), measured in the same rounds, so a change's before and after are
compared seconds apart; each checkout's PostgreSQL is divided by its own SQLite.

`--trace` (or `--trace-only`, which measures nothing else) first runs turns on the one-replica
PostgreSQL setup with the bench's server logging every statement (`bench/pg_trace.py`), and prints
each kind of transaction a turn makes and how many per turn, at 1 and at 100 clients.
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
import contextlib  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import textwrap  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import aiohttp  # noqa: E402
import psycopg  # noqa: E402

from bench import pg_trace  # noqa: E402
from bench.machine import stamp  # noqa: E402
from tests.http.served import Served, free_port, serve  # noqa: E402
from tests.postgres_server import PostgresServer, running_postgres  # noqa: E402

COMMAND = "!current_time"
WARMUP = 10
BASELINE = " [baseline]"  # the name's suffix of the setups of `--baseline`'s checkout


@dataclass
class Figures:
    setup: str
    clients: int
    turns: int
    seconds: float
    latencies: list[float]
    transactions_per_turn: float | None
    bot_cpu_ms: float = 0.0  # the bot processes' own CPU per turn (/proc): steadier than a rate on a shared machine
    server_cpu_ms: float = 0.0  # the PostgreSQL server's (its postmaster and every child) per turn

    @property
    def rate(self) -> float:
        return self.turns / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def bot_config(folder: Path, port: int, url: str | None) -> Path:
    storage = f'url = "{url}"\npool_size = 10\n' if url else ""
    path = folder / f"replica-{port}.toml"
    path.write_text(textwrap.dedent(f"""
        [storage]
        path = "{folder / 'chatops.db'}"
        lease_seconds = 10
    """) + storage + textwrap.dedent(f"""
        [llm]
        model = "test"
        [http]
        listen = "127.0.0.1:{port}"
        max_connections_per_client = 1000
    """))
    return path


@contextlib.contextmanager
def replicas(folder: Path, count: int, url: str | None, tree: Path | None = None) -> Iterator[list[Served]]:
    """`count` bots on one store; with `tree`, their `chatops run` imports that checkout."""
    with contextlib.ExitStack() as stack:
        served = []
        saved = os.environ.get("PYTHONPATH")
        if tree is not None:
            os.environ["PYTHONPATH"] = str(tree.resolve())
        try:
            for _ in range(count):
                port = free_port()
                served.append(stack.enter_context(serve(bot_config(folder, port, url), port, timeout=120)))
        finally:
            if tree is not None:
                if saved is None:
                    os.environ.pop("PYTHONPATH", None)
                else:
                    os.environ["PYTHONPATH"] = saved
        yield served


async def _load(urls: list[str], clients: int, turns: int) -> tuple[float, list[float]]:
    per_client = max(1, turns // clients)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def open_thread(index: int) -> str:
            async with session.post(f"{urls[index % len(urls)]}/api/v1/threads",
                                    json={"text": COMMAND}) as response:
                body = await response.json()
                if response.status != 201:
                    raise RuntimeError(f"{response.status}: {body}")
                return body["id"]

        async def client(index: int, thread: str, count: int, latencies: list[float]) -> None:
            for turn in range(count):
                base = urls[(index + turn) % len(urls)]  # round robin: turns of a thread alternate replicas
                started = time.perf_counter()
                async with session.post(f"{base}/api/v1/threads/{thread}/messages?limit=1",
                                        json={"text": COMMAND}) as response:
                    await response.read()
                    if response.status != 201:
                        raise RuntimeError(f"{response.status} from {base}")
                latencies.append(time.perf_counter() - started)

        threads = await asyncio.gather(*(open_thread(i) for i in range(clients)))
        await asyncio.gather(*(client(i, t, WARMUP // clients + 1, []) for i, t in enumerate(threads)))
        latencies: list[float] = []
        started = time.perf_counter()
        await asyncio.gather(*(client(i, t, per_client, latencies) for i, t in enumerate(threads)))
        return time.perf_counter() - started, latencies


def _load_process(urls: list[str], clients: int, turns: int, results: multiprocessing.Queue) -> None:
    results.put(asyncio.run(_load(urls, clients, turns)))


def run_load(urls: list[str], clients: int, turns: int) -> tuple[float, list[float]]:
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    worker = spawn.Process(target=_load_process, args=(urls, clients, turns, results))
    worker.start()
    seconds, latencies = results.get(timeout=1800)
    worker.join()
    return seconds, latencies


def committed(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").fetchone()
    return int(row[0]) if row else 0


def measure_once(setup: str, urls: list[str], url: str | None, clients: int, turns: int,
                 bots: list[int], master: int | None) -> Figures:
    from bench.pg_where import cpu_seconds, server_cpu

    before = committed(url) if url else 0
    time.sleep(0.5)  # pg_stat counters are flushed at most every 0.5 s
    bot0, server0 = sum(map(cpu_seconds, bots)), server_cpu(master) if url and master else 0.0
    seconds, latencies = run_load(urls, clients, turns)
    bot1, server1 = sum(map(cpu_seconds, bots)), server_cpu(master) if url and master else 0.0
    time.sleep(1.0)
    per_turn = (committed(url) - before) / len(latencies) if url else None
    figures = Figures(setup, clients, len(latencies), seconds, latencies, per_turn,
                      (bot1 - bot0) / len(latencies) * 1000, (server1 - server0) / len(latencies) * 1000)
    tx = f", {per_turn:.2f} transactions/turn" if per_turn is not None else ""
    print(f"  {setup:<34} {clients:>3} clients: {figures.rate:7.1f} turns/s{tx}; CPU per turn: bot "
          f"{figures.bot_cpu_ms:.2f} ms, server {figures.server_cpu_ms:.2f} ms", flush=True)
    return figures


def trace(server: PostgresServer, urls: list[str], url: str) -> None:
    """Each kind of transaction of a turn on PostgreSQL, per turn, at 1 and at 100 clients."""
    log = server.folder / "server.log"
    database = url.rsplit("/", 1)[1]
    for clients, turns in ((1, 100), (100, 1000)):
        run_load(urls, clients, 20)  # warm: prepared statements, pool connections
        pg_trace.start(server.url())
        time.sleep(0.5)
        offset = len(log.read_text(errors="replace"))
        _, latencies = run_load(urls, clients, turns)
        pg_trace.stop(server.url())
        # the load also opens each client's thread and warms up: those are turns too
        counted = len(latencies) + clients * (WARMUP // clients + 1) + clients
        print(f"trace, PostgreSQL 1 replica, {clients} clients, {counted} turns "
              f"(only this bench's server logs statements, and only now):")
        print(textwrap.indent(pg_trace.report(log, offset, database, counted), "  "), flush=True)


def ratio_line(values: list[float]) -> str:
    ordered = sorted(values)
    return f"{ordered[0]:.2f} / {statistics.median(ordered):.2f} / {ordered[-1]:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved rounds (default 3, 1 with --quick)")
    parser.add_argument("--turns", type=int, default=None,
                        help="turns at 100 clients (a tenth of them at 1 client); default 3000")
    parser.add_argument("--trace", action="store_true", help="first trace a turn's PostgreSQL transactions")
    parser.add_argument("--trace-only", action="store_true", help="only the trace, no measurement")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another checkout: its SQLite and 1-replica PostgreSQL measured in the same rounds")
    args = parser.parse_args()
    plan = [(1, 40), (100, 300)] if args.quick else [(1, 300), (100, 3000)]
    if args.turns:
        plan = [(1, max(10, args.turns // 10)), (100, args.turns)]
    repeats = args.repeats or (1 if args.quick else 3)
    measured = stamp()
    print(f"fast-path turns over HTTP; {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {os.getloadavg()[0]:.2f}")
    print(f"  {measured.machine()}", flush=True)
    results: list[Figures] = []
    setups: list[tuple[str, int, str, Path | None]] = [
        ("SQLite, 1 process", 1, "sqlite", None), ("PostgreSQL, 1 replica", 1, "pg", None),
        ("PostgreSQL, 2 replicas", 2, "pg", None)]
    if args.baseline is not None:
        print(f"  baseline: {args.baseline} (setups marked {BASELINE.strip()})", flush=True)
        setups += [("SQLite, 1 process" + BASELINE, 1, "sqlite", args.baseline),
                   ("PostgreSQL, 1 replica" + BASELINE, 1, "pg", args.baseline)]
    with running_postgres() as server, contextlib.ExitStack() as stack:
        server: PostgresServer
        running = []
        pids: dict[str, list[int]] = {}
        from bench.pg_where import postmaster

        master = postmaster(server.folder)
        for setup, count, backend, tree in setups:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="chatops-replicas-")))
            url = server.create_database() if backend == "pg" else None
            served = stack.enter_context(replicas(folder, count, url, tree))
            running.append((setup, [s.url for s in served], url))
            pids[setup] = [s.process.pid for s in served]
        if args.trace or args.trace_only:
            trace(server, running[1][1], running[1][2])
            if args.trace_only:
                return
        for repeat in range(repeats):
            order = running if repeat % 2 == 0 else running[::-1]
            for clients, turns in plan:
                for setup, urls, url in order:
                    results.append(measure_once(setup, urls, url, clients, turns, pids[setup], master))
    print()
    print(f"{'setup':<36}{'clients':>8}{'turns':>7}{'turns/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'DB tx/turn':>12}"
          f"{'bot CPU ms':>12}{'server CPU':>12}")
    for f in results:
        tx = f"{f.transactions_per_turn:.2f}" if f.transactions_per_turn is not None else "-"
        print(f"{f.setup:<36}{f.clients:>8}{f.turns:>7}{f.rate:>9.1f}{f.pct(0.5):>9.1f}{f.pct(0.99):>9.1f}{tx:>12}"
              f"{f.bot_cpu_ms:>12.2f}{f.server_cpu_ms:>12.2f}")
    print()
    for setup, _, _ in running:
        if setup.startswith("SQLite"):
            continue
        sqlite = "SQLite, 1 process" + (BASELINE if setup.endswith(BASELINE) else "")
        for clients, _ in plan:
            mine = [f for f in results if f.setup == setup and f.clients == clients]
            base = [f for f in results if f.setup == sqlite and f.clients == clients]
            ratios = [m.rate / b.rate for m, b in zip(mine, base, strict=True)]
            tx = [m.transactions_per_turn or 0.0 for m in mine]
            print(f"{setup}, {clients:>3} clients: {ratio_line(ratios)} × SQLite's rate; "
                  f"transactions per turn {ratio_line(tx)}  (min / median / max of {len(mine)})")
            spent = [m.bot_cpu_ms + m.server_cpu_ms for m in mine]
            print(f"    CPU per turn, bot + server: {ratio_line(spent)} ms; SQLite's bot "
                  f"{ratio_line([b.bot_cpu_ms for b in base])} ms; × SQLite's: "
                  f"{ratio_line([b.bot_cpu_ms / s for b, s in zip(base, spent, strict=True)])}")
    if args.baseline is not None:  # this checkout against the baseline, round by round (seconds apart)
        for clients, _ in plan:
            mine = [f for f in results if f.setup == "PostgreSQL, 1 replica" and f.clients == clients]
            base = [f for f in results if f.setup == "PostgreSQL, 1 replica" + BASELINE and f.clients == clients]
            rates = [m.rate / b.rate for m, b in zip(mine, base, strict=True)]
            spent = [(m.bot_cpu_ms + m.server_cpu_ms) / (b.bot_cpu_ms + b.server_cpu_ms)
                     for m, b in zip(mine, base, strict=True)]
            print(f"PostgreSQL, 1 replica, {clients:>3} clients, this checkout / baseline: rate {ratio_line(rates)}, "
                  f"CPU per turn (bot + server) {ratio_line(spent)}")
    print(f"({measured.done().line()}; load average {os.getloadavg()[0]:.2f} at the end)")


if __name__ == "__main__":
    main()
