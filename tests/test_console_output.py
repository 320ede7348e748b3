"""What `chatops chat` shows, in a pseudo-terminal (a person) and piped (a script): each step's
whole output indented under it (a long one keeps its head and tail, with a note), the same
outcome marks as the other surfaces, who asked, the thread's name, and end of input recorded as
no answer rather than as a person's denial."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli_inprocess import run_cli
from tests.conftest import CHATOPS
from tests.test_cli import chatops

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\r")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """Runbooks that print many lines, a table with a header, and a write step to leave undecided."""
    printer = "import sys; [print('log line', n) for n in range(1, int(sys.argv[1]) + 1)]"
    table = "print('Filesystem Size Used Avail Use% Mounted on'); print('/dev/sda1 20G 5G 15G 25% /')"
    (tmp_path / "config.toml").write_text(f"""
[llm]
model = "test"
[[runbooks]]
name = "tail_log"
description = "the last lines of a log"
argv = [{json.dumps(sys.executable)}, "-c", {json.dumps(printer)}, "{{lines}}"]
risk = "read"
[runbooks.params.lines]
type = "int"
[[runbooks]]
name = "disk_free"
description = "disk usage"
argv = [{json.dumps(sys.executable)}, "-c", {json.dumps(table)}]
risk = "read"
[[runbooks]]
name = "restart_service"
description = "pretend"
argv = [{json.dumps(sys.executable)}, "-c", "print('restarted')"]
risk = "write"
""")
    return tmp_path


def test_piped_output_is_whole_marked_and_named(workdir: Path):
    port = closed_port()
    script = f"!tail_log lines=5\n!disk_free\n!tail_log lines=100\n!http_check url=http://127.0.0.1:{port}/\n" \
             "!restart_service\n"
    result = chatops("chat", stdin=script, cwd=workdir, env={"USER": "carol"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    lines = out.splitlines()
    name = re.fullmatch(r"thread (chat-[0-9-]+-[0-9a-f]{4})", lines[0])
    assert name, lines[0]
    assert "Plan: run tail_log  (requested by carol)" in lines
    # every line of a short output, indented under its step
    at = next(i for i, line in enumerate(lines) if line.startswith("  ✓ tail_log ok ("))
    assert lines[at + 1:at + 6] == [f"      log line {n}" for n in range(1, 6)]
    assert "      Filesystem Size Used Avail Use% Mounted on" in lines  # df keeps its header
    assert "      /dev/sda1 20G 5G 15G 25% /" in lines
    # a long output keeps its head and its tail, and says what was left out and where it is
    assert "      log line 1" in lines and "      log line 100" in lines and "      log line 50" not in lines
    assert any(line.startswith("      … 65 more lines not shown") for line in lines)
    # a finding is marked as a problem, never with a green tick
    assert "  ⚠ http_check problem (" in out and " refuses connections" in out
    assert not any(line.startswith("  ✓ http_check") for line in lines)
    # end of input: no answer, recorded as such
    assert "Not approved: no answer (end of input). Nothing was changed." in lines
    assert "Denied by" not in out
    audit = run_cli("audit", "--kind", "plan.decided", "--json", cwd=workdir).stdout.splitlines()
    assert json.loads(audit[-1])["decision"] == "deny (no answer: end of input)"
    assert json.loads(audit[-1])["thread_id"] == f"console:{name.group(1)}"


def read_until(fd: int, pattern: str, seen: list[str], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = ANSI.sub("", "".join(seen))
        if pattern in text:
            return text
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{pattern!r} never appeared in:\n{text}")
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            try:
                seen.append(os.read(fd, 65536).decode("utf-8", "replace"))
            except OSError:  # the child closed the terminal
                raise AssertionError(f"{pattern!r} never appeared in:\n{text}") from None


def test_in_a_terminal_the_same_marks_and_output_with_colours(workdir: Path):
    port = closed_port()
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
    process = subprocess.Popen([str(CHATOPS), "chat"], stdin=slave, stdout=slave, stderr=slave, cwd=workdir,
                               env={**env, "TERM": "xterm-256color", "COLUMNS": "120", "USER": "dave"})
    os.close(slave)
    seen: list[str] = []
    try:
        read_until(master, "› ", seen)
        os.write(master, b"!disk_free\n")
        read_until(master, "/dev/sda1 20G", seen)
        os.write(master, f"!http_check url=http://127.0.0.1:{port}/\n".encode())
        read_until(master, "⚠ http_check problem", seen)
        os.write(master, b"!restart_service\n")
        read_until(master, "approve? [y/N]", seen)
        os.write(master, b"y\n")
        text = read_until(master, "✓ restart_service ok", seen)
        os.write(master, b"\x04")  # Ctrl-D
        text = read_until(master, "Thread saved", seen)
    finally:
        process.wait(timeout=30)
        os.close(master)
    assert process.returncode == 0
    raw = "".join(seen)
    assert "\x1b[" in raw  # a terminal gets colours
    assert "chatops — thread chat-" in text and "(requested by dave)" in text
    assert "      Filesystem Size Used Avail Use% Mounted on" in text
    assert "      restarted" in text
    assert "✓ http_check" not in text and "Approved by dave." in text
