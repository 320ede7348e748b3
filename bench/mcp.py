"""MCP: what the bot adds to a tool call, and how long three servers take to start.

1. Call overhead. The same server program (`mcp-server-time`, `get_current_time`) twice: once
   behind the bot (`Executor.run` → `ToolSpec.run` → `MCPServers.call` → `mcp.Client`), once
   called bare (`mcp.ClientSession.call_tool` on a session of its own). Rounds interleave the
   two so that a busy machine slows both alike; the table shows median and p95 per call and the
   ratio of the medians (target ≤ 1.2×).
2. Start-up. `MCPServers.start()` with three servers (`mcp-server-git`, `mcp-server-time` and
   the tests' own SDK server), which start concurrently, against starting the same three one
   after the other.

    .venv/bin/python bench/mcp.py            # 5 rounds of 200 calls, 3 start-ups
    .venv/bin/python bench/mcp.py --quick
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "mcp":
    # Another script in bench/ (whose folder is first on sys.path) imported the SDK and found this
    # file: stand aside and hand it the real package (the import system returns whatever
    # `sys.modules["mcp"]` holds once this module has run; the rest below only defines things).
    import importlib

    _here = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _here]
    del sys.modules["mcp"]
    sys.modules["mcp"] = importlib.import_module("mcp")

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time

# `python bench/mcp.py` would otherwise import this very file as the `mcp` package. The project's
# modules are imported inside the functions, so that the stand-aside above never runs them.
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
ARGS = {"timezone": "Europe/Paris"}


def _paths() -> None:
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    sys.path.insert(0, str(REPO))
    sys.modules.pop("mcp", None)


def time_server():
    from chatops.bot.config import MCPServerConfig

    return MCPServerConfig(name="time", command=str(BIN / "mcp-server-time"), args=["--local-timezone", "UTC"])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def call_overhead(rounds: int, calls: int) -> None:
    from mcp import Client, StdioServerParameters

    from chatops.bot.agent.executor import Executor
    from chatops.bot.model import Step, ThreadRef, UserRef
    from chatops.tools.context import ToolContext
    from chatops.tools.mcp import MCPServers
    from chatops.tools.registry import ToolRegistry

    time_config = time_server()
    servers = MCPServers([time_config])
    await servers.start()
    specs, _ = servers.specs()
    executor = Executor(ToolRegistry(specs))
    ctx = ToolContext(requester=UserRef(platform="console", id="bench"), thread=ThreadRef(platform="console",
                                                                                          thread="bench"))
    step = Step(tool="time_get_current_time", args=ARGS)
    bot: list[float] = []
    bare: list[float] = []
    params = StdioServerParameters(command=time_config.command or "", args=time_config.args)
    async with Client(params, cache=None) as client:  # Client only connects; the calls are the session's
        session = client.session
        for _ in range(10):  # warm both paths
            assert (await executor.run(step, ctx)).ok
            await session.call_tool("get_current_time", ARGS)
        for _ in range(rounds):
            for _ in range(calls):
                started = time.perf_counter()
                outcome = await executor.run(step, ctx)
                bot.append(time.perf_counter() - started)
                assert outcome.ok, outcome.error
            for _ in range(calls):
                started = time.perf_counter()
                result = await session.call_tool("get_current_time", ARGS)
                bare.append(time.perf_counter() - started)
                assert not result.is_error
    await servers.stop()
    ratio = statistics.median(bot) / statistics.median(bare)
    print(f"\n## call overhead ({rounds} rounds × {calls} calls each, interleaved)\n")
    print("| path | median ms | p95 ms |")
    print("| --- | ---: | ---: |")
    print(f"| bot: Executor.run → MCPServers.call | {statistics.median(bot) * 1000:.2f} | "
          f"{percentile(bot, 0.95) * 1000:.2f} |")
    print(f"| bare: ClientSession.call_tool | {statistics.median(bare) * 1000:.2f} | "
          f"{percentile(bare, 0.95) * 1000:.2f} |")
    print(f"\nratio of medians: {ratio:.2f}× (target ≤ 1.2×): {'met' if ratio <= 1.2 else 'MISSED'}")


def three_servers(repo: Path) -> list:
    from chatops.bot.config import MCPServerConfig

    return [
        MCPServerConfig(name="git", command=str(BIN / "mcp-server-git"), args=["--repository", str(repo)]),
        time_server(),
        MCPServerConfig(name="test", command=sys.executable, args=[str(REPO / "tests" / "mcp" / "server.py")]),
    ]


async def startup(repeats: int) -> None:
    from chatops.tools.mcp import MCPServers

    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / "repo"
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        together: list[float] = []
        apart: list[float] = []
        tools = 0
        for _ in range(repeats):
            servers = MCPServers(three_servers(repo))
            started = time.perf_counter()
            problems = await servers.start()
            together.append(time.perf_counter() - started)
            assert not problems, problems
            tools = len(servers.specs()[0])
            await servers.stop()
            one_by_one = 0.0
            for config in three_servers(repo):
                one = MCPServers([config])
                started = time.perf_counter()
                await one.start()
                one_by_one += time.perf_counter() - started
                await one.stop()
            apart.append(one_by_one)
    print(f"\n## start-up with three servers (git, time, the tests' SDK server: {tools} tools), "
          f"{repeats} repeats\n")
    print("| how | median s | max s |")
    print("| --- | ---: | ---: |")
    print(f"| MCPServers.start(), concurrent | {statistics.median(together):.2f} | {max(together):.2f} |")
    print(f"| one after the other (sum of the starts) | {statistics.median(apart):.2f} | {max(apart):.2f} |")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 rounds of 50 calls, 1 start-up")
    options = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"# bench/mcp.py  (load average {load:.2f} on {os.cpu_count()} cores"
          f"{'; busy machine, figures are pessimistic' if load > 1 else ''})")
    rounds, calls, repeats = (2, 50, 1) if options.quick else (5, 200, 3)
    await call_overhead(rounds, calls)
    await startup(repeats)


if __name__ == "__main__":
    _paths()
    asyncio.run(main())
