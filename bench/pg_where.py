"""Where a PostgreSQL fast-path turn's time goes: CPU of the bot's process, of the server's
backends and of the load generator per turn, beside the same turns on SQLite, and the server's
own view of each statement (`pg_stat_statements`: calls and mean time per turn).

It reuses `bench/replicas.py`'s setups (real `chatops run` processes, `!current_time` over HTTP,
a separate load process) on a throwaway server started with `pg_stat_statements` preloaded. CPU
is read from `/proc/<pid>/stat` before and after each measurement (the server's backends are the
postmaster's children), so the figures are the processes' own, whatever else runs on the machine.

    .venv/bin/python bench/pg_where.py --turns 2000 --rounds 3
    .venv/bin/python bench/pg_where.py --pyspy /tmp/bot.txt   # also a py-spy of the PG bot (raw)
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # bench/storage.py shadows storage/
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import psycopg  # noqa: E402

from bench.machine import stamp  # noqa: E402
from bench.replicas import replicas, run_load  # noqa: E402
from tests.postgres_server import running_postgres  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def postmaster(folder: Path) -> int:
    return int((folder / "data" / "postmaster.pid").read_text().split()[0])


def server_cpu(master: int) -> float:
    return sum(cpu_seconds(pid) for pid in [master, *children(master)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--statements", type=int, default=25, help="how many statements to list")
    parser.add_argument("--pyspy", type=Path, default=None,
                        help="record the PG bot with py-spy (raw format) here, the SQLite bot to <path>.sqlite")
    parser.add_argument("--nested", action="store_true",
                        help="pg_stat_statements also lists the statements the server-side functions run")
    parser.add_argument("--gil", action="store_true", help="with --pyspy: only samples holding the GIL (py-spy --gil)")
    args = parser.parse_args()
    measured = stamp()
    print(f"  {measured.machine()}; load average {os.getloadavg()[0]:.2f}", flush=True)
    with running_postgres() as server, contextlib.ExitStack() as stack:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        server.stop("fast")
        server.start()
        url = server.create_database()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
            if args.nested:  # known only once the library is loaded
                conn.execute("ALTER SYSTEM SET pg_stat_statements.track = 'all'")
                conn.execute("SELECT pg_reload_conf()")
        master = postmaster(server.folder)
        setups = []
        for name, db_url in (("SQLite", None), ("PostgreSQL", url)):
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="chatops-where-")))
            served = stack.enter_context(replicas(folder, 1, db_url))
            setups.append((name, served[0]))
        rows: dict[str, list[tuple[float, float, float]]] = {"SQLite": [], "PostgreSQL": []}
        for round_ in range(args.rounds):
            order = setups if round_ % 2 == 0 else setups[::-1]
            for name, served in order:
                run_load([served.url], args.clients, 200)  # warm
                if name == "PostgreSQL":
                    with psycopg.connect(url, autocommit=True) as conn:
                        conn.execute("SELECT pg_stat_statements_reset()")
                spy = None
                if args.pyspy is not None and round_ == args.rounds - 1:
                    # PostgreSQL's bot to the path given, SQLite's beside it (`<path>.sqlite`)
                    out = args.pyspy if name == "PostgreSQL" else args.pyspy.with_name(args.pyspy.name + ".sqlite")
                    spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--threads",
                                            "-r", "200", "-f", "raw", "-o", str(out), "-p",
                                            str(served.process.pid), *(["--gil"] if args.gil else [])],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(1.0)
                bot0, pg0 = cpu_seconds(served.process.pid), server_cpu(master)
                seconds, latencies = run_load([served.url], args.clients, args.turns)
                bot1, pg1 = cpu_seconds(served.process.pid), server_cpu(master)
                if spy is not None:
                    spy.send_signal(2)
                    spy.wait(timeout=60)
                turns = len(latencies)
                pg_ms = (pg1 - pg0) / turns * 1000 if name == "PostgreSQL" else 0.0
                rows[name].append((turns / seconds, (bot1 - bot0) / turns * 1000, pg_ms))
                print(f"  {name:<11} {args.clients} clients: {turns / seconds:7.1f} turns/s; CPU per turn: "
                      f"bot {(bot1 - bot0) / turns * 1000:.2f} ms, server {pg_ms:.2f} ms", flush=True)
        with psycopg.connect(url, autocommit=True) as conn:
            stats = conn.execute(
                "SELECT calls, total_exec_time, mean_exec_time, rows, query FROM pg_stat_statements "
                "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "ORDER BY total_exec_time DESC").fetchall()
    print()
    for name, figures in rows.items():
        rate = statistics.median(f[0] for f in figures)
        bot = statistics.median(f[1] for f in figures)
        pg = statistics.median(f[2] for f in figures)
        print(f"{name:<11} median of {len(figures)}: {rate:.0f} turns/s, bot CPU {bot:.2f} ms/turn, "
              f"server CPU {pg:.2f} ms/turn")
    turns = args.turns
    total = sum(s[1] for s in stats)
    calls = sum(s[0] for s in stats)
    print(f"\npg_stat_statements, last PostgreSQL round ({turns} turns): {calls / turns:.1f} statements/turn, "
          f"{total / turns:.3f} ms executing/turn")
    print(f"{'calls/turn':>10} {'mean ms':>8} {'ms/turn':>8}  statement")
    for calls_, total_, mean, _, query in stats[:args.statements]:
        print(f"{calls_ / turns:>10.2f} {mean:>8.3f} {total_ / turns:>8.3f}  {' '.join(query.split())[:150]}")
    print(f"({measured.done().line()}; load average {os.getloadavg()[0]:.2f} at the end)")


if __name__ == "__main__":
    main()
