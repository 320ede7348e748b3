"""A real `chatops run` process that a test can SIGKILL and start again on the same database,
driven with aiohttp so the test's own event loop (and any fake it serves) keeps running."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.http.served import free_port, run_chatops
from tests.polling import eventually


@dataclass
class Bot:
    process: subprocess.Popen[str]
    url: str
    session: aiohttp.ClientSession

    async def call(self, method: str, path: str, body: Any = None, *,
                   headers: dict[str, str] | None = None) -> tuple[int, Any]:
        async with self.session.request(method, self.url + path, json=body, headers=headers or {}) as response:
            return response.status, await response.json(content_type=None)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as in a crash or an OOM kill."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=60)
        return out + err


async def start(config: Path, port: int, session: aiohttp.ClientSession) -> Bot:
    """Start `chatops run --config` and wait until /healthz answers."""
    process = run_chatops("run", "--config", str(config), cwd=config.parent)
    bot = Bot(process=process, url=f"http://127.0.0.1:{port}", session=session)

    async def healthy() -> bool:
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"chatops run exited with {process.returncode}:\n{out}\n{err}")
        try:
            status, _ = await bot.call("GET", "/healthz")
        except aiohttp.ClientError:
            return False
        return status == 200

    await eventually(healthy, timeout=90, what="chatops run to serve /healthz")
    return bot


def alive(pid: int) -> bool:
    """Running, not a zombie left for a parent (or a PID 1) that does not reap."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def processes_with(token: str) -> list[int]:
    """Live processes whose command line holds `token` (never this one, which may hold it too)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path("/proc", entry, "cmdline").read_bytes()
            state = Path("/proc", entry, "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if token.encode() in cmdline and state != "Z" and int(entry) != os.getpid():
            found.append(int(entry))
    return found


__all__ = ["Bot", "alive", "asyncio", "free_port", "processes_with", "start"]
