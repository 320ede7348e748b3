"""Chaos soak: the HTTP API under load while the bot is SIGKILLed and restarted at random phases
of a turn, and a second process comes and goes on the same database; beside them, a plan flood,
reload churn, an MCP server that floods and answers huge, and (on PostgreSQL) the database
stopped and started under the load.

Everything is real and on this machine: `chatops run` processes (the bench starts, kills and
restarts them), one SQLite file (or one throwaway PostgreSQL cluster with `--storage
postgresql`), runbooks that really run (a `write_marker` runbook appends its unit to a log file,
so a step that ran twice or without approval shows there; a `slow_check` runbook starts a helper
process carrying a token, so an orphan shows in /proc), and a fake OpenAI-compatible model in
this process that plans and answers after a random delay (so "planning" and "answering" take
long enough to be killed in). Clients post with an `Idempotency-Key` and retry the same key on
the other process (or after a restart) until acknowledged, approve every plan that asks, and
wait for the answer; they are bounded and talk to 127.0.0.1 only.

Kills are aimed at a phase: `planning` (a planning call to the model is open), `approval` (a plan
waits for a decision), `mid-step` (a runbook is running), `answering` (the call that answers
from the results is open). A second process is started on the same database now and then, serves
clients for a while, and is stopped or killed. A third, `steady`, process is never killed: it
serves its share of the load and takes the MCP disturbance, and its RSS is the one that must
stay flat (the killed ones restart too often for their RSS to say anything).

Alongside (issue 22), each bounded in count and time:

- reload churn: a plugin-folder tool (`churn_scale`, `[tools] paths`) is rewritten between risk
  `write` and `danger` (each version with its own timeout, so its own fingerprint) and `!reload`
  is sent to a live process every 2-5 s, while a user with no role asks for it and approvals are
  clicked 0-3 s later: a `write` card by `wendy` (who may approve writes only), a `danger` card by
  `olga` (or by `wendy`, who must be refused). Each run logs the version that ran;
- a plan flood: every few minutes ten users with no role make 110 plans each (1,100 pending
  plans, past the 1,000 definitions a process keeps in memory), then a new version is written,
  `!reload` is sent to every live process and the flood's 40 earliest plans are approved at the
  same time (approvals racing the reload);
- an MCP server (tests/mcp/server.py, stdio, on the steady process): 3,000 `list_changed`
  notifications then one real change, which must reach the tool list within 30 s; and a 50 MB
  result, which must be refused while read (`[[mcp]] max_result_bytes`), never held;
- with `--storage postgresql`: the cluster is stopped (`pg_ctl -m immediate`) for 10 s every
  2.5-4 minutes under the load. 503s during an outage (and 20 s after) are the designed answer and
  counted apart; every other 5xx is a failure.

Counted at the end (after the last process settled every turn and stopped): messages
acknowledged vs stored, turns never answered, steps run twice, steps run without an approval,
orphan processes, 5xx answers, processes that exited by themselves; approvals that ran another
definition than the card showed (another risk, or a version written after the card was seen),
danger runs approved only by a writer, churn runs without a card or run twice; tool-list changes
lost after a flood; huge results not cut. Each must be 0. Also RSS of the steady and the main
process and the database size over time, and how many kills hit each phase.

    .venv/bin/python bench/chaos.py                 # 5 minutes
    .venv/bin/python bench/chaos.py --minutes 30    # the README's run
    .venv/bin/python bench/chaos.py --minutes 10 --storage postgresql
    .venv/bin/python bench/chaos.py --minutes 1 --clients 4
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # bench/storage.py shadows storage/
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import textwrap  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

import aiohttp  # noqa: E402

from tests.crashing import processes_with  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI  # noqa: E402
from tests.postgres_server import PostgresServer, running_postgres  # noqa: E402

CHATOPS = Path(sys.executable).parent / "chatops"
PHASES = ("planning", "approval", "mid-step", "answering")
LEASE_SECONDS = 3
MCP_SERVER = REPO / "tests" / "mcp" / "server.py"

# who calls the API ([http] tokens): `operator` and `olga` hold `ops` (approve anything, may
# `!reload`), `wendy` holds `writers` (approves writes only), `mallory` and the flood users none
FLOOD_USERS = tuple(f"flood{n:02d}" for n in range(10))
USERS = ("operator", "olga", "wendy", "mallory", *FLOOD_USERS)
PLANS_PER_FLOOD_USER = 110  # 1,100 pending plans a flood: past the 1,000 definitions kept in memory
FLOOD_EVERY = (240, 330)  # seconds between floods
FLOOD_APPROVALS = 40  # the flood's earliest plans, approved while the reload runs
RELOAD_EVERY = (2.0, 5.0)
MCP_EVERY = (20, 40)
MCP_FLOOD = 3000  # list_changed notifications before the real change
MCP_PICKUP = 30.0  # seconds the real change has to reach the tool list
HUGE_MB = 50
OUTAGE_EVERY = (150, 240)
OUTAGE_SECONDS = 10
OUTAGE_GRACE = 20  # seconds after the database is back in which a 503 is still the outage's

# the churned plugin tool: each version its own risk and timeout (so its own fingerprint); a run
# logs the version that ran
CHURN_PLUGIN = '''"""Rewritten by bench/chaos.py: churn version {version:06d}."""
from chatops.tools import tool


@tool(risk="{risk}", timeout={timeout})
def churn_scale(service: str) -> str:
    """Scale a service (churn version {version:06d}, risk {risk})."""
    with open({log!r}, "a") as log:
        log.write("{version} {risk} " + service + chr(10))
    return "scaled " + service + " with version {version:06d}"
'''

WRITE_SCRIPT = ("import random, sys, time; time.sleep(random.uniform(0.1, 0.8)); "
                "open(sys.argv[1], 'a').write(sys.argv[3] + chr(10))")
SLOW_SCRIPT = ("import random, subprocess, sys, time; "
               "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)', sys.argv[1] + '-helper'], "
               "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
               "time.sleep(random.uniform(0.3, 2.0)); print('checked', sys.argv[2])")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def config_text(folder: Path, port: int, llm_url: str, token: str, tokens: dict[str, str],
                storage_url: str | None, mcp_script: Path) -> str:
    python = sys.executable
    url = f'url = "{storage_url}"\npool_size = 10' if storage_url else ""
    token_lines = "\n".join(f'{user} = "{secret}"' for user, secret in tokens.items())
    return textwrap.dedent(f"""
        [storage]
        path = "{folder / 'chaos.db'}"
        lease_seconds = {LEASE_SECONDS}
        {{url}}
        [llm]
        model = "openai:fake-model"
        base_url = "{llm_url}"
        api_key = "not-a-real-key"
        timeout = 30
        max_concurrent = 8
        [agent]
        approval_ttl = 600
        max_plans_per_minute = 100000  # the clients are few users at machine speed: not a flood to refuse
        [http]
        listen = "127.0.0.1:{port}"
        [http.tokens]
        {{tokens}}
        [roles.ops]
        http = ["operator", "olga"]
        [roles.writers]
        http = ["wendy"]
        [policy]
        approve_write = ["ops", "writers"]
        approve_danger = ["ops"]
        [tools]
        plugins = false
        paths = ["{folder / 'chaos_tools'}"]
        [[runbooks]]
        name = "write_marker"
        description = "Write a unit into the run log"
        argv = ["{python}", "-c", "{WRITE_SCRIPT}", "{folder / 'runs.log'}", "{token}-write", "{{unit}}"]
        risk = "write"
        timeout = 30
        [runbooks.params.unit]
        type = "string"
        pattern = "^u[0-9]+$"
        [[runbooks]]
        name = "slow_check"
        description = "Check a unit slowly"
        argv = ["{python}", "-c", "{SLOW_SCRIPT}", "{token}", "{{unit}}"]
        risk = "read"
        timeout = 30
        [runbooks.params.unit]
        type = "string"
        pattern = "^u[0-9]+$"
        [[mcp]]
        name = "chaosmcp"
        command = "{python}"
        args = ["{mcp_script}"]
        timeout = 60
        max_result_bytes = 4194304
    """).replace("{url}", url).replace("{tokens}", token_lines)


# --- the database the processes share: SQLite or PostgreSQL, read by the bench ---------------------


class Database:
    """Read-only questions to the shared database, in SQLite's `?` style on both backends. A
    PostgreSQL connection is kept and reopened after an error (the outage disturbance)."""

    def __init__(self, path: Path, url: str | None) -> None:
        self.path = path
        self.url = url
        self._conn: Any = None

    def rows(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[tuple]:
        if self.url is None:
            with contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)) as db:
                return db.execute(sql, list(params)).fetchall()
        import psycopg

        try:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=3)
            return self._conn.execute(sql.replace("?", "%s"), list(params)).fetchall()
        except psycopg.Error:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
            raise

    def megabytes(self) -> float | None:
        if self.url is None:
            return sum(Path(f"{self.path}{suffix}").stat().st_size for suffix in ("", "-wal")
                       if Path(f"{self.path}{suffix}").exists()) / 1e6
        try:
            return self.rows("SELECT pg_database_size(current_database())")[0][0] / 1e6
        except Exception:
            return None

    @property
    def errors(self) -> tuple[type[Exception], ...]:
        if self.url is None:
            return (sqlite3.Error,)
        import psycopg

        return (psycopg.Error,)

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()


# --- the model: plans and answers after a random delay ------------------------------------------


@dataclass
class Model:
    inflight: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)

    async def reply(self, body: dict[str, Any]) -> str:
        prompt = FakeOpenAI.text_of(body)
        kind = "answering" if "Results of the steps planned so far" in prompt else "planning"
        self.inflight[kind] += 1
        self.calls[kind] += 1
        try:
            await asyncio.sleep(random.uniform(0.1, 1.0))
        finally:
            self.inflight[kind] -= 1
        if kind == "answering":
            return json.dumps({"goal": "", "steps": [], "answer": "done"})
        asked = re.findall(r"please (write|check) (u[0-9]+)", prompt)
        if not asked:
            return json.dumps({"goal": "", "steps": [], "answer": "I did not understand."})
        verb, unit = asked[-1]
        tool = "write_marker" if verb == "write" else "slow_check"
        return json.dumps({"goal": f"{verb} {unit}", "steps": [{"tool": tool, "args": {"unit": unit},
                                                                  "reason": "asked"}], "answer": ""})


# --- bot processes ------------------------------------------------------------------------------


@dataclass
class BotProcess:
    name: str
    config: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    ended_by_bench: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)  # the steady one's memory trace, if asked

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def exited_by_itself(self) -> bool:
        """It ended, and not because the bench killed or stopped it."""
        return self.process is not None and self.process.poll() is not None and not self.ended_by_bench

    async def start(self, session: aiohttp.ClientSession) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
        env["PYTHONPATH"] = str(REPO)
        env.update(self.extra_env)
        log = (self.config.parent / f"{self.name}.log").open("ab")
        self.ended_by_bench = False
        self.process = subprocess.Popen([str(CHATOPS), "run", "--config", str(self.config)], stdout=log,
                                        stderr=log, env=env, cwd=self.config.parent)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.ended_by_bench = True  # reported by the caller, who retries
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {log.name}")
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with session.get(self.url + "/healthz", timeout=aiohttp.ClientTimeout(total=2)) as reply:
                    if reply.status == 200:
                        return
            await asyncio.sleep(0.1)
        self.kill()
        raise RuntimeError(f"{self.name} did not become healthy")

    async def start_until_up(self, session: aiohttp.ClientSession, failures: Counter[str],
                             give_up: float = 180) -> None:
        """Start it, again if a start fails (a start during a database outage may: counted)."""
        deadline = time.monotonic() + give_up
        while True:
            try:
                await self.start(session)
                return
            except RuntimeError as exc:
                failures[str(exc).split(";")[0]] += 1
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(2)

    def kill(self) -> None:
        if self.alive:
            assert self.process is not None
            self.ended_by_bench = True
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.alive:
            assert self.process is not None
            self.ended_by_bench = True
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


# --- clients ------------------------------------------------------------------------------------


@dataclass
class Tally:
    acknowledged: dict[str, str] = field(default_factory=dict)  # idempotency key -> thread id
    units: dict[str, str] = field(default_factory=dict)  # idempotency key -> unit
    server_errors: list[str] = field(default_factory=list)
    connection_errors: int = 0
    requests: int = 0
    answered_seen: int = 0
    approvals: int = 0
    outage_until: float = 0.0  # monotonic time until which a 5xx is the database outage's
    outage_5xx: int = 0


class Clients:
    def __init__(self, bots: list[BotProcess], session: aiohttp.ClientSession, tally: Tally,
                 tokens: dict[str, str]) -> None:
        self.bots = bots
        self.session = session
        self.tally = tally
        self.tokens = tokens
        self.numbers = itertools.count(1)
        self.stopping = False

    async def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                   give_up: float = 120.0, user: str = "operator", bot: BotProcess | None = None) -> tuple[int, Any]:
        """Send to a live process (any of them, or `bot`); on a connection error try again, the same
        request to the same or another process, as a client behind a load balancer would."""
        deadline = time.monotonic() + give_up
        headers = {**(headers or {}), "Authorization": f"Bearer {self.tokens[user]}"}
        while True:
            if bot is not None:
                target = bot
            else:
                live = [b for b in self.bots if b.alive] or self.bots
                target = random.choice(live)
            self.tally.requests += 1
            try:
                async with self.session.request(method, target.url + path, json=body, headers=headers,
                                                timeout=aiohttp.ClientTimeout(total=60)) as reply:
                    data = await reply.json(content_type=None)
                    if reply.status >= 500:
                        if reply.status == 503 and time.monotonic() < self.tally.outage_until:
                            self.tally.outage_5xx += 1
                        else:
                            self.tally.server_errors.append(f"{method} {path} {reply.status} {data}")
                        await asyncio.sleep(0.2)
                    else:
                        return reply.status, data
            except (TimeoutError, aiohttp.ClientError, json.JSONDecodeError):
                self.tally.connection_errors += 1
                await asyncio.sleep(random.uniform(0.1, 0.5))
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method} {path} got no answer in {give_up:.0f} s")

    async def converse(self, text: str, *, user: str, bot: BotProcess | None = None, wait: float = 90.0,
                       key: str | None = None) -> dict[str, Any] | None:
        """Start a thread with `text` and return its view once the bot answered or a plan waits
        for a decision (None when it was not acknowledged, or nothing came within `wait`)."""
        key = key or f"chaos-{secrets.token_hex(8)}"
        status, view = await self.call("POST", "/api/v1/threads", {"text": text}, headers={"Idempotency-Key": key},
                                       user=user, bot=bot)
        if status != 201:
            return None
        deadline = time.monotonic() + wait
        while True:
            if view["messages"] and view["messages"][-1]["role"] == "bot":
                return view
            if any(plan["status"] == "proposed" for plan in view["plans"]):
                return view
            if time.monotonic() > deadline or self.stopping:
                return None
            await asyncio.sleep(0.3)
            status, view = await self.call("GET", f"/api/v1/threads/{view['id']}", user=user, bot=bot)
            if status != 200:
                return None

    async def run_one(self) -> None:
        number = next(self.numbers)
        unit, key = f"u{number}", f"chaos-{number}-{secrets.token_hex(3)}"
        verb = random.choice(("write", "check"))
        status, view = await self.call("POST", "/api/v1/threads", {"text": f"please {verb} {unit}"},
                                       headers={"Idempotency-Key": key})
        if status != 201:
            self.tally.server_errors.append(f"create {status} {view}")
            return
        self.tally.acknowledged[key] = view["id"]
        self.tally.units[key] = unit
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not self.stopping:
            status, view = await self.call("GET", f"/api/v1/threads/{view['id']}")
            if status != 200:
                return
            if view["messages"] and view["messages"][-1]["role"] == "bot":
                self.tally.answered_seen += 1
                return
            for plan in view["plans"]:
                if plan["status"] == "proposed":
                    status, _ = await self.call("POST", f"/api/v1/plans/{plan['id']}/decision",
                                                {"decision": "approve"})
                    self.tally.approvals += status == 200
            await asyncio.sleep(0.2)

    async def loop(self) -> None:
        while not self.stopping:
            try:
                await self.run_one()
            except TimeoutError as exc:
                self.tally.server_errors.append(f"timeout: {exc}")


async def pause(clients: Clients, seconds: float) -> None:
    """Sleep, but wake up when the soak ends (a disturbance's long wait must not hold the end)."""
    deadline = time.monotonic() + seconds
    while not clients.stopping and time.monotonic() < deadline:
        await asyncio.sleep(min(1.0, deadline - time.monotonic()))


# --- reload churn and the plan flood (issue 22, item 1) -------------------------------------------


def churn_card(view: dict[str, Any] | None) -> dict[str, Any] | None:
    """The proposed plan of a `!churn_scale` thread, as its approver sees it."""
    for plan in (view or {}).get("plans", []):
        if plan["status"] == "proposed" and plan["steps"] and plan["steps"][0]["tool"] == "churn_scale":
            return plan
    return None


@dataclass
class Churn:
    """The churned plugin tool: which version was written when, what each card showed, and who
    approved it; the run log says which version ran."""

    tools: Path
    log: Path
    version: int = -1
    written_at: dict[int, float] = field(default_factory=dict)  # version -> monotonic time, before writing
    cards: dict[str, tuple[str, float]] = field(default_factory=dict)  # service -> (risk shown, when seen)
    approvers: dict[str, set[str]] = field(default_factory=dict)  # service -> who clicked approve (accepted)
    decisions: Counter[str] = field(default_factory=Counter)
    reloads: Counter[str] = field(default_factory=Counter)
    reload_samples: list[str] = field(default_factory=list)
    asked: int = 0
    not_carded: int = 0
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _last_write: float = 0.0

    def write_now(self) -> int:
        """Write the next version (atomically: a reload never reads half a file)."""
        self.version += 1
        number = self.version
        risk = "write" if number % 2 == 0 else "danger"
        self.written_at[number] = time.monotonic()
        text = CHURN_PLUGIN.format(version=number, risk=risk, timeout=30 + number, log=str(self.log))
        temporary = self.tools.parent / "churn.py.tmp"
        temporary.write_text(text)
        os.replace(temporary, self.tools / "churn.py")
        self._last_write = time.monotonic()
        return number

    async def write_next(self) -> int:
        """The next version, at least 1.1 s after the last one: Python's bytecode cache tells
        sources apart by whole-second mtime and size, so two writes in one second could reload
        stale code (a quirk of importing, not the disturbance under test)."""
        async with self._lock:
            await asyncio.sleep(max(0.0, self._last_write + 1.1 - time.monotonic()))
            return self.write_now()

    async def reload(self, clients: Clients, bot: BotProcess | None = None) -> None:
        view = await clients.converse("!reload", user="olga", bot=bot, wait=60)
        answer = view["messages"][-1]["text"] if view and view["messages"] else ""
        outcome = "reloaded" if answer.startswith("Reloaded") else "other"
        self.reloads[outcome] += 1
        if outcome == "other" and len(self.reload_samples) < 5:
            self.reload_samples.append(answer[:300] or "(no answer)")

    async def ask(self, clients: Clients, service: str, user: str, bot: BotProcess | None = None
                  ) -> dict[str, Any] | None:
        """A user with no role asks for the tool; the card is recorded as seen now."""
        self.asked += 1
        view = await clients.converse(f"!churn_scale service={service}", user=user, bot=bot, wait=60)
        plan = churn_card(view)
        if plan is None:
            self.not_carded += 1
            return None
        self.cards[service] = (plan["steps"][0]["risk"], time.monotonic())
        return plan

    async def decide(self, clients: Clients, plan: dict[str, Any], delay: float, kind: str = "churn") -> None:
        """Approve a card after `delay`: a write card by the writer, a danger card by an operator
        (or, three times in ten, by the writer, who must be refused)."""
        await asyncio.sleep(delay)
        service = plan["steps"][0]["args"]["service"]
        risk = plan["steps"][0]["risk"]
        approver = "wendy" if risk == "write" or random.random() < 0.3 else "olga"
        try:
            status, _ = await clients.call("POST", f"/api/v1/plans/{plan['id']}/decision", {"decision": "approve"},
                                           user=approver, give_up=60)
        except TimeoutError:
            status = 0
        self.decisions[f"{kind}: {risk} card approved by {approver}: {status}"] += 1
        if status == 200:
            self.approvers.setdefault(service, set()).add(approver)

    async def client(self, clients: Clients) -> None:
        """Ask, wait 0-3 s (a reload may land meanwhile), approve; again."""
        while not clients.stopping:
            with contextlib.suppress(TimeoutError):
                plan = await self.ask(clients, f"c{next(self.numbers)}", "mallory")
                if plan is not None:
                    await self.decide(clients, plan, random.uniform(0, 3))

    async def churn(self, clients: Clients) -> None:
        """Rewrite the tool to the other risk and `!reload` a live process, every 2-5 s."""
        while not clients.stopping:
            await pause(clients, random.uniform(*RELOAD_EVERY))
            await self.write_next()
            with contextlib.suppress(TimeoutError):
                await self.reload(clients)

    def verdict(self) -> dict[str, Any]:
        lines = [line.split() for line in self.log.read_text().splitlines()] if self.log.exists() else []
        runs = Counter(service for _, _, service in lines)
        mismatched, by_writer, uncarded = [], [], []
        for version, risk, service in lines:
            card = self.cards.get(service)
            if card is None:
                uncarded.append(service)
                continue
            shown, seen = card
            if risk != shown or self.written_at.get(int(version), 0.0) > seen:
                mismatched.append(f"{service}: card {shown}, ran version {version} ({risk})")
            if risk == "danger" and "olga" not in self.approvers.get(service, set()):
                by_writer.append(service)
        return {"churn_versions_written": self.version + 1, "churn_reloads": dict(self.reloads),
                "churn_reload_samples": self.reload_samples, "churn_plans_asked": self.asked,
                "churn_plans_carded": len(self.cards), "churn_plans_not_carded": self.not_carded,
                "churn_decisions": dict(sorted(self.decisions.items())), "churn_runs": len(lines),
                "churn_runs_by_risk": dict(Counter(risk for _, risk, _ in lines)),
                "definition_mismatch": len(mismatched), "definition_mismatch_samples": mismatched[:5],
                "danger_runs_approved_by_writer": len(by_writer),
                "churn_runs_without_card": len(uncarded), "churn_runs_twice": sum(1 for c in runs.values() if c > 1)}


@dataclass
class Flood:
    floods: int = 0
    plans: int = 0
    not_carded: int = 0
    seconds: list[float] = field(default_factory=list)
    pending_after: list[int] = field(default_factory=list)


async def flood_round(clients: Clients, churn: Churn, flood: Flood, number: int, bot: BotProcess
                      ) -> list[dict[str, Any]]:
    """1,100 plans from ten users with no role, 16 at a time, all to one process (so that it holds
    more pending plans than the definitions it keeps in memory); the cards, earliest first."""
    gate = asyncio.Semaphore(16)
    cards: list[tuple[int, dict[str, Any]]] = []

    async def one(user: str, index: int) -> None:
        async with gate:
            if clients.stopping:
                return
            with contextlib.suppress(TimeoutError):
                plan = await churn.ask(clients, f"f{number}-{user}-{index}", user, bot)
                flood.plans += plan is not None
                flood.not_carded += plan is None
                if plan is not None:
                    cards.append((index, plan))

    await asyncio.gather(*(one(user, index) for index in range(PLANS_PER_FLOOD_USER) for user in FLOOD_USERS))
    return [plan for _, plan in sorted(cards, key=lambda card: card[0])]


async def plan_flood(clients: Clients, churn: Churn, flood: Flood, db: Database, end: float,
                     steady: BotProcess) -> None:
    """Every few minutes: a flood of plans to the steady process, then a new version reloaded on
    every live process while the flood's earliest plans are approved (on any process)."""
    await pause(clients, 45)
    while not clients.stopping and time.monotonic() < end - 60:
        flood.floods += 1
        started = time.monotonic()
        cards = await flood_round(clients, churn, flood, flood.floods, steady)
        flood.seconds.append(round(time.monotonic() - started, 1))
        with contextlib.suppress(*db.errors):
            count = await asyncio.to_thread(db.rows, "SELECT count(*) FROM plans WHERE status = 'proposed'")
            flood.pending_after.append(count[0][0])

        async def reload_everywhere() -> None:
            await churn.write_next()
            live = [bot for bot in clients.bots if bot.alive]
            await asyncio.gather(*(churn.reload(clients, bot) for bot in live), return_exceptions=True)

        await asyncio.gather(reload_everywhere(), *(churn.decide(clients, plan, random.uniform(0, 2), "flood")
                                                    for plan in cards[:FLOOD_APPROVALS]), return_exceptions=True)
        await pause(clients, random.uniform(*FLOOD_EVERY))


# --- the MCP server that floods and answers huge (issue 22, items 3 and 4) ----------------------


@dataclass
class McpChaos:
    rounds: int = 0
    flood_outcomes: Counter[str] = field(default_factory=Counter)
    picked_up: int = 0
    pickup_seconds: list[float] = field(default_factory=list)
    lost: int = 0
    lost_samples: list[str] = field(default_factory=list)
    interrupted: int = 0  # the steady process or its MCP server restarted meanwhile: not a loss
    huge_calls: int = 0
    huge_outcomes: Counter[str] = field(default_factory=Counter)
    huge_not_cut: int = 0
    huge_samples: list[str] = field(default_factory=list)
    huge_seconds: list[float] = field(default_factory=list)
    timeouts: list[str] = field(default_factory=list)


def children_with(parent: int, marker: str) -> set[int]:
    """Live children of `parent` whose command line holds `marker` (its MCP server)."""
    found = set()
    for pid in processes_with(marker):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.add(pid)
    return found


def step_of(view: dict[str, Any] | None, tool: str) -> dict[str, Any] | None:
    for plan in (view or {}).get("plans", []):
        for step in plan["steps"]:
            if step["tool"] == tool:
                return step
    return None


async def mcp_chaos(clients: Clients, steady: BotProcess, stats: McpChaos, marker: str, end: float) -> None:
    """On the steady process: 3,000 list_changed notifications then one real change (which must
    be listed within 30 s), then a 50 MB result (which must be refused while read); again."""
    await pause(clients, 15)
    while not clients.stopping and time.monotonic() < end - 45:
        try:
            await mcp_flood_round(clients, steady, stats, marker)
            if not clients.stopping:
                await mcp_huge_round(clients, steady, stats)
        except TimeoutError as exc:
            stats.timeouts.append(str(exc))
        await pause(clients, random.uniform(*MCP_EVERY))


async def mcp_flood_round(clients: Clients, steady: BotProcess, stats: McpChaos, marker: str) -> None:
    stats.rounds += 1
    name = f"chaos_added_{stats.rounds}"
    assert steady.process is not None
    pid, servers = steady.process.pid, children_with(steady.process.pid, marker)
    view = await clients.converse(f"!chaosmcp_flood_changes count={MCP_FLOOD} then_add={name} listing_delay=0.5",
                                  user="operator", bot=steady, wait=120)
    step = step_of(view, "chaosmcp_flood_changes")
    stats.flood_outcomes[step["status"] if step else "no step"] += 1
    started, found = time.monotonic(), False
    listed = re.compile(rf"\bchaosmcp_{name}\b")
    while time.monotonic() - started < MCP_PICKUP and not clients.stopping:
        tools = await clients.converse("!tools", user="operator", bot=steady, wait=20)
        if tools and tools["messages"] and listed.search(tools["messages"][-1]["text"]):
            found = True
            break
        await asyncio.sleep(1)
    restarted = steady.process.pid != pid or children_with(pid, marker) != servers
    if found:
        stats.picked_up += 1
        stats.pickup_seconds.append(round(time.monotonic() - started, 1))
    elif restarted or clients.stopping:
        stats.interrupted += 1
    else:
        stats.lost += 1
        stats.lost_samples.append(f"{name}: flood step {step['status'] if step else None}, "
                                  f"{step.get('error') if step else ''}"[:300])


async def mcp_huge_round(clients: Clients, steady: BotProcess, stats: McpChaos) -> None:
    stats.huge_calls += 1
    started = time.monotonic()
    view = await clients.converse(f"!chaosmcp_huge megabytes={HUGE_MB}", user="operator", bot=steady, wait=120)
    stats.huge_seconds.append(round(time.monotonic() - started, 1))
    step = step_of(view, "chaosmcp_huge")
    stats.huge_outcomes[step["status"] if step else "no step"] += 1
    if step is not None and view is not None:
        size = len(json.dumps(step)) + sum(len(m["text"]) for m in view["messages"])
        if size > 200_000:
            stats.huge_not_cut += 1
        if len(stats.huge_samples) < 2:
            stats.huge_samples.append(f"{step['status']}: {(step.get('error') or step.get('output') or '')[:200]}")


# --- PostgreSQL stopped and started under the load ----------------------------------------------


@dataclass
class Outages:
    count: int = 0
    down_seconds: list[float] = field(default_factory=list)
    start_failures: Counter[str] = field(default_factory=Counter)


async def postgres_outages(server: PostgresServer, clients: Clients, outages: Outages, end: float) -> None:
    """Every 2.5-4 minutes: `pg_ctl stop -m immediate`, 10 s down, start again."""
    await pause(clients, random.uniform(*OUTAGE_EVERY) / 2)
    while not clients.stopping and time.monotonic() < end - 60:
        clients.tally.outage_until = float("inf")
        started = time.monotonic()
        await asyncio.to_thread(server.stop, "immediate")
        try:
            await asyncio.sleep(OUTAGE_SECONDS)
        finally:
            await asyncio.to_thread(server.start)
        outages.count += 1
        outages.down_seconds.append(round(time.monotonic() - started, 1))
        clients.tally.outage_until = time.monotonic() + OUTAGE_GRACE
        await pause(clients, random.uniform(*OUTAGE_EVERY))


# --- chaos --------------------------------------------------------------------------------------


def pending_plans(db: Database) -> int:
    """Plans of the soak's own clients waiting for a decision (the flood's are not a phase)."""
    try:
        return db.rows("SELECT count(*) FROM plans p JOIN steps s ON s.plan_id = p.id "
                       "WHERE p.status = 'proposed' AND s.tool = 'write_marker'")[0][0]
    except db.errors:
        return 0


async def wait_for_phase(phase: str, model: Model, db: Database, token: str, timeout: float = 6.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if phase in ("planning", "answering") and model.inflight[phase] > 0:
            return True
        if phase == "mid-step" and processes_with(token + "-write") + [
                p for p in processes_with(token) if not _is_helper(p, token)]:
            return True
        if phase == "approval" and await asyncio.to_thread(pending_plans, db) > 0:
            return True
        await asyncio.sleep(0.05)
    return False


def _is_helper(pid: int, token: str) -> bool:
    try:
        return (token + "-helper").encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def note_kill(log: Path, at: float, victim: BotProcess, phase: str, token: str) -> None:
    """A line in the run's `kills.log`: when, whom, in which phase, and the runbook processes
    alive just before (pid, parent, group), so an orphan's age and group point at its kill."""
    pid = victim.process.pid if victim.process is not None else None
    alive = []
    for child in processes_with(token):
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            alive.append(f"{child}/{stat[1]}/{stat[2]}{'h' if _is_helper(child, token) else ''}")
    with log.open("a") as out:
        out.write(f"{at:.1f} {victim.name} pid {pid} {phase}: {' '.join(alive)}\n")


def rss_mb(process: subprocess.Popen[bytes] | None) -> float | None:
    if process is None or process.poll() is not None:
        return None
    try:
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# --- the verdict --------------------------------------------------------------------------------


def verdict(db: Database, runs_log: Path, tally: Tally, token: str) -> dict[str, Any]:
    stored = 0
    duplicated = 0
    unanswered = []
    for thread_id in tally.acknowledged.values():
        users = db.rows("SELECT id, turn_ended_at FROM messages WHERE thread_id = ? AND role = 'user'", [thread_id])
        stored += len(users) >= 1
        duplicated += len(users) > 1
        last = db.rows("SELECT role FROM messages WHERE thread_id = ? ORDER BY created_at DESC, rowid DESC "
                       "LIMIT 1", [thread_id])
        if any(user[1] is None for user in users) or not last or last[0][0] != "bot":
            unanswered.append(thread_id)
    runs = Counter(line.strip() for line in runs_log.read_text().splitlines()) if runs_log.exists() else Counter()
    twice = {unit: count for unit, count in runs.items() if count > 1}
    unapproved = []
    for unit in runs:
        approved = db.rows(
            "SELECT count(*) FROM steps s JOIN decisions d ON d.plan_id = s.plan_id WHERE s.tool = 'write_marker' "
            "AND s.args = ? AND d.decision = 'approve' AND d.accepted = 1", [json.dumps({"unit": unit})])[0][0]
        if not approved:
            unapproved.append(unit)
    # what each unit run more than once was: one step started twice (a broken claim), or
    # several steps, each run once (the request planned twice, each card approved)
    twice_samples = {unit: [list(row) for row in db.rows(
        "SELECT s.id, s.status, s.owner, p.id, p.message_id, p.round FROM steps s JOIN plans p ON p.id = s.plan_id "
        "WHERE s.tool = 'write_marker' AND s.args = ? AND s.started_at IS NOT NULL ORDER BY s.started_at",
        [json.dumps({"unit": unit})])] for unit in list(twice)[:5]}
    steps = Counter(dict(db.rows("SELECT status, count(*) FROM steps GROUP BY status")))
    return {"acknowledged": len(tally.acknowledged), "stored": stored, "lost": len(tally.acknowledged) - stored,
            "stored_twice": duplicated, "never_answered": len(unanswered), "unanswered_threads": unanswered[:5],
            "unanswered_rows": {thread_id: _thread_rows(db, thread_id) for thread_id in unanswered[:3]},
            "steps_run_twice": len(twice), "steps_run_twice_samples": twice_samples,
            "steps_run_without_approval": len(unapproved),
            "orphan_processes": len(processes_with(token)), "orphan_samples": _described(processes_with(token)),
            "children_rows_at_end": [list(row) for row in db.rows(
                "SELECT pgid, process_id, step_id, start_ticks FROM children LIMIT 5")],
            "server_errors_5xx": len(tally.server_errors),
            "server_error_samples": tally.server_errors[:5], "write_runs": sum(runs.values()),
            "steps_by_status": dict(steps)}


def _thread_rows(db: Database, thread_id: str) -> dict[str, list[list[Any]]]:
    """What the database holds of a thread never answered: its messages, plans, steps and lease,
    every column (long text cut), so the cause can be read after the run: the PostgreSQL cluster
    is thrown away with it (a soak at 90d24e5 left one such thread and nothing else to read)."""

    def cut(row: tuple) -> list[Any]:
        return [value[:120] if isinstance(value, str) else value for value in row]

    queries = {"messages": "SELECT * FROM messages WHERE thread_id = ? ORDER BY created_at",
               "plans": "SELECT * FROM plans WHERE thread_id = ? ORDER BY created_at",
               "steps": "SELECT s.* FROM steps s JOIN plans p ON p.id = s.plan_id WHERE p.thread_id = ?",
               "thread_leases": "SELECT * FROM thread_leases WHERE thread_id = ?"}
    found: dict[str, list[list[Any]]] = {}
    for table, sql in queries.items():
        try:
            found[table] = [cut(row) for row in db.rows(sql, [thread_id])]
        except Exception as exc:  # a table of another schema version: say so, keep the rest
            found[table] = [[f"{type(exc).__name__}: {exc}"[:200]]]
    return found


def _described(pids: list[int]) -> list[str]:
    """What an orphan is, to tell a runbook's helper from an MCP server: its command line, its
    parent, its process group and session, and how long it has run (at most five). The age,
    against the kills in the run's `kills.log`, tells which kill left it."""
    found = []
    ticks, uptime = os.sysconf("SC_CLK_TCK"), float(Path("/proc/uptime").read_text().split()[0])
    for pid in pids[:5]:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:160]
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        age = uptime - int(stat[19]) / ticks
        found.append(f"pid {pid} (parent {stat[1]}, group {stat[2]}, session {stat[3]}, state {stat[0]}, "
                     f"{age:.0f} s old): {command}")
    return found


# --- the run ------------------------------------------------------------------------------------


def growth(samples: list[float | None], warm: int) -> dict[str, Any]:
    """RSS at the start, after warm-up, at the end and its maximum, with the growth (MB)."""
    rss = [r for r in samples if r is not None]
    if not rss:
        return {}
    warmed = [r for r in samples[warm:] if r is not None] or rss
    return {"start": round(rss[0], 1), "after_warmup": round(warmed[0], 1), "end": round(rss[-1], 1),
            "max": round(max(rss), 1), "growth": round(rss[-1] - rss[0], 1),
            "growth_after_warmup": round(rss[-1] - warmed[0], 1)}


FLAT_MB_PER_10_MIN = 2.0  # the steady process's RSS counts as flat at or under this slope (bench/README.md)


def flatness(samples: list[tuple[float, float | None]]) -> dict[str, Any]:
    """Is RSS flat? The least-squares slope of RSS over the last two thirds of the run (the
    first third is warm-up: models, caches and the allocator's arenas filling), in MB per 10
    minutes, against `FLAT_MB_PER_10_MIN`; and the peak over the whole run. A slope, not end
    minus start: one late sample (a burst being served) moves it little, a steady leak does."""
    points = [(t, r) for t, r in samples if r is not None]
    if len(points) < 3:
        return {}
    end = points[-1][0]
    tail = [(t, r) for t, r in points if t >= end / 3]
    mean_t = sum(t for t, _ in tail) / len(tail)
    mean_r = sum(r for _, r in tail) / len(tail)
    spread = sum((t - mean_t) ** 2 for t, _ in tail)
    slope = sum((t - mean_t) * (r - mean_r) for t, r in tail) / spread * 600 if spread else 0.0
    return {"slope_mb_per_10_min": round(slope, 2), "threshold_mb_per_10_min": FLAT_MB_PER_10_MIN,
            "from_s": round(tail[0][0]), "to_s": round(end), "samples": len(tail),
            "peak_mb": round(max(r for _, r in points), 1), "flat": slope <= FLAT_MB_PER_10_MIN}


async def soak(minutes: float, clients_count: int, seed: int, storage: str,
               steady_env: dict[str, str] | None = None) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(running_postgres()) if storage == "postgresql" else None
        return await _soak(minutes, clients_count, seed, server, steady_env or {})


async def _soak(minutes: float, clients_count: int, seed: int, server: PostgresServer | None,
                steady_env: dict[str, str]) -> dict[str, Any]:
    random.seed(seed)
    folder = Path(tempfile.mkdtemp(prefix="chatops-chaos-"))
    token = f"chaos-{secrets.token_hex(4)}"
    mcp_marker = f"chaosmcp{secrets.token_hex(4)}"  # not the runbooks' token: its server is no mid-step
    mcp_script = folder / f"{mcp_marker}.py"
    shutil.copy(MCP_SERVER, mcp_script)
    tokens = {user: secrets.token_hex(16) for user in USERS}
    url = server.create_database() if server else None
    db = Database(folder / "chaos.db", url)
    (folder / "chaos_tools").mkdir()
    churn = Churn(folder / "chaos_tools", folder / "churn.log")
    churn.write_now()
    model = Model()
    tally = Tally()
    kills: Counter[str] = Counter()
    samples: list[tuple[float, float | None, float | None, float | None]] = []
    second_runs: Counter[str] = Counter()
    start_failures: Counter[str] = Counter()
    exits: list[str] = []
    flood, mcp, outages = Flood(), McpChaos(), Outages()
    async with FakeOpenAI(model.reply) as llm, aiohttp.ClientSession() as session:
        bots = []
        for name in ("main", "second", "steady"):
            port = free_port()
            config = folder / f"{name}.toml"
            config.write_text(config_text(folder, port, llm.base_url, token, tokens, url, mcp_script))
            bots.append(BotProcess(name, config, port))
        main, second, steady = bots
        steady.extra_env = steady_env
        await main.start_until_up(session, start_failures)
        await steady.start_until_up(session, start_failures)
        clients = Clients(bots, session, tally, tokens)
        workers = [asyncio.create_task(clients.loop()) for _ in range(clients_count)]
        started = time.monotonic()
        end = started + minutes * 60

        async def sample() -> None:
            while True:
                size = await asyncio.to_thread(db.megabytes)
                samples.append((time.monotonic() - started, rss_mb(steady.process), rss_mb(main.process), size))
                await asyncio.sleep(5)

        async def guarded(coroutine: Any, what: str) -> None:
            try:
                await coroutine
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a disturbance that broke is a finding, not a silent stop
                tally.server_errors.append(f"{what} stopped: {type(exc).__name__}: {exc}")

        sampler = asyncio.create_task(sample())
        disturbances = [asyncio.create_task(guarded(churn.client(clients), "churn client")) for _ in range(2)]
        disturbances.append(asyncio.create_task(guarded(churn.churn(clients), "reload churn")))
        disturbances.append(asyncio.create_task(guarded(plan_flood(clients, churn, flood, db, end, steady),
                                                                 "plan flood")))
        disturbances.append(asyncio.create_task(guarded(mcp_chaos(clients, steady, mcp, mcp_marker, end), "mcp")))
        if server is not None:
            disturbances.append(asyncio.create_task(guarded(postgres_outages(server, clients, outages, end),
                                                            "postgres outages")))
        second_until = 0.0
        try:
            while time.monotonic() < end:
                await asyncio.sleep(random.uniform(2, 6))
                for bot in (main, steady):
                    if bot.exited_by_itself:
                        assert bot.process is not None
                        exits.append(f"{bot.name} exited with {bot.process.returncode} at "
                                     f"{time.monotonic() - started:.0f} s")
                        await bot.start_until_up(session, start_failures)
                if second.exited_by_itself:
                    assert second.process is not None
                    exits.append(f"second exited with {second.process.returncode} at "
                                 f"{time.monotonic() - started:.0f} s")
                    second.ended_by_bench = True
                if second.alive and time.monotonic() > second_until:
                    if random.random() < 0.5:
                        second.kill()
                        second_runs["killed"] += 1
                    else:
                        second.stop()
                        second_runs["stopped"] += 1
                if not second.alive and random.random() < 0.25:
                    await second.start_until_up(session, start_failures)
                    second_runs["started"] += 1
                    second_until = time.monotonic() + random.uniform(5, 20)
                    continue
                phase = random.choice(PHASES)
                hit = await wait_for_phase(phase, model, db, token)
                victim = second if second.alive and random.random() < 0.3 else main
                note_kill(folder / "kills.log", time.monotonic() - started, victim, phase if hit else "any", token)
                victim.kill()
                kills[phase if hit else "any"] += 1
                if victim is main:
                    await main.start_until_up(session, start_failures)
        finally:
            clients.stopping = True
            if not main.alive:
                await main.start_until_up(session, start_failures)
            second.stop()
            await asyncio.wait(workers + disturbances, timeout=180)
            for task in workers + disturbances:
                task.cancel()
            # the last processes settle every turn: resumed, approved by nobody else, answered
            settle_deadline = time.monotonic() + 120
            while time.monotonic() < settle_deadline:
                if not await asyncio.to_thread(pending_and_unanswered, db, tally):
                    break
                await approve_pending(clients)
                await asyncio.sleep(1)
            sampler.cancel()
            for bot in (main, steady):
                if bot.exited_by_itself:
                    exits.append(f"{bot.name} exited with {bot.process.returncode} before the end")  # type: ignore[union-attr]
            main.stop()
            steady.stop()
        await asyncio.sleep(1)
        result = verdict(db, folder / "runs.log", tally, token)
    db.close()
    result["orphan_processes"] += len(processes_with(mcp_marker))
    result["orphan_samples"] += _described(processes_with(mcp_marker))
    result.update(churn.verdict())
    warm = max(1, int(min(300, minutes * 60 / 6) / 5))  # the sample after the first sixth (at most 5 min)
    result.update({
        "minutes": minutes, "clients": clients_count, "seed": seed, "folder": str(folder),
        "storage": "postgresql" if server else "sqlite",
        "kills": dict(kills), "kills_total": sum(kills.values()), "second_process": dict(second_runs),
        "unexpected_exits": len(exits), "exit_samples": exits[:5], "start_failures": dict(start_failures),
        "requests": tally.requests, "connection_errors_during_kills": tally.connection_errors,
        "answers_seen_by_clients": tally.answered_seen, "approvals": tally.approvals,
        "model_calls": dict(model.calls),
        "flood": {"floods": flood.floods, "plans": flood.plans, "not_carded": flood.not_carded,
                  "seconds_each": flood.seconds, "pending_plans_after_each": flood.pending_after},
        "mcp": {"rounds": mcp.rounds, "flood_step": dict(mcp.flood_outcomes), "picked_up": mcp.picked_up,
                "pickup_seconds_max": max(mcp.pickup_seconds, default=None),
                "interrupted": mcp.interrupted, "lost_samples": mcp.lost_samples,
                "huge_calls": mcp.huge_calls, "huge_step": dict(mcp.huge_outcomes),
                "huge_seconds_max": max(mcp.huge_seconds, default=None), "huge_samples": mcp.huge_samples,
                "timeouts": mcp.timeouts[:3]},
        "tool_list_changes_lost": mcp.lost, "huge_results_not_cut": mcp.huge_not_cut,
        "postgres": {"outages": outages.count, "down_seconds": outages.down_seconds,
                     "503_during_outages": tally.outage_5xx} if server else {},
        "rss_steady_mb": growth([s[1] for s in samples], warm),
        "rss_steady_flatness": flatness([(s[0], s[1]) for s in samples]),
        "rss_main_mb": growth([s[2] for s in samples], warm),
        "database_mb": {"first": samples[0][3], "last": samples[-1][3]} if samples else {},
        "samples": [(round(t), None if s is None else round(s, 1), None if m is None else round(m, 1),
                     None if d is None else round(d, 2)) for t, s, m, d in samples[::12]],
    })
    return result


def pending_and_unanswered(db: Database, tally: Tally) -> bool:
    try:
        for thread_id in tally.acknowledged.values():
            row = db.rows("SELECT role FROM messages WHERE thread_id = ? ORDER BY created_at DESC, rowid DESC "
                          "LIMIT 1", [thread_id])
            if not row or row[0][0] != "bot":
                return True
    except db.errors:
        return True
    return False


async def approve_pending(clients: Clients) -> None:
    for thread_id in list(clients.tally.acknowledged.values()):
        with contextlib.suppress(TimeoutError):
            status, view = await clients.call("GET", f"/api/v1/threads/{thread_id}", give_up=10)
            for plan in view.get("plans", []) if status == 200 else []:
                if plan["status"] == "proposed":
                    await clients.call("POST", f"/api/v1/plans/{plan['id']}/decision", {"decision": "approve"},
                                       give_up=10)


MUST_BE_ZERO = ("lost", "stored_twice", "never_answered", "steps_run_twice", "steps_run_without_approval",
                "orphan_processes", "server_errors_5xx", "unexpected_exits", "definition_mismatch",
                "danger_runs_approved_by_writer", "churn_runs_without_card", "churn_runs_twice",
                "tool_list_changes_lost", "huge_results_not_cut")


def main() -> None:
    global FLOOD_EVERY  # --flood-every: read by plan_flood
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--storage", choices=("sqlite", "postgresql"), default="sqlite",
                        help="postgresql: a throwaway cluster (Debian's binaries), stopped and started under load")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--trace-memory", type=Path, metavar="FOLDER",
                        help="the steady process writes tracemalloc snapshots and object counts there "
                             "(bot/heap_trace.py; read them with bench/heap_diff.py); slows it down")
    parser.add_argument("--trace-every", type=float, default=60.0, help="seconds between two snapshots")
    parser.add_argument("--trace-frames", type=int, default=1,
                        help="tracemalloc frames per allocation; 0: no snapshots, only RSS, glibc's and the "
                             "interpreter's counts (cheap)")
    parser.add_argument("--trim", action="store_true",
                        help="with --trace-memory: malloc_trim(0) at each snapshot, and what it gave back")
    parser.add_argument("--malloc-arena-max", type=int, metavar="N",
                        help="MALLOC_ARENA_MAX for the steady process (glibc's arenas: high-water mark vs leak)")
    parser.add_argument("--steady-env", action="append", default=[], metavar="KEY=VALUE",
                        help="an environment variable for the steady process only (e.g. LD_PRELOAD of an "
                             "allocation logger); repeatable")
    parser.add_argument("--flood-every", type=float, nargs=2, default=FLOOD_EVERY, metavar=("MIN", "MAX"),
                        help="seconds between two plan floods (default %(default)s; shorter: a short run "
                             "sees more floods)")
    args = parser.parse_args()
    steady_env: dict[str, str] = {}
    if args.trace_memory:
        steady_env.update({"CHATOPS_HEAP_TRACE": str(args.trace_memory.resolve()),
                           "CHATOPS_HEAP_TRACE_EVERY": str(args.trace_every),
                           "CHATOPS_HEAP_TRACE_FRAMES": str(args.trace_frames)})
        if args.trim:
            steady_env["CHATOPS_HEAP_TRACE_TRIM"] = "1"
    if args.malloc_arena_max:
        steady_env["MALLOC_ARENA_MAX"] = str(args.malloc_arena_max)
    for pair in args.steady_env:
        key, _, value = pair.partition("=")
        steady_env[key] = value
    FLOOD_EVERY = (args.flood_every[0], args.flood_every[1])
    began = time.strftime("%Y-%m-%d %H:%M:%S")
    result = asyncio.run(soak(args.minutes, args.clients, args.seed, args.storage, steady_env))
    if args.json:
        print(json.dumps(result))
        return
    print(f"chaos soak: {result['minutes']:g} min on {result['storage']}, {result['clients']} clients, "
          f"seed {result['seed']}, started {began} ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    print(f"  kills: {result['kills_total']} {result['kills']}; second process: {result['second_process']}; "
          f"start failures: {result['start_failures']}")
    print(f"  requests {result['requests']}, connection errors while a process was down "
          f"{result['connection_errors_during_kills']}, approvals {result['approvals']}, "
          f"model calls {result['model_calls']}")
    print(f"  messages acknowledged {result['acknowledged']}, stored {result['stored']}; "
          f"write runbook runs {result['write_runs']}; steps {result['steps_by_status']}")
    print(f"  reload churn: {result['churn_versions_written']} versions written, reloads {result['churn_reloads']}, "
          f"plans asked {result['churn_plans_asked']} (carded {result['churn_plans_carded']}, "
          f"not {result['churn_plans_not_carded']}), runs {result['churn_runs']} {result['churn_runs_by_risk']}")
    print(f"  approvals clicked: {result['churn_decisions']}")
    print(f"  plan flood: {result['flood']}")
    print(f"  MCP: {result['mcp']}")
    if result["postgres"]:
        print(f"  PostgreSQL: {result['postgres']}")
    for key in MUST_BE_ZERO:
        mark = "ok" if result[key] == 0 else "FAIL"
        print(f"  {key:<32} {result[key]:>5}  {mark}")
    for key, samples in (("unanswered_threads", "never_answered"), ("server_error_samples", "server_errors_5xx"),
                         ("definition_mismatch_samples", "definition_mismatch"), ("exit_samples", "unexpected_exits"),
                         ("steps_run_twice_samples", "steps_run_twice"), ("orphan_samples", "orphan_processes")):
        if result[samples]:
            print(f"  {samples} (first): {result[key]}")
    for thread_id, rows in result["unanswered_rows"].items():
        print(f"  never answered, {thread_id}: {json.dumps(rows, default=str)}")
    if result["orphan_processes"]:
        print(f"  process groups still recorded at the end (first): {result['children_rows_at_end']}")
    if result["churn_reload_samples"]:
        print(f"  reload answers that were not 'Reloaded' (first): {result['churn_reload_samples']}")
    print(f"  RSS of the steady process (MB): {result['rss_steady_mb']}")
    flat = result["rss_steady_flatness"]
    if flat:
        print(f"  steady RSS flat: {'yes' if flat['flat'] else 'NO'}: {flat['slope_mb_per_10_min']:+.2f} MB per 10 min "
              f"over {flat['from_s']}-{flat['to_s']} s (least squares, {flat['samples']} samples; flat means "
              f"<= {flat['threshold_mb_per_10_min']:g}), peak {flat['peak_mb']} MB  {'ok' if flat['flat'] else 'FAIL'}")
    print(f"  RSS of the main process (MB, restarted at each kill): {result['rss_main_mb']}")
    print(f"  database (MB): {result['database_mb']}")
    print(f"  over time (s, steady RSS MB, main RSS MB, DB MB): {result['samples']}")
    print(f"  files: {result['folder']}")


if __name__ == "__main__":
    main()
