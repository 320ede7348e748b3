"""The window the chaos soak's `orphan_processes` came from (issue 22), aimed at on purpose.

A real `chatops run` on a SQLite file that another process keeps writing to (as a second replica
would: short write transactions, so the bot's own writes wait for the lock), a runbook whose
script starts a helper at once, and a SIGKILL of the bot the moment that helper shows in /proc.
The bot is started again on the same file (its start kills the process groups the dead one
recorded) and the helpers still alive 10 s after it serves are counted, with how many of them
have their group recorded (an unrecorded one is an orphan nobody will ever kill). Before the
gate (tools/process_groups.py) the program ran while its group's record still waited for the
write lock; with it, the program runs only once recorded.

    .venv/bin/python bench/orphan_window.py --kills 15
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
import os  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import textwrap  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import aiohttp  # noqa: E402

from tests.crashing import Bot, processes_with, start  # noqa: E402
from tests.http.served import free_port  # noqa: E402

# the runbook: a helper first (in its group, without a parent-death signal of its own), then work
SCRIPT = ("import subprocess, sys, time; "
          "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', sys.argv[1] + '-helper']); "
          "time.sleep(30)")


def config_text(folder: Path, port: int, token: str) -> str:
    return textwrap.dedent(f"""
        [storage]
        path = "{folder / 'bot.db'}"
        lease_seconds = 2
        [http]
        listen = "127.0.0.1:{port}"
        [[runbooks]]
        name = "spawn"
        description = "Start a helper and work"
        argv = ["{sys.executable}", "-c", "{SCRIPT}", "{token}"]
        risk = "read"
        timeout = 60
    """)


def other_writer(path: Path, stop: threading.Event, hold: float) -> None:
    """Another process's writes on the same file: the write lock held `hold` s, then let go for 0.1 s."""
    while not stop.is_set():
        try:
            with sqlite3.connect(path, timeout=30, isolation_level=None) as db:
                while not stop.is_set():
                    db.execute("BEGIN IMMEDIATE")
                    db.execute("CREATE TABLE IF NOT EXISTS bench_other_writer (at REAL)")
                    db.execute("INSERT INTO bench_other_writer VALUES (?)", [time.time()])
                    time.sleep(hold)
                    db.execute("COMMIT")
                    time.sleep(0.1)
        except sqlite3.Error:
            time.sleep(0.1)


def helpers(token: str) -> list[int]:
    marker = (token + "-helper").encode()
    found = []
    for pid in processes_with(token):
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def group_of(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2])
    except (OSError, ValueError, IndexError):
        return -1


def recorded_groups(path: Path) -> set[int]:
    """Process groups the `children` table still holds (recorded, not yet handed to a killer)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        return {row[0] for row in db.execute("SELECT pgid FROM children")}


async def one_kill(bot: Bot, token: str) -> float | None:
    """Ask for the runbook and SIGKILL the bot as soon as its helper exists; seconds from the
    request to the kill, or None if no helper came within 20 s (the bot is killed anyway)."""
    asked = time.monotonic()
    request = asyncio.create_task(bot.call("POST", "/api/v1/threads", {"text": "!spawn"}))
    try:
        while time.monotonic() - asked < 20:
            if helpers(token):
                os.kill(bot.process.pid, signal.SIGKILL)
                return time.monotonic() - asked
            await asyncio.sleep(0.001)
        return None
    finally:
        if bot.process.poll() is None:
            os.kill(bot.process.pid, signal.SIGKILL)
        bot.process.wait(timeout=30)
        await asyncio.gather(request, return_exceptions=True)


async def run(kills: int, hold: float) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="chatops-orphan-window-"))
    port, token = free_port(), f"orphanwin-{secrets.token_hex(4)}"
    config = folder / "chatops.toml"
    config.write_text(config_text(folder, port, token))
    stop = threading.Event()
    writer = None
    orphans: list[int] = []
    delays: list[float] = []
    missed = recorded = 0
    async with aiohttp.ClientSession() as session:
        bot = await start(config, port, session)
        writer = threading.Thread(target=other_writer, args=(folder / "bot.db", stop, hold), daemon=True)
        writer.start()
        try:
            for _ in range(kills):
                delay = await one_kill(bot, token)
                if delay is None:
                    missed += 1
                else:
                    delays.append(delay)
                bot = await start(config, port, session)  # its start kills the groups the dead one recorded
                settled = time.monotonic() + 10  # its take-over may itself wait for the write lock
                while helpers(token) and time.monotonic() < settled:
                    await asyncio.sleep(0.1)
                left = helpers(token)
                orphans.append(len(left))
                recorded += len({group_of(pid) for pid in left} & recorded_groups(folder / "bot.db"))
                for pid in left:  # counted; not left for the next round (or the machine)
                    os.kill(pid, signal.SIGKILL)
        finally:
            stop.set()
            if bot.process.poll() is None:
                bot.process.send_signal(signal.SIGTERM)
                try:
                    bot.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    bot.process.kill()
            for pid in processes_with(token):
                os.kill(pid, signal.SIGKILL)
    return {"kills": len(orphans), "missed": missed, "kills_that_left_an_orphan": sum(1 for n in orphans if n),
            "orphans": sum(orphans), "per_kill": orphans, "orphans_whose_group_is_recorded": recorded,
            "seconds_to_helper": sorted(round(d, 2) for d in delays), "folder": str(folder)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=15)
    parser.add_argument("--hold", type=float, default=0.3,
                        help="seconds the other writer holds the write lock each time")
    args = parser.parse_args()
    began = time.strftime("%Y-%m-%d %H:%M:%S")
    result = asyncio.run(run(args.kills, args.hold))
    print(f"orphan window: {result['kills']} kills as the helper appeared, other writer holding the lock "
          f"{args.hold:g} s at a time, started {began} ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    print(f"  kills that left an orphan: {result['kills_that_left_an_orphan']} of {result['kills']} "
          f"(orphans {result['orphans']}, with their group recorded "
          f"{result['orphans_whose_group_is_recorded']}; "
          f"no helper within 20 s: {result['missed']})")
    print(f"  orphans per kill: {result['per_kill']}")
    print(f"  seconds from the request to the helper (the kill): {result['seconds_to_helper']}")
    print(f"  files: {result['folder']}")


if __name__ == "__main__":
    main()
