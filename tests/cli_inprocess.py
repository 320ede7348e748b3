"""The `chatops` command run in this process (Typer's runner), for tests that call it many times:
a subprocess per call costs an interpreter start and every import, seconds on a busy machine.
Tests that need a real process (exit codes, a TTY, signals) use `tests.test_cli.chatops`."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from chatops.bot.cli import app


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = "") -> Result:
    previous = Path.cwd()
    os.chdir(cwd)  # relative paths in the config (the database) resolve as for the real command
    try:
        return CliRunner().invoke(app, list(args), input=stdin, env=env, catch_exceptions=False)
    finally:
        os.chdir(previous)
