"""glibc's allocator, told to give memory back: a long-running bot's RSS should follow what it
holds, not the most it ever held.

Measured in the chaos soak (issue 22, `bench/chaos.py --trace-memory`): after warm-up the memory
glibc hands out stayed flat while its arenas kept up to 48 MB freed but resident (a 16-arena
process: glibc makes up to 8 per core, one for each thread that allocates at once: executors,
psycopg, the MCP readers), and a model file read once at start-up left tens of MB free in the
heap. `malloc_trim(0)` returns free pages inside every arena to the kernel (glibc 2.8+ does so with
`madvise`, not only at the top of the heap), and fewer arenas fragment less.

Nothing here changes what the program allocates; on a C library without these calls (musl,
macOS) both steps do nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import os
from functools import cache

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # mallopt's parameter numbers, from glibc's malloc.h
M_ARENA_MAX = -8
ARENAS = 2  # as MALLOC_ARENA_MAX=2: the bot's threads mostly wait on I/O or the GIL
# blocks this large get their own mapping, unmapped when freed. Without a fixed value glibc raises
# the threshold (up to 32 MB) each time such a block is freed, and from then on a burst's big
# buffers (a 4 MB MCP read refused, a page of 1,100 plans) land in the heap and leave it taller
MMAP_THRESHOLD = 512 * 1024
TRIM_EVERY = 60.0  # seconds between two trims


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim, libc.mallopt  # noqa: B018 -- glibc only: raises AttributeError elsewhere
    except (OSError, AttributeError):
        return None
    return libc


def limit_arenas(environ: dict[str, str] | os._Environ[str] = os.environ, arenas: int = ARENAS) -> bool:
    """At most `arenas` malloc arenas, and big blocks in their own mappings, unless the operator
    set MALLOC_ARENA_MAX / MALLOC_MMAP_THRESHOLD_ (glibc read them at start-up and they win).
    Call before threads start allocating: arenas made earlier stay. True when glibc took the
    arena limit."""
    libc = _libc()
    if libc is None:
        return False
    if "MALLOC_MMAP_THRESHOLD_" not in environ:
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    if "MALLOC_ARENA_MAX" in environ:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas))


def trim() -> bool:
    """Give free memory in every arena back to the kernel now (blocking: a few ms per 100 MB of
    heap; call it off the event loop). True when something was returned."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


async def trim_periodically(every: float = TRIM_EVERY) -> None:
    """Trim every `every` seconds until cancelled: what a burst freed (a flood of plans, a large
    upload, a huge MCP answer refused while read) leaves RSS within the next minute."""
    if _libc() is None:
        return
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(trim)
        except Exception:  # never worth stopping the bot for
            log.exception("malloc_trim failed")
