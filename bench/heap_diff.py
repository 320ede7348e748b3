"""What grew in a process traced by bot/heap_trace.py (`bench/chaos.py --trace-memory FOLDER`):
the allocation sites whose live bytes grew most between two snapshots, the object types whose
count grew, and RSS beside Python's traced memory (RSS growing while traced memory stays flat is
the allocator keeping freed memory, not a leak).

    .venv/bin/python bench/heap_diff.py FOLDER            # the second snapshot against the last
    .venv/bin/python bench/heap_diff.py FOLDER --since 3 --top 30 --frames 4
"""

from __future__ import annotations

import argparse
import json
import tracemalloc
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--since", type=int, default=1, help="the snapshot to compare against (0 = the first)")
    parser.add_argument("--until", type=int, default=-1, help="the later snapshot (-1 = the last)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--frames", type=int, default=1, help="frames per site (1 = the allocating line)")
    args = parser.parse_args()
    files = sorted(args.folder.glob("heap-*.pickle"))
    counts = [json.loads(line) for line in (args.folder / "counts.jsonl").read_text().splitlines()]
    first, last = files[args.since], files[args.until]
    print("n, RSS MB, RSS after malloc_trim MB, traced MB:")
    for line in counts:
        print(f"  {line['n']:>3} {line['rss_mb']:>7} {line['rss_after_trim_mb']!s:>7} {line['traced_mb']:>7}")
    old, new = tracemalloc.Snapshot.load(str(first)), tracemalloc.Snapshot.load(str(last))
    skip = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
            tracemalloc.Filter(False, "<unknown>")]
    old, new = old.filter_traces(skip), new.filter_traces(skip)
    grouping = "traceback" if args.frames > 1 else "lineno"
    stats = new.compare_to(old, grouping)
    print(f"\nallocation sites, {first.name} -> {last.name} (largest growth first):")
    for stat in stats[: args.top]:
        print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  now {stat.size / 1024:9.1f} KiB")
        for frame in list(stat.traceback)[-args.frames:][::-1]:
            print(f"        {frame.filename}:{frame.lineno}")
    a = counts[args.since if args.since >= 0 else len(counts) + args.since]["objects"]
    b = counts[args.until if args.until >= 0 else len(counts) + args.until]["objects"]
    grown = sorted(((b.get(k, 0) - a.get(k, 0), k) for k in set(a) | set(b)), reverse=True)
    print("\nlive objects by type (growth):")
    for diff, name in grown[: args.top]:
        if diff:
            print(f"  {diff:+8d} {name} (now {b.get(name, 0)})")


if __name__ == "__main__":
    main()
