"""Shared fixtures: a real SQLite file per test, a hub wired to scripted pydantic-ai models, and
a collector of every event the hub shows."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from chatops.bot.agent.planner import ModelPlanner
from chatops.bot.agent.planning import Planner
from chatops.bot.config import Config, PerceptionConfig
from chatops.bot.hub import Hub
from chatops.bot.model import Inbound, Outbound, ThreadRef, UserRef
from chatops.bot.perception.pipeline import Perceiver
from chatops.bot.runtime import Runtime
from chatops.storage import Store
from chatops.tools import ToolContext, ToolRegistry, tool
from tests.postgres_server import PostgresServer, shared_server, suite_backend

REPO = Path(__file__).resolve().parent.parent
CHATOPS = Path(sys.executable).parent / "chatops"  # the console script of this venv


def marker_runbook(marker: Path) -> str:
    """TOML for a `restart_service` write runbook that, when it really runs, writes the unit it
    was given into `marker`: proof from outside the process that a step ran (or did not)."""
    return textwrap.dedent(f"""
        [[runbooks]]
        name = "restart_service"
        description = "Restart a service (test: writes a marker file)"
        argv = ["{sys.executable}", "-c", "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.argv[2])",
                "{marker}", "{{unit}}"]
        risk = "write"
        timeout = 20
        [runbooks.params.unit]
        type = "string"
        pattern = "^[a-z0-9@._-]+$"
    """)


_databases: dict[Path, str] = {}
_backend_of: dict[Path, str] = {}


def database_url_for(tmp_path: Path) -> str | None:
    """With `CHATOPS_TEST_STORAGE=postgresql`, the PostgreSQL database of this test (one per
    `tmp_path`, so a test that restarts its bot finds its data again); else None (SQLite)."""
    if _backend_of.get(tmp_path, suite_backend()) != "postgresql":
        return None
    if tmp_path not in _databases:
        _databases[tmp_path] = shared_server().create_database()
    return _databases[tmp_path]


def make_config(tmp_path: Path, **sections: Any) -> Config:
    data: dict[str, Any] = {"storage": {"path": str(tmp_path / "chatops.db")}, "console": {"user": "alice"}}
    if url := database_url_for(tmp_path):
        data["storage"]["url"] = url
    data["storage"].update(sections.pop("storage", {}))  # other storage keys keep the test's own file
    data.update(sections)
    return Config.model_validate(data)


def reply(*steps: dict[str, Any], answer: str = "", goal: str = "") -> dict[str, Any]:
    """One planner reply: steps as {tool, args, reason}; no steps means an answer."""
    return {"goal": goal or ("; ".join(s["tool"] for s in steps) or "answer"),
            "steps": [{"reason": "scripted", "args": {}, **s} for s in steps], "answer": answer}


@dataclass
class ScriptedModel:
    """A pydantic-ai `FunctionModel` that gives the scripted replies in order and remembers the
    prompts it was shown (so tests can check what the planner saw)."""

    replies: list[Any]
    prompts: list[str] = field(default_factory=list)

    def function(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.prompts.append("\n".join(str(getattr(p, "content", "")) for m in messages for p in m.parts))
        item = self.replies[min(len(self.prompts) - 1, len(self.replies) - 1)]
        if isinstance(item, str):  # raw text: garbage for a structured output
            return ModelResponse(parts=[TextPart(item)])
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, json.dumps(item))])

    def planner(self) -> ModelPlanner:
        return ModelPlanner(FunctionModel(self.function))


@dataclass
class Calls:
    """Records what the test tools were asked to do."""

    made: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def of(self, name: str) -> list[dict[str, Any]]:
        return [args for tool_name, args in self.made if tool_name == name]


def scripted_tools(calls: Calls) -> list:
    @tool(risk="read", keywords=("ping",))
    async def ping(host: str = "localhost") -> str:
        """Answer pong for a host.

        Args:
            host: the host to ping
        """
        calls.made.append(("ping", {"host": host}))
        return f"pong from {host}"

    @tool(risk="write")
    async def restart(ctx: ToolContext, unit: str) -> str:
        """Restart a unit.

        Args:
            unit: the unit to restart
        """
        calls.made.append(("restart", {"unit": unit}))
        await ctx.progress(f"restarting {unit}")
        return f"{unit} restarted"

    @tool(risk="danger")
    async def drop_database(name: str) -> str:
        """Drop a database."""
        calls.made.append(("drop_database", {"name": name}))
        return f"dropped {name}"

    @tool(risk="read")
    async def broken(reason: str = "boom") -> str:
        """Always fails."""
        calls.made.append(("broken", {"reason": reason}))
        raise RuntimeError(reason)

    @tool(risk="read", timeout=0.2)
    async def slow() -> str:
        """Takes too long."""
        calls.made.append(("slow", {}))
        await asyncio.sleep(5)
        return "late"

    @tool(risk="read")
    async def leak() -> str:
        """Returns a secret it should not."""
        return "token is sk-test-secret-12345"

    return [ping, restart, drop_database, broken, slow, leak]


@dataclass
class Bot:
    hub: Hub
    store: Store
    calls: Calls
    events: list[tuple[ThreadRef, Outbound]]
    config: Config
    _runtime: Runtime | None = None

    def of_type(self, kind: str) -> list[Any]:
        return [event for _, event in self.events if event.type == kind]

    def runtime(self, *, config: Config | None = None) -> Runtime:
        """The `Runtime` an adapter is built from, around this bot's hub, store and perceiver (one
        per bot, so adapters built from it share its adapter health, as in `chatops run`)."""
        if config is not None:
            return Runtime(config=config, store=self.store, registry=self.hub.registry, hub=self.hub,
                           perceiver=self.hub.perceiver)
        if self._runtime is None:
            self._runtime = Runtime(config=self.config, store=self.store, registry=self.hub.registry, hub=self.hub,
                                    perceiver=self.hub.perceiver)
        return self._runtime

    async def say(self, text: str, *, user: UserRef | None = None, thread: str = "t1",
                  event_id: str | None = None, platform: str = "console") -> bool:
        user = user or UserRef(platform=platform, id="alice", name="alice")
        inbound = Inbound(event_id=event_id or f"e-{len(self.events)}-{text[:10]}-{id(text)}",
                          thread=ThreadRef(platform=platform, thread=thread), user=user, text=text)
        return await self.hub.handle(inbound)


BotFactory = Callable[..., Any]


@pytest.fixture(scope="session")
def postgres() -> PostgresServer:
    """The run's throwaway PostgreSQL server (started on first use)."""
    return shared_server()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Run a storage test on both backends."""
    return request.param


@pytest.fixture(autouse=True)
def storage_backend(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where this test's bot stores: `CHATOPS_TEST_STORAGE` for the whole suite, or the test's
    own choice (`@both_backends` runs it on each; `@pytest.mark.sqlite_only` keeps it on a SQLite
    file, for what only a file can show: its locks, PRAGMAs, a full disk)."""
    if request.node.get_closest_marker("sqlite_only"):
        chosen = "sqlite"
    else:
        chosen = getattr(request, "param", None) or suite_backend()
    _backend_of[tmp_path] = chosen
    return chosen


