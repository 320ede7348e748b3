"""The fast path (`!noop`, in process, SQLite) against errbot's TestBot, for several checkouts of
the project in interleaved rounds: errbot, then checkout A; errbot, then checkout B; and again.

Each ratio is taken against the errbot run just before it, so a machine that another process
slows down for a minute slows both sides of one ratio. Each checkout runs in its own process
with its own code (`PYTHONPATH`), through its own `bench/pipeline.py` (`bench_hub`, `bench_errbot`).

    .venv/bin/python bench/fastpath_rounds.py /work/main /work/wt-branch --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.machine import stamp  # noqa: E402

RUN = textwrap.dedent("""
    import asyncio, json, sys
    sys.path.insert(0, sys.argv[1])
    import bench.pipeline as p
    from pathlib import Path
    out = {}
    if sys.argv[2] == "errbot":
        for r in p.bench_errbot(Path(sys.argv[3]), [(1, int(sys.argv[4])), (100, int(sys.argv[5]))]):
            out[r.concurrency] = [r.rate, r.cpu / r.count]
    else:
        for c, n in ((1, int(sys.argv[4])), (100, int(sys.argv[5]))):
            r = asyncio.run(p.bench_hub(p.VARIANTS["fast"], c, n, "writer_thread"))
            out[c] = [r.rate, r.cpu / r.count]
    print(json.dumps(out))
""")


def measure(tree: Path, what: str, errbot: Path, sequential: int, windowed: int) -> dict[int, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", RUN, str(tree), what, str(errbot), str(sequential), str(windowed)],
                          check=True, capture_output=True, text=True, env=env, cwd=tree)
    return {int(k): v for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def line(values: list[float]) -> str:
    ordered = sorted(values)
    return f"{ordered[0]:.2f} / {statistics.median(ordered):.2f} / {ordered[-1]:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sequential", type=int, default=1000)
    parser.add_argument("--windowed", type=int, default=2000)
    parser.add_argument("--errbot-python", type=Path,
                        default=Path(tempfile.gettempdir()) / "chatops-bench-errbot-6.2.1" / "bin" / "python")
    args = parser.parse_args()
    measured = stamp()
    print(f"# {measured.machine()}; load average {os.getloadavg()[0]:.2f}", flush=True)
    ratios: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
    for round_ in range(1, args.rounds + 1):
        order = args.trees if round_ % 2 else args.trees[::-1]
        for tree in order:
            base = measure(tree, "errbot", args.errbot_python, args.sequential, args.windowed)
            fast = measure(tree, "fast", args.errbot_python, args.sequential, args.windowed)
            parts = []
            for c in (1, 100):
                rate, cpu = fast[c][0] / base[c][0], base[c][1] / fast[c][1]
                ratios.setdefault((tree.name, c), []).append((rate, cpu, fast[c][1] * 1000))
                parts.append(f"c={c}: errbot {base[c][0]:.0f}/s {base[c][1] * 1000:.3f}ms  fast {fast[c][0]:.0f}/s "
                             f"{fast[c][1] * 1000:.3f}ms  ratio {rate:.3f} cpu-ratio {cpu:.3f}")
            print(f"{tree.name} r{round_} " + " | ".join(parts), flush=True)
    print(f"\n# min / median / max over {args.rounds} rounds")
    for (name, c), values in ratios.items():
        print(f"{name:<14} {c:>3} in flight: ratio by rate {line([v[0] for v in values])};  by CPU "
              f"{line([v[1] for v in values])};  fast-path CPU per turn {line([v[2] for v in values])} ms")
    print(f"# {measured.done().line()}; load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
