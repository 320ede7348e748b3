"""`web_snapshot` of a local page: time cold (no browser running) and warm (the browser reused),
and what the browser holds in memory while running and once idle.

The page is the Grafana-like dashboard of tests/test_web_snapshot.py (DOM stats plus a chart drawn
on a canvas, read by OCR), served on 127.0.0.1 by aiohttp in the same process. Each call is the
tool as the executor runs it (argument validation, the allow list, the screenshot, OCR).

Rows: `cold` = first call, Chromium and Playwright's driver started inside it (median of
`--cold` runs, the browser closed between them); `warm` = later calls on the running browser
(median and max of `--warm`). Memory: the summed RSS of the driver and browser processes while
running, then after `idle_seconds` (they should be gone: 0 processes, 0 MB), and this process's
own RSS before the first call and after the browser closed.

Targets (issue 26): ≤ 3 s cold, ≤ 1 s warm, nothing added while idle.

    .venv/bin/python bench/web_snapshot.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402


def rss_mb(pid: int, field: str = "VmRSS:", path: str = "status") -> float:
    try:
        with open(f"/proc/{pid}/{path}") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants() -> list[int]:
    """Processes started under this one (Playwright's node driver, Chromium and its helpers)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                if fields[0] != "Z":
                    parents[int(entry)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier}
        found += sorted(frontier)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (clock ticks from /proc/PID/stat)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold", type=int, default=3)
    parser.add_argument("--warm", type=int, default=10)
    args = parser.parse_args()

    from aiohttp import web

    from chatops.tools.web.browser import SHARED
    from tests.test_web_snapshot import DASHBOARD, call

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text=DASHBOARD, content_type="text/html")

    app = web.Application()
    app.router.add_get("/d/checkout", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/d/checkout"
    config = {"allow": ["127.0.0.1"], "idle_seconds": 2.0}
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} {platform.node()} python {platform.python_version()}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    own_before = rss_mb(os.getpid())
    cold, warm = [], []
    for _ in range(args.cold):
        await SHARED.close()
        started = time.perf_counter()
        result = await call({"url": url}, **config)
        cold.append(time.perf_counter() - started)
    assert "p99 latency" in result.canvases[0].text, result.canvases
    cpu: list[float] = []
    for _ in range(args.warm):
        pids = [os.getpid(), *descendants()]
        before = cpu_seconds(pids)
        started = time.perf_counter()
        await call({"url": url}, **config)
        warm.append(time.perf_counter() - started)
        cpu.append(cpu_seconds(pids) - before)  # the OCR's short-lived tesseract is not in it
    running = descendants()
    browser_mb = sum(rss_mb(pid) for pid in running)
    browser_pss = sum(rss_mb(pid, "Pss:", "smaps_rollup") for pid in running)
    await asyncio.sleep(config["idle_seconds"] + 1.5)
    idle = descendants()
    own_after = rss_mb(os.getpid())
    print(f"cold  median {statistics.median(cold):.2f} s  max {max(cold):.2f} s  (target ≤ 3 s; {len(cold)} runs)")
    print(f"warm  median {statistics.median(warm):.2f} s  max {max(warm):.2f} s  (target ≤ 1 s; {len(warm)} runs); "
          f"CPU of bot + browser per warm call: median {statistics.median(cpu):.2f} s")
    print(f"browser while running: {len(running)} processes, {browser_mb:.0f} MB RSS summed, "
          f"{browser_pss:.0f} MB PSS (shared pages counted once; reported apart from the bot)")
    print(f"browser once idle ({config['idle_seconds']:g} s): {len(idle)} processes, "
          f"{sum(rss_mb(pid) for pid in idle):.0f} MB")
    print(f"this process: {own_before:.0f} MB before, {own_after:.0f} MB after the browser closed")
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
