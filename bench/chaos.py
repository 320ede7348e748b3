"""Chaos soak: the HTTP API under load while the bot is SIGKILLed and restarted at random phases
of a turn, and a second process comes and goes on the same database.

Everything is real and on this machine: `chatops run` processes (the bench starts, kills and
restarts them), one SQLite file, runbooks that really run (a `write_marker` runbook appends its
unit to a log file, so a step that ran twice or without approval shows there; a `slow_check`
runbook starts a helper process carrying a token, so an orphan shows in /proc), and a fake
OpenAI-compatible model in this process that plans and answers after a random delay (so
"planning" and "answering" take long enough to be killed in). Clients post with an
`Idempotency-Key` and retry the same key on the other process (or after a restart) until
acknowledged, approve every plan that asks, and wait for the answer; they are bounded and talk
to 127.0.0.1 only.

Kills are aimed at a phase: `planning` (a planning call to the model is open), `approval` (a plan
waits for a decision), `mid-step` (a runbook is running), `answering` (the call that answers
from the results is open). A second process is started on the same database now and then, serves
clients for a while, and is stopped or killed.

Counted at the end (after the last process settled every turn and stopped): messages
acknowledged vs stored, turns never answered, steps run twice, steps run without an approval,
orphan processes, 5xx answers. Each must be 0. Also RSS of the main process and the database size
over time, and how many kills hit each phase.

    .venv/bin/python bench/chaos.py                 # 5 minutes
    .venv/bin/python bench/chaos.py --minutes 30    # the README's run
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

CHATOPS = Path(sys.executable).parent / "chatops"
PHASES = ("planning", "approval", "mid-step", "answering")
LEASE_SECONDS = 3

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


def config_text(folder: Path, port: int, llm_url: str, token: str) -> str:
    python = sys.executable
    return textwrap.dedent(f"""
        [storage]
        path = "{folder / 'chaos.db'}"
        lease_seconds = {LEASE_SECONDS}
        [llm]
        model = "openai:fake-model"
        base_url = "{llm_url}"
        api_key = "not-a-real-key"
        timeout = 30
        max_concurrent = 8
        [agent]
        approval_ttl = 600
        max_plans_per_minute = 100000  # every client is the one local operator: not a flood to refuse
        [http]
        listen = "127.0.0.1:{port}"
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
    """)


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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def start(self, session: aiohttp.ClientSession) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
        env["PYTHONPATH"] = str(REPO)
        log = (self.config.parent / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen([str(CHATOPS), "run", "--config", str(self.config)], stdout=log,
                                        stderr=log, env=env, cwd=self.config.parent)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {log.name}")
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with session.get(self.url + "/healthz", timeout=aiohttp.ClientTimeout(total=2)) as reply:
                    if reply.status == 200:
                        return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} did not become healthy")

    def kill(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.alive:
            assert self.process is not None
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


class Clients:
    def __init__(self, bots: list[BotProcess], session: aiohttp.ClientSession, tally: Tally) -> None:
        self.bots = bots
        self.session = session
        self.tally = tally
        self.numbers = itertools.count(1)
        self.stopping = False

    async def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                   give_up: float = 120.0) -> tuple[int, Any]:
        """Send to a live process (any of them); on a connection error try again, the same request
        to the same or another process, as a client behind a load balancer would."""
        deadline = time.monotonic() + give_up
        while True:
            live = [bot for bot in self.bots if bot.alive] or self.bots
            bot = random.choice(live)
            self.tally.requests += 1
            try:
                async with self.session.request(method, bot.url + path, json=body, headers=headers or {},
                                                timeout=aiohttp.ClientTimeout(total=60)) as reply:
                    data = await reply.json(content_type=None)
                    if reply.status >= 500:
                        self.tally.server_errors.append(f"{method} {path} {reply.status} {data}")
                        await asyncio.sleep(0.2)
                    else:
                        return reply.status, data
            except (TimeoutError, aiohttp.ClientError, json.JSONDecodeError):
                self.tally.connection_errors += 1
                await asyncio.sleep(random.uniform(0.1, 0.5))
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method} {path} got no answer in {give_up:.0f} s")

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


# --- chaos --------------------------------------------------------------------------------------


def pending_plans(database: Path) -> int:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as db:
            return db.execute("SELECT count(*) FROM plans WHERE status = 'proposed'").fetchone()[0]
    except sqlite3.Error:
        return 0


async def wait_for_phase(phase: str, model: Model, database: Path, token: str, timeout: float = 6.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if phase in ("planning", "answering") and model.inflight[phase] > 0:
            return True
        if phase == "mid-step" and processes_with(token + "-write") + [
                p for p in processes_with(token) if not _is_helper(p, token)]:
            return True
        if phase == "approval" and pending_plans(database) > 0:
            return True
        await asyncio.sleep(0.02)
    return False


def _is_helper(pid: int, token: str) -> bool:
    try:
        return (token + "-helper").encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


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


def database_mb(database: Path) -> float:
    return sum(Path(f"{database}{suffix}").stat().st_size for suffix in ("", "-wal")
               if Path(f"{database}{suffix}").exists()) / 1e6


# --- the verdict --------------------------------------------------------------------------------


def verdict(database: Path, runs_log: Path, tally: Tally, token: str) -> dict[str, Any]:
    db = sqlite3.connect(str(database))
    stored = 0
    duplicated = 0
    unanswered = []
    for thread_id in tally.acknowledged.values():
        users = db.execute("SELECT id, turn_ended_at FROM messages WHERE thread_id = ? AND role = 'user'",
                           [thread_id]).fetchall()
        stored += len(users) >= 1
        duplicated += len(users) > 1
        last = db.execute("SELECT role FROM messages WHERE thread_id = ? ORDER BY created_at DESC, rowid DESC "
                          "LIMIT 1", [thread_id]).fetchone()
        if any(user[1] is None for user in users) or last is None or last[0] != "bot":
            unanswered.append(thread_id)
    runs = Counter(line.strip() for line in runs_log.read_text().splitlines()) if runs_log.exists() else Counter()
    twice = {unit: count for unit, count in runs.items() if count > 1}
    unapproved = []
    for unit in runs:
        approved = db.execute(
            "SELECT count(*) FROM steps s JOIN decisions d ON d.plan_id = s.plan_id WHERE s.tool = 'write_marker' "
            "AND s.args = ? AND d.decision = 'approve' AND d.accepted = 1", [json.dumps({"unit": unit})]).fetchone()[0]
        if not approved:
            unapproved.append(unit)
    steps = Counter(dict(db.execute("SELECT status, count(*) FROM steps GROUP BY status").fetchall()))
    db.close()
    return {"acknowledged": len(tally.acknowledged), "stored": stored, "lost": len(tally.acknowledged) - stored,
            "stored_twice": duplicated, "never_answered": len(unanswered), "unanswered_threads": unanswered[:5],
            "steps_run_twice": len(twice), "steps_run_without_approval": len(unapproved),
            "orphan_processes": len(processes_with(token)), "server_errors_5xx": len(tally.server_errors),
            "server_error_samples": tally.server_errors[:5], "write_runs": sum(runs.values()),
            "steps_by_status": dict(steps)}


# --- the run ------------------------------------------------------------------------------------


async def soak(minutes: float, clients_count: int, seed: int) -> dict[str, Any]:
    random.seed(seed)
    folder = Path(tempfile.mkdtemp(prefix="chatops-chaos-"))
    token = f"chaos-{secrets.token_hex(4)}"
    model = Model()
    tally = Tally()
    kills: Counter[str] = Counter()
    samples: list[tuple[float, float | None, float]] = []
    second_runs = Counter()
    async with FakeOpenAI(model.reply) as llm, aiohttp.ClientSession() as session:
        bots = []
        for name in ("main", "second"):
            port = free_port()
            config = folder / f"{name}.toml"
            config.write_text(config_text(folder, port, llm.base_url, token))
            bots.append(BotProcess(name, config, port))
        main, second = bots
        database = folder / "chaos.db"
        await main.start(session)
        clients = Clients(bots, session, tally)
        workers = [asyncio.create_task(clients.loop()) for _ in range(clients_count)]
        started = time.monotonic()
        end = started + minutes * 60

        async def sample() -> None:
            while True:
                samples.append((time.monotonic() - started, rss_mb(main.process), database_mb(database)))
                await asyncio.sleep(5)

        sampler = asyncio.create_task(sample())
        second_until = 0.0
        try:
            while time.monotonic() < end:
                await asyncio.sleep(random.uniform(2, 6))
                if second.alive and time.monotonic() > second_until:
                    if random.random() < 0.5:
                        second.kill()
                        second_runs["killed"] += 1
                    else:
                        second.stop()
                        second_runs["stopped"] += 1
                if not second.alive and random.random() < 0.25:
                    await second.start(session)
                    second_runs["started"] += 1
                    second_until = time.monotonic() + random.uniform(5, 20)
                    continue
                phase = random.choice(PHASES)
                hit = await wait_for_phase(phase, model, database, token)
                victim = second if second.alive and random.random() < 0.3 else main
                victim.kill()
                kills[phase if hit else "any"] += 1
                if victim is main:
                    await main.start(session)
        finally:
            clients.stopping = True
            if not main.alive:
                await main.start(session)
            second.stop()
            await asyncio.wait(workers, timeout=120)
            for worker in workers:
                worker.cancel()
            # the last process settles every turn: resumed, approved by nobody else, answered
            settle_deadline = time.monotonic() + 90
            while time.monotonic() < settle_deadline:
                if not pending_and_unanswered(database, tally):
                    break
                await approve_pending(clients)
                await asyncio.sleep(1)
            sampler.cancel()
            main.stop()
        await asyncio.sleep(1)
        result = verdict(database, folder / "runs.log", tally, token)
    rss = [s[1] for s in samples if s[1] is not None]
    result.update({
        "minutes": minutes, "clients": clients_count, "seed": seed, "folder": str(folder),
        "kills": dict(kills), "kills_total": sum(kills.values()), "second_process": dict(second_runs),
        "requests": tally.requests, "connection_errors_during_kills": tally.connection_errors,
        "answers_seen_by_clients": tally.answered_seen, "approvals": tally.approvals,
        "model_calls": dict(model.calls),
        "rss_mb": {"min": round(min(rss), 1), "max": round(max(rss), 1), "last": round(rss[-1], 1)} if rss else {},
        "database_mb": {"first": round(samples[0][2], 2), "last": round(samples[-1][2], 2)} if samples else {},
        "samples": [(round(t), None if r is None else round(r, 1), round(d, 2)) for t, r, d in samples[::6]],
    })
    return result


def pending_and_unanswered(database: Path, tally: Tally) -> bool:
    with contextlib.closing(sqlite3.connect(str(database), timeout=10)) as db:
        for thread_id in tally.acknowledged.values():
            row = db.execute("SELECT role FROM messages WHERE thread_id = ? ORDER BY created_at DESC, rowid DESC "
                             "LIMIT 1", [thread_id]).fetchone()
            if row is None or row[0] != "bot":
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args()
    result = asyncio.run(soak(args.minutes, args.clients, args.seed))
    if args.json:
        print(json.dumps(result))
        return
    must_be_zero = ("lost", "stored_twice", "never_answered", "steps_run_twice", "steps_run_without_approval",
                    "orphan_processes", "server_errors_5xx")
    print(f"chaos soak: {result['minutes']:g} min, {result['clients']} clients, seed {result['seed']} "
          f"({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    print(f"  kills: {result['kills_total']} {result['kills']}; second process: {result['second_process']}")
    print(f"  requests {result['requests']}, connection errors while a process was down "
          f"{result['connection_errors_during_kills']}, approvals {result['approvals']}, "
          f"model calls {result['model_calls']}")
    print(f"  messages acknowledged {result['acknowledged']}, stored {result['stored']}; "
          f"write runbook runs {result['write_runs']}; steps {result['steps_by_status']}")
    for key in must_be_zero:
        mark = "ok" if result[key] == 0 else "FAIL"
        print(f"  {key:<28} {result[key]:>5}  {mark}")
    if result["never_answered"]:
        print(f"  unanswered (first): {result['unanswered_threads']}")
    if result["server_errors_5xx"]:
        print(f"  5xx (first): {result['server_error_samples']}")
    print(f"  RSS of the main process (MB): {result['rss_mb']}; database (MB): {result['database_mb']}")
    print(f"  over time (s, RSS MB, DB MB): {result['samples']}")
    print(f"  files: {result['folder']}")


if __name__ == "__main__":
    main()
