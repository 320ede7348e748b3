"""The big C blocks still alive in a bench/malloc_log/bigalloc.c log, oldest first, each with its
allocating frames; frames inside libpython are named with gdb (`info symbol`), since
`backtrace_symbols` names only exported functions.

    .venv/bin/python bench/malloc_log/live.py /tmp/big/big-PID.log [--until UNIX_TIME] [--frames N]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

FRAME = re.compile(r"(?P<lib>[^(]*)\((?P<sym>[^)]*)\)\[0x[0-9a-f]+\]")


def live_blocks(text: str, until: float) -> dict[str, tuple[float, int, str, list[str]]]:
    """pointer -> (time, size, call, frames) of every block allocated and not freed by `until`."""
    live: dict[str, tuple[float, int, str, list[str]]] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        parts = lines[i].split()
        if parts[:1] == ["M"]:
            frames = []
            i += 1
            while i < len(lines) and lines[i] != "E":
                frames.append(lines[i])
                i += 1
            if float(parts[1]) <= until:
                live[parts[2]] = (float(parts[1]), int(parts[3]), parts[4], frames)
        elif parts[:1] == ["F"] and float(parts[1]) <= until:
            live.pop(parts[2], None)
        i += 1
    return live


@cache
def symbol(library: str, offset: str) -> str:
    """`function + n` for an offset in a library (gdb reads its symbol table), or the offset."""
    if not shutil.which("gdb") or not Path(library).exists():
        return offset
    out = subprocess.run(["gdb", "-batch", "-ex", f"info symbol {offset}", library],
                         capture_output=True, text=True).stdout.strip()
    return out.split(" in section")[0] if " in section" in out else offset


def named(frame: str) -> str:
    match = FRAME.match(frame)
    if not match:
        return frame
    library, sym = match["lib"], match["sym"]
    if sym.startswith("+0x"):
        sym = symbol(library, sym[1:])
    return f"{Path(library).name}: {sym}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--until", type=float, default=float("inf"), help="the blocks alive at this time")
    parser.add_argument("--frames", type=int, default=12)
    args = parser.parse_args()
    live = live_blocks(args.log.read_text(errors="replace"), args.until)
    print(f"{args.log}: {len(live)} live blocks, {sum(b[1] for b in live.values()) / 1e6:.3f} MB")
    for pointer, (at, size, call, frames) in sorted(live.items(), key=lambda item: item[1][0]):
        print(f"  {at:.1f} {size / 1e6:.3f} MB {call} {pointer}")
        for frame in frames[:args.frames]:
            print(f"      {named(frame)}")


if __name__ == "__main__":
    main()