both_backends = pytest.mark.parametrize("storage_backend", ["sqlite", "postgresql"], indirect=True)


@pytest_asyncio.fixture
async def open_store(tmp_path: Path, backend: str) -> AsyncIterator[Callable[..., Any]]:
    """`await open_store(**options)` → a `Store` on this test's database of the `backend`; every
    call opens another store (another pool or connection) on the same database."""
    opened: list[Store] = []
    url = shared_server().create_database() if backend == "postgresql" else None

    async def factory(**options: Any) -> Store:
        store = await Store.open(tmp_path / "chatops.db", url=url, **options)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        await store.close()


@pytest_asyncio.fixture
async def make_bot(tmp_path: Path) -> AsyncIterator[BotFactory]:
    """`await make_bot(planner=..., **config_sections)` → a started `Bot` on a real SQLite file."""
    started: list[Bot] = []

    async def factory(planner: Planner | None = None, *, perceiver: Perceiver | None = None, **sections: Any) -> Bot:
        config = make_config(tmp_path, **sections)
        store = await Store.open_configured(config.storage)
        calls = Calls()
        registry = ToolRegistry(scripted_tools(calls))
        hub = Hub(config=config, store=store, registry=registry, planner=planner, sweep_interval=3600,
                  perceiver=perceiver)
        events: list[tuple[ThreadRef, Outbound]] = []

        async def collect(thread: ThreadRef, event: Outbound) -> None:
            events.append((thread, event))

        hub.add_sink(collect)
        await hub.start()
        bot = Bot(hub=hub, store=store, calls=calls, events=events, config=config)
        started.append(bot)
        return bot

    yield factory
    for bot in started:
        await bot.hub.stop()
        await bot.store.close()


@pytest.fixture(scope="session")
def shared_perceiver() -> Iterator[Perceiver]:
    """One perception pipeline (Whisper tiny.en, Tesseract) for every adapter test that sends
    files, so the models load once per test run. No store: nothing is cached across tests."""
    perceiver = Perceiver(PerceptionConfig())
    yield perceiver
    perceiver.close()


@pytest.fixture
def alice() -> UserRef:
    return UserRef(platform="console", id="alice", name="alice")


class _HealthHandler(BaseHTTPRequestHandler):
    """/health answers 200, /broken 500, anything else 404."""

    def do_GET(self) -> None:
        status = {"/health": 200, "/broken": 500}.get(self.path, 404)
        body = b'{"status": "ok"}' if status == 200 else b"no"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def http_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 (in a thread, so subprocesses can reach it too)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HealthHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
