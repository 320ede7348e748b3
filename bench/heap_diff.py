"""What grew in a process traced by bot/heap_trace.py (`bench/chaos.py --trace-memory FOLDER`):
the allocation sites whose live bytes grew most between two snapshots, the object types whose
count grew, and RSS beside Python's traced memory (RSS growing while traced memory stays flat is
the allocator keeping freed memory, not a leak).

    .venv/bin/python bench/heap_diff.py FOLDER            # the second snapshot against the last
    .venv/bin/python bench/heap_diff.py FOLDER --since 3 --top 30 --frames 4
    .venv/bin/python bench/heap_diff.py FOLDER --series --since 10   # every snapshot from the 10th

`--series` answers a different question: not "what is bigger at the end than at the start" (two
snapshots, which a burst in flight at either moment skews) but "what rises at every step". It
groups each live block by the innermost frame of its traceback that lies in this checkout (the
project's line that asked for it, however deep in a library the allocation happened; run the
soak with `--trace-frames 6` or more so that frame is there), and prints each site's size at every
snapshot with how many steps it rose. A bounded cache still filling and a leak both rise at every
step; a site that rises and falls is load in flight.
"""

from __future__ import annotations

import argparse
import json
import tracemalloc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def owner(frames: Sequence[tracemalloc.Frame], root: str = str(CHECKOUT)) -> str:
    """The site a block is charged to: the innermost frame inside `root` (a traceback lists the
    oldest frame first), else `(outside) file:line` of the allocating frame."""
    for frame in reversed(frames):
        if frame.filename.startswith(root + "/"):
            return f"{frame.filename[len(root) + 1:]}:{frame.lineno}"
    last = frames[-1] if frames else None
    return f"(outside) {Path(last.filename).name}:{last.lineno}" if last else "(outside) ?"


@dataclass
class Series:
    site: str
    sizes: list[int]  # live bytes at each snapshot
    counts: list[int]  # live blocks at each snapshot

    @property
    def growth(self) -> int:
        return self.sizes[-1] - self.sizes[0]

    @property
    def rises(self) -> int:
        """How many steps from one snapshot to the next it grew in."""
        return sum(1 for before, after in zip(self.sizes, self.sizes[1:], strict=False) if after > before)


def series(snapshots: Iterable[tracemalloc.Snapshot], root: str = str(CHECKOUT)) -> list[Series]:
    """Each site's live bytes and blocks across the snapshots, largest growth first."""
    found: dict[str, Series] = {}
    for index, snapshot in enumerate(snapshots):
        totals: dict[str, list[int]] = {}
        for trace in snapshot.traces:
            entry = totals.setdefault(owner(list(trace.traceback), root), [0, 0])
            entry[0] += trace.size
            entry[1] += 1
        for site in totals.keys() | found.keys():
            line = found.setdefault(site, Series(site, [0] * index, [0] * index))
            size, count = totals.get(site, (0, 0))
            line.sizes.append(size)
            line.counts.append(count)
    return sorted(found.values(), key=lambda line: line.growth, reverse=True)


def print_series(files: list[Path], top: int) -> None:
    lines = series(tracemalloc.Snapshot.load(str(file)) for file in files)
    steps = len(files) - 1
    print(f"sites by the project's innermost frame, {files[0].name} -> {files[-1].name} "
          f"(growth, blocks, steps it rose in of {steps}, KiB at each snapshot):")
    for line in lines[:top]:
        print(f"  {line.growth / 1024:+9.1f} KiB {line.counts[-1] - line.counts[0]:+7d} blocks  "
              f"rose {line.rises}/{steps}  {line.site}  {[round(size / 1024) for size in line.sizes]}")
    total = [sum(line.sizes[i] for line in lines) for i in range(len(files))]
    print(f"  all sites: {[round(size / 1e6, 2) for size in total]} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--since", type=int, default=1, help="the snapshot to compare against (0 = the first)")
    parser.add_argument("--until", type=int, default=-1, help="the later snapshot (-1 = the last)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--frames", type=int, default=1, help="frames per site (1 = the allocating line)")
    parser.add_argument("--series", action="store_true",
                        help="every snapshot from --since to --until, by the project's innermost frame")
    args = parser.parse_args()
    files = sorted(args.folder.glob("heap-*.pickle"))
    if args.series:
        print_series(files[args.since:len(files) if args.until == -1 else args.until + 1], args.top)
        return
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
