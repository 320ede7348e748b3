"""`chatops run` as a real subprocess serving HTTP on a free loopback port."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import CHATOPS
from tests.postgres_server import free_port  # noqa: F401  (re-exported: tests import it from here)


def run_config(path: Path, *, database: Path, listen: str, extra: str = "") -> Path:
    """A config file for `chatops run` in a test: this database, the scripted `test` model, the
    web adapter on `listen`, and any further TOML."""
    path.write_text(textwrap.dedent(f"""
        [storage]
        path = "{database}"
        [llm]
        model = "test"
        [http]
        listen = "{listen}"
    """) + textwrap.dedent(extra))
    return path


def run_chatops(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
    return subprocess.Popen([str(CHATOPS), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**env, "NO_COLOR": "1"}, cwd=cwd)


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    token: str | None = None
    output: str = ""  # everything the process printed, once it has stopped

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data else {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@contextmanager
def serve(config: Path, port: int, *, token: str | None = None, timeout: float = 60,
          healthy: bool = True) -> Iterator[Served]:
    """Start `chatops run --config`, wait for /healthz (a 200, or any answer when not `healthy`),
    stop it with SIGTERM (it must exit 0)."""
    process = run_chatops("run", "--config", str(config), cwd=config.parent)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except urllib.error.HTTPError:
            if not healthy:
                break
            time.sleep(0.1)
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                out, err = process.communicate()
                raise AssertionError(f"chatops run did not start:\n{out}\n{err}") from None
            time.sleep(0.1)
    served = Served(url=url, process=process, token=token)
    try:
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
        served.output = out + err
        assert process.returncode == 0, out + err
        assert "Traceback" not in out + err, out + err
