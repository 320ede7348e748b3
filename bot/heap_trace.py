"""A memory trace for benches: tracemalloc snapshots and live-object counts written to a folder
at a fixed interval, so a soak can say *what* grew, not only that RSS did.

Off unless the environment asks for it (`CHATOPS_HEAP_TRACE=<folder>`, set by `bench/chaos.py
--trace-memory`): tracemalloc slows every allocation and roughly doubles the memory Python
objects take, so no deployment should carry it. `CHATOPS_HEAP_TRACE_EVERY` is the interval in
seconds (default 60). Each tick writes `heap-NNN.pickle` (a `tracemalloc.Snapshot`, grouped by
`bench/heap_diff.py`) and one JSON line to `counts.jsonl`: RSS, the interpreter's live objects
by type, asyncio tasks, and what glibc's `malloc_trim` gave back, which separates a real leak
(objects that stay) from the allocator's high-water mark (freed memory glibc keeps in its arenas).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import json
import logging
import os
import re
import sys
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path

log = logging.getLogger(__name__)

ENV_FOLDER = "CHATOPS_HEAP_TRACE"
ENV_EVERY = "CHATOPS_HEAP_TRACE_EVERY"
ENV_TRIM = "CHATOPS_HEAP_TRACE_TRIM"  # "1": call malloc_trim(0) at each tick and record what it gave back
ENV_FRAMES = "CHATOPS_HEAP_TRACE_FRAMES"  # tracemalloc frames; 0: no snapshots, only the cheap counts
FRAMES = 1  # the allocating line: more frames cost much more memory and time under load
TOP_TYPES = 60


def rss_mb() -> float:
    """This process's resident set (MB), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _malloc_trim() -> bool:
    """Ask glibc to give free heap memory back to the kernel (False where there is no glibc)."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        return bool(ctypes.CDLL(name).malloc_trim(0))
    except (OSError, AttributeError):
        return False


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def malloc_info() -> dict[str, float]:
    """glibc's own account (MB): `in_use` is what the program holds, `free_kept` what glibc keeps
    freed in its main arena, `mmapped` large blocks. In use flat while RSS grows: a high-water
    mark or fragmentation, not a leak. Empty where glibc has no mallinfo2."""
    name = ctypes.util.find_library("c")
    try:
        call = ctypes.CDLL(name).mallinfo2 if name else None
    except (OSError, AttributeError):
        call = None
    if call is None:
        return {}
    call.restype = _MallInfo2
    info = call()
    return {"heap_mb": round(info.arena / 1e6, 2), "in_use_mb": round(info.uordblks / 1e6, 2),
            "free_kept_mb": round(info.fordblks / 1e6, 2), "mmapped_mb": round(info.hblkhd / 1e6, 2)}


def arenas_info(folder: Path) -> dict[str, float]:
    """Every glibc arena (threads allocate from their own; mallinfo2 sees the main one only), from
    `malloc_info`'s XML: `system_mb` taken from the kernel, `free_mb` kept free inside it."""
    name = ctypes.util.find_library("c")
    if not name:
        return {}
    libc = ctypes.CDLL(name)
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    path = folder / "malloc_info.xml"
    handle = libc.fopen(str(path).encode(), b"w")
    if not handle:
        return {}
    try:
        libc.malloc_info(0, handle)
    finally:
        libc.fclose(handle)
    text = path.read_text()
    tail = text[text.rfind("</heap>"):]  # the totals after the last arena
    found = dict(re.findall(r'<(?:system|aspace) type="(current|max)" size="(\d+)"', tail)[:2])
    free = sum(int(size) for size in re.findall(r'<total type="(?:fast|rest)" count="\d+" size="(\d+)"', tail))
    return {"arenas": text.count("<heap nr="), "system_mb": round(int(found.get("current", 0)) / 1e6, 2),
            "free_mb": round(free / 1e6, 2)}


def object_counts() -> Counter[str]:
    """Live objects tracked by the garbage collector, by type name (objgraph's `typestats`)."""
    return Counter(type(obj).__qualname__ for obj in gc.get_objects())


def tick(folder: Path, number: int, trim: bool) -> dict[str, object]:
    """One measurement: the snapshot file and the JSON line (blocking: call it off the loop)."""
    if tracemalloc.is_tracing():
        tracemalloc.take_snapshot().dump(str(folder / f"heap-{number:03d}.pickle"))
    traced, peak = tracemalloc.get_traced_memory()
    before = rss_mb()
    malloc = {**malloc_info(), **arenas_info(folder)}
    trimmed = _malloc_trim() if trim else False
    line: dict[str, object] = {
        "n": number, "time": time.time(), "rss_mb": round(before, 1),
        "rss_after_trim_mb": round(rss_mb(), 1) if trim else None, "trimmed": trimmed,
        "traced_mb": round(traced / 1e6, 2), "traced_peak_mb": round(peak / 1e6, 2),
        "python_blocks": sys.getallocatedblocks(), "malloc": malloc,
        "threads": threading.active_count(),
        "objects": dict(object_counts().most_common(TOP_TYPES)),
    }
    with (folder / "counts.jsonl").open("a") as out:
        out.write(json.dumps(line) + "\n")
    return line


async def trace_heap(folder: Path, every: float, trim: bool) -> None:
    """Measure now and every `every` seconds until cancelled."""
    folder.mkdir(parents=True, exist_ok=True)
    number = 0
    while True:
        line = await asyncio.to_thread(tick, folder, number, trim)
        tasks = len(asyncio.all_tasks())
        with (folder / "tasks.jsonl").open("a") as out:
            out.write(json.dumps({"n": number, "tasks": tasks}) + "\n")
        log.info("heap trace %d: RSS %.1f MB, traced %.1f MB", number, line["rss_mb"], line["traced_mb"])
        number += 1
        await asyncio.sleep(every)


def start_if_asked(environ: os._Environ[str] | dict[str, str] = os.environ) -> asyncio.Task[None] | None:
    """Start tracing when `CHATOPS_HEAP_TRACE` names a folder; None (and no cost) otherwise."""
    target = environ.get(ENV_FOLDER, "").strip()
    if not target:
        return None
    every = 60.0
    with contextlib.suppress(ValueError):
        every = max(1.0, float(environ.get(ENV_EVERY, "60")))
    frames = FRAMES
    with contextlib.suppress(ValueError):
        frames = int(environ.get(ENV_FRAMES, str(FRAMES)))
    if frames > 0:
        tracemalloc.start(frames)
    return asyncio.get_running_loop().create_task(
        trace_heap(Path(target), every, environ.get(ENV_TRIM, "") == "1"), name="chatops-heap-trace")
