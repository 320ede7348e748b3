"""Where `chatops run` listens (issue 25, item 3): `--listen HOST:PORT` over CHATOPS_HTTP_LISTEN
over `[http] listen`, each checked like the key; a port already taken is named with the key, the
flag and the variable that choose another."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import textwrap
import time
import urllib.request
from pathlib import Path

from tests.conftest import CHATOPS
from tests.http.served import free_port


def config(folder: Path, listen: str | None = None) -> Path:
    path = folder / "chatops.toml"
    path.write_text(textwrap.dedent(f"""
        [storage]
        path = "{folder / 'bot.db'}"
        [llm]
        model = "test"
    """) + (f'[http]\nlisten = "{listen}"\n' if listen else ""))
    return path


def start(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
    return subprocess.Popen([str(CHATOPS), "run", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=cwd, env={**base, "NO_COLOR": "1", **(env or {})})


def healthy_on(port: int, process: subprocess.Popen[str], timeout: float = 60) -> bool:
    """Whether /healthz answers 200 on `port` before the process ends or the time is up; stops it."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    return response.status == 200
            except OSError:
                time.sleep(0.1)
        return False
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def test_the_environment_variable_sets_the_address(tmp_path: Path):
    port = free_port()
    process = start("--config", str(config(tmp_path)), cwd=tmp_path, env={"CHATOPS_HTTP_LISTEN": f"127.0.0.1:{port}"})
    assert healthy_on(port, process)


def test_the_flag_wins_over_the_variable_and_the_file(tmp_path: Path):
    port, other, third = free_port(), free_port(), free_port()
    process = start("--config", str(config(tmp_path, f"127.0.0.1:{third}")), "--listen", f"127.0.0.1:{port}",
                    cwd=tmp_path, env={"CHATOPS_HTTP_LISTEN": f"127.0.0.1:{other}"})
    assert healthy_on(port, process)


def test_a_bad_or_exposed_address_is_refused_with_the_key(tmp_path: Path):
    path = config(tmp_path)
    bad = start("--config", str(path), "--listen", "nowhere", cwd=tmp_path)
    _, err = bad.communicate(timeout=60)
    assert bad.returncode == 2 and "http.listen:" in err, err
    exposed = start("--config", str(path), cwd=tmp_path, env={"CHATOPS_HTTP_LISTEN": "0.0.0.0:8765"})
    _, err = exposed.communicate(timeout=60)
    assert exposed.returncode == 2 and "http.listen:" in err and "[http] tokens" in err, err


def test_address_in_use_names_the_key_the_flag_and_the_variable(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start("--config", str(config(tmp_path, f"127.0.0.1:{port}")), cwd=tmp_path)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 1, out + err
    assert f"127.0.0.1:{port} is already in use" in err
    assert "[http] listen" in err and "--listen HOST:PORT" in err and "CHATOPS_HTTP_LISTEN" in err
    assert "Traceback" not in out + err and "Errno" not in err
