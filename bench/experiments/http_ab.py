"""Two checkouts side by side over HTTP, measured alternately: `bench/replicas.py`'s SQLite setup
(or, with `--pg`, its one-replica PostgreSQL setup, one database per checkout on one cluster), a
`chatops run` per checkout importing that checkout's code (`PYTHONPATH`), and the same load
(`!current_time`, each client its own thread) sent to one then the other, six rounds, the order
reversed every other round. The ratio of two checkouts is taken between runs seconds apart.

    .venv/bin/python bench/experiments/http_ab.py /work/main /work/wt-branch [--pg]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import bench.replicas as replicas  # noqa: E402
from bench.machine import stamp  # noqa: E402
from bench.pg_where import cpu_seconds  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs=2, type=Path)
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    measured = stamp()
    print(f"# {measured.machine()}; load average {os.getloadavg()[0]:.2f}", flush=True)
    names = [tree.name for tree in args.trees]
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(replicas.running_postgres()) if args.pg else None
        urls = {}
        pids = {}
        for name, tree in zip(names, args.trees, strict=True):
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"chatops-ab-{name}-")))
            os.environ["PYTHONPATH"] = str(tree.resolve())  # the `chatops run` it starts imports this tree
            url = server.create_database() if server is not None else None
            served = stack.enter_context(replicas.replicas(folder, 1, url))
            urls[name], pids[name] = [s.url for s in served], served[0].process.pid
        for name in names:
            replicas.run_load(urls[name], 10, 200)  # warm-up
        rates: dict[tuple[str, int], list[float]] = {(n, c): [] for n in names for c in (1, 100)}
        # the bot process's own CPU per turn (ms), read from /proc: steadier than a rate on a shared machine
        cpu: dict[tuple[str, int], list[float]] = {(n, c): [] for n in names for c in (1, 100)}
        for round_ in range(args.rounds):
            for name in names if round_ % 2 == 0 else names[::-1]:
                for clients, turns in ((100, 1000), (1, 150)):
                    before = cpu_seconds(pids[name])
                    seconds, latencies = replicas.run_load(urls[name], clients, turns)
                    rates[(name, clients)].append(len(latencies) / seconds)
                    cpu[(name, clients)].append((cpu_seconds(pids[name]) - before) / len(latencies) * 1000)
            print(f"round {round_ + 1}: " + "  ".join(f"{n} c={c} {v[-1]:.0f}/s" for (n, c), v in rates.items()),
                  flush=True)
    for (name, clients), values in rates.items():
        ordered = sorted(values)
        spent = sorted(cpu[(name, clients)])
        print(f"{name:16s} {clients:3d} clients: {ordered[0]:.0f} / {statistics.median(ordered):.0f} / "
              f"{ordered[-1]:.0f} turns/s (min / median / max of {len(ordered)}); bot CPU per turn "
              f"{spent[0]:.2f} / {statistics.median(spent):.2f} / {spent[-1]:.2f} ms")
    print(f"# {measured.done().line()}; {'PostgreSQL, 1 replica' if args.pg else 'SQLite, 1 process'}")


if __name__ == "__main__":
    main()
