"""Where a PostgreSQL fast-path turn's time goes: CPU of the bot's process, of the server's
backends and of the load generator per turn, beside the same turns on SQLite, and the server's
own view of each statement (`pg_stat_statements`: calls and mean time per turn).

It reuses `bench/replicas.py`'s setups (real `chatops run` processes, `!current_time` over HTTP,
a separate load process) on a throwaway server started with `pg_stat_statements` preloaded. CPU
is read from `/proc/<pid>/stat` before and after each measurement (the server's backends are the
postmaster's children), so the figures are the processes' own, whatever else runs on the machine.

    .venv/bin/python bench/pg_where.py --turns 2000 --rounds 3
    .venv/bin/python bench/pg_where.py --pyspy /tmp/bot.txt   # also a py-spy of the PG bot (raw)
    .venv/bin/python bench/pg_where.py --nested --explain 3    # statements inside the functions, their plans

It also prints, for the last PostgreSQL round, each function's calls and time
(`track_functions = all`) and the rows each table took per turn with the index entries they wrote
(`pg_stat_user_tables`); `--perf PATH` records the machine with `perf record` during that round
(`perf report --comms postgres -i PATH`).
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


def explain(conn: psycopg.Connection, server: object, served: object, turns: int) -> str:
    """The plans (with row counts, timings and buffers) of every statement `turns` turns run,
    nested statements of the server-side functions included, from the server's log."""
    log = Path(server.folder) / "server.log"  # type: ignore[attr-defined]
    settings = {"auto_explain.log_min_duration": "0", "auto_explain.log_analyze": "on",
                "auto_explain.log_buffers": "on", "auto_explain.log_nested_statements": "on",
                "auto_explain.log_timing": "on"}
    for key, value in settings.items():  # superuser settings: a reload reaches the pool's open sessions
        conn.execute(f"ALTER SYSTEM SET {key} = '{value}'")
    conn.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)
    offset = log.stat().st_size
    run_load([served.url], 1, turns)  # type: ignore[attr-defined]
    time.sleep(0.5)
    for key in settings:
        conn.execute(f"ALTER SYSTEM RESET {key}")
    conn.execute("SELECT pg_reload_conf()")
    with log.open(encoding="utf-8", errors="replace") as handle:
        handle.seek(offset)
        return handle.read()


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
    parser.add_argument("--perf", type=Path, default=None,
                        help="record the server's processes with `perf record` in the last PostgreSQL round, here")
    parser.add_argument("--explain", type=int, default=0, metavar="TURNS",
                        help="after the rounds, log EXPLAIN (ANALYZE, BUFFERS) of every statement (nested too) of "
                             "this many turns at 1 client (auto_explain) and print the plans")
    args = parser.parse_args()
    measured = stamp()
    print(f"  {measured.machine()}; load average {os.getloadavg()[0]:.2f}", flush=True)
    with running_postgres() as server, contextlib.ExitStack() as stack:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements', 'auto_explain'")
            conn.execute("ALTER SYSTEM SET track_functions = 'all'")
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
                        time.sleep(11.0)  # idle backends report their counters within 10 s (PostgreSQL 15)
                        conn.execute("SELECT pg_stat_reset()")
                spy = None
                if args.pyspy is not None and round_ == args.rounds - 1:
                    # PostgreSQL's bot to the path given, SQLite's beside it (`<path>.sqlite`)
                    out = args.pyspy if name == "PostgreSQL" else args.pyspy.with_name(args.pyspy.name + ".sqlite")
                    spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--threads",
                                            "-r", "200", "-f", "raw", "-o", str(out), "-p",
                                            str(served.process.pid), *(["--gil"] if args.gil else [])],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(1.0)
                perf = None
                if args.perf is not None and name == "PostgreSQL" and round_ == args.rounds - 1:
                    # the whole machine: `perf report --comms postgres -i <path>` keeps the server's samples
                    perf = subprocess.Popen(["perf", "record", "-a", "-F", "1000", "-o", str(args.perf)],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(1.0)
                bot0, pg0 = cpu_seconds(served.process.pid), server_cpu(master)
                seconds, latencies = run_load([served.url], args.clients, args.turns)
                bot1, pg1 = cpu_seconds(served.process.pid), server_cpu(master)
                if perf is not None:
                    perf.send_signal(2)
                    perf.wait(timeout=60)
                if spy is not None:
                    spy.send_signal(2)
                    spy.wait(timeout=60)
                turns = len(latencies)
                pg_ms = (pg1 - pg0) / turns * 1000 if name == "PostgreSQL" else 0.0
                rows[name].append((turns / seconds, (bot1 - bot0) / turns * 1000, pg_ms))
                print(f"  {name:<11} {args.clients} clients: {turns / seconds:7.1f} turns/s; CPU per turn: "
                      f"bot {(bot1 - bot0) / turns * 1000:.2f} ms, server {pg_ms:.2f} ms", flush=True)
        time.sleep(11.0)  # idle backends report their counters (pg_stat_user_*) within 10 s
        with psycopg.connect(url, autocommit=True) as conn:
            functions = conn.execute(
                "SELECT funcname, calls, total_time, self_time FROM pg_stat_user_functions "
                "ORDER BY total_time DESC").fetchall()
            tables = conn.execute(
                "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del, "
                "(SELECT count(*) FROM pg_index i WHERE i.indrelid = t.relid) FROM pg_stat_user_tables t "
                "WHERE n_tup_ins + n_tup_upd + n_tup_del > 0 ORDER BY relname").fetchall()
            stats = conn.execute(
                "SELECT calls, total_exec_time, mean_exec_time, rows, query FROM pg_stat_statements "
                "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "ORDER BY total_exec_time DESC").fetchall()
            plans = explain(conn, server, next(served for name, served in setups if name == "PostgreSQL"),
                            args.explain) if args.explain else ""
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
    print(f"\nfunctions (track_functions = all), last PostgreSQL round: {'calls/turn':>10} {'ms/turn':>8} "
          f"{'self ms/turn':>12} {'mean ms':>8}")
    for fname, fcalls, ftotal, fself in functions:
        print(f"  {fname:<40} {fcalls / turns:>10.2f} {ftotal / turns:>8.3f} {fself / turns:>12.3f} "
              f"{ftotal / max(fcalls, 1):>8.3f}")
    print("\nrows written per turn (pg_stat_user_tables), last PostgreSQL round, and index entries they wrote:")
    print(f"  {'table':<16} {'ins':>6} {'upd':>6} {'hot':>6} {'del':>6} {'indexes':>7} {'entries':>7}")
    entries_total = 0.0
    for rel, ins, upd, hot, dele, indexes in tables:
        # an insert writes one entry into every index; a non-HOT update one into every index too
        # (PostgreSQL 15 has no bottom-up skip for unchanged columns at insert time); a HOT one none
        entries = (ins + upd - hot) * indexes / turns
        entries_total += entries
        print(f"  {rel:<16} {ins / turns:>6.2f} {upd / turns:>6.2f} {hot / turns:>6.2f} {dele / turns:>6.2f} "
              f"{indexes:>7} {entries:>7.2f}")
    print(f"  {'total':<16} {'':>34} {entries_total:>7.2f}")
    if plans:
        print("\nEXPLAIN (ANALYZE, BUFFERS) of every statement of a turn (auto_explain, nested):")
        print(plans)
    print(f"({measured.done().line()}; load average {os.getloadavg()[0]:.2f} at the end)")


if __name__ == "__main__":
    main()
