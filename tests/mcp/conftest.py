"""A bot whose tools come from real MCP servers (subprocesses over stdio, or Streamable HTTP on
127.0.0.1), assembled by `start_runtime` exactly as `chatops run` does it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from chatops.bot.model import UserRef
from chatops.bot.runtime import Runtime, start_runtime
from tests.conftest import Bot, Calls, make_config

SERVER = Path(__file__).with_name("server.py")
BIN = Path(sys.executable).parent
ROLES = {"oncall": {"console": ["alice", "bob"]}}


def own_server(**overrides: Any) -> dict[str, Any]:
    """The `[[mcp]]` table of the tests' own server over stdio."""
    return {"name": "test", "command": sys.executable, "args": [str(SERVER)], "timeout": 5, **overrides}


def person(name: str) -> UserRef:
    return UserRef(platform="console", id=name, name=name)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with one commit and a known author."""
    path = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    git(path, "config", "user.name", "Test")
    git(path, "config", "user.email", "test@example.org")
    (path / "README").write_text("hello\n")
    git(path, "add", "README")
    git(path, "commit", "-q", "-m", "first")
    return path


McpBot = Callable[..., Any]


@pytest_asyncio.fixture
async def mcp_bot(tmp_path: Path) -> AsyncIterator[McpBot]:
    """`await mcp_bot(server_table, …, planner=None, **sections)` → (Bot, Runtime)."""
    runtimes: list[Runtime] = []

    async def factory(*servers: dict[str, Any], planner: Any = None, **sections: Any) -> tuple[Bot, Runtime]:
        config = make_config(tmp_path, mcp=list(servers), **sections)
        runtime = await start_runtime(config, planner=planner, load_model=False)
        runtimes.append(runtime)
        events: list = []

        async def collect(thread: Any, event: Any) -> None:
            events.append((thread, event))

        runtime.hub.add_sink(collect)
        return Bot(hub=runtime.hub, store=runtime.store, calls=Calls(), events=events, config=config), runtime

    yield factory
    for runtime in runtimes:
        await runtime.close()
