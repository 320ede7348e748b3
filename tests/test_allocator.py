"""bot/allocator.py in a real Python process: memory a burst freed goes back to the kernel within
the trim interval (issue 22: the chaos soak's RSS must follow what the bot holds, not the most it
ever held), and MALLOC_ARENA_MAX set by the operator wins over the bot's own arena limit."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BURST = textwrap.dedent("""
    import asyncio, json, sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from chatops.bot.allocator import trim_periodically

    def rss():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

    base = rss()
    # a burst: 150 MB in blocks under glibc's mmap threshold, so they live in the heap, each
    # followed by a small block (over pymalloc's 512 bytes) that stays: fragmentation, so the
    # heap's top cannot simply shrink
    burst, stays = [], []
    for _ in range(2_500):
        burst.append(bytearray(60_000))
        stays.append(bytearray(1_000))
    del burst
    freed = rss()

    async def main():
        task = asyncio.create_task(trim_periodically(every={every}))
        await asyncio.sleep(1.0)
        task.cancel()
    asyncio.run(main())
    print(json.dumps({{"base": base, "freed": freed, "trimmed": rss()}}))
""")


def run_burst(every: float) -> dict[str, float]:
    script = BURST.format(root=str(ROOT), every=every)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_memory_a_burst_freed_is_given_back_within_the_trim_interval() -> None:
    figures = run_burst(every=0.2)
    assert figures["freed"] - figures["base"] > 100, figures  # glibc kept the freed burst resident
    assert figures["trimmed"] - figures["base"] < 30, figures  # the trim gave it back


def test_without_a_trim_in_the_interval_the_burst_stays_resident() -> None:
    """The control: the same process whose first trim comes after the measurement keeps it."""
    figures = run_burst(every=30)
    assert figures["trimmed"] - figures["base"] > 100, figures


def test_the_operators_malloc_arena_max_wins() -> None:
    script = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from chatops.bot.allocator import limit_arenas; "
              "print(limit_arenas({'MALLOC_ARENA_MAX': '8'}), limit_arenas({}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["False", "True"]  # the operator's value stays; otherwise glibc took ours


BIG_BUFFERS = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from chatops.bot.allocator import limit_arenas

    def rss():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

    if {tuned}:
        limit_arenas({{}})
    base = rss()
    for n in range(20):  # one refused 4 MB read after another, each a little smaller
        buffer = bytearray(4_000_000 - n * 4096)
        del buffer
    print(json.dumps({{"base": base, "after": rss()}}))
""")


def big_buffers(tuned: bool) -> float:
    script = BIG_BUFFERS.format(root=str(ROOT), tuned=tuned)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    figures = json.loads(done.stdout)
    return figures["after"] - figures["base"]


def test_big_buffers_freed_leave_nothing_resident() -> None:
    assert big_buffers(tuned=True) < 1.0
    # the control: glibc's sliding threshold put the later buffers in the heap, which kept them
    assert big_buffers(tuned=False) > 3.0
