"""`chatops reload`: how a command reaches a bot that is already running.

`chatops run` records its process id next to the database (`<storage.path>.pid`) and reloads on
SIGHUP, writing what changed to `<storage.path>.reload`; `chatops reload` sends the signal and
prints that report once it appears. A signal needs no network listener, no token and no port,
and only a user who may signal the bot's process (its owner, root) can use it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from chatops.bot.config import Config

REPORT_WAIT = 60.0  # seconds `chatops reload` waits for the bot's report (MCP servers may restart)


def pid_file(config: Config) -> Path:
    return config.storage.path.with_suffix(".pid")


def report_file(config: Config) -> Path:
    return config.storage.path.with_suffix(".reload")


def record_pid(config: Config) -> Path | None:
    """Write the pid file; on a full or read-only disk, None (the caller warns that `chatops
    reload` cannot reach this bot): a bot that cannot be signalled must still serve."""
    path = pid_file(config)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{os.getpid()}\n")
    except OSError:
        with contextlib.suppress(OSError):
            path.unlink()  # a half-written file would name no process
        return None
    return path


def forget_pid(config: Config) -> None:
    """Remove the pid file, if it is still ours (a second bot may have taken it over)."""
    path = pid_file(config)
    with contextlib.suppress(OSError, ValueError):
        if int(path.read_text().strip()) == os.getpid():
            path.unlink()


def write_report(config: Config, text: str) -> None:
    path = report_file(config)
    temporary = path.with_suffix(".reload.tmp")
    temporary.write_text(text + "\n")
    temporary.replace(path)  # atomic: the waiting command never reads half a report


class ReloadUnavailable(Exception):
    """No running bot could be signalled; the message says why."""


def request_reload(config: Config, *, wait: float = REPORT_WAIT) -> str:
    """Signal the running bot and return its report (or say that it did not answer in time)."""
    path = pid_file(config)
    try:
        pid = int(path.read_text().strip())
    except FileNotFoundError:
        raise ReloadUnavailable(f"no running chatops found (no pid file at {path}; "
                                "is `chatops run` running?)") from None
    except ValueError:
        raise ReloadUnavailable(f"the pid file {path} is not readable") from None
    report = report_file(config)
    before = report.stat().st_mtime_ns if report.exists() else 0
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        raise ReloadUnavailable(f"the bot recorded in {path} (pid {pid}) is not running") from None
    except PermissionError:
        raise ReloadUnavailable(f"not allowed to signal the bot (pid {pid}); run this as its user") from None
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if report.exists() and report.stat().st_mtime_ns != before:
            return report.read_text().strip()
        time.sleep(0.1)
    return f"sent SIGHUP to pid {pid}; no report within {wait:g} s (the bot's log says what happened)"
