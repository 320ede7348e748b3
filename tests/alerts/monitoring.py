"""Debian's real Prometheus and Alertmanager on loopback, and a tiny exporter the test controls.

The exporter serves one gauge, `chatops_test_queue_depth`, whose value the test sets; Prometheus
scrapes it every second and evaluates a rule (`QueueTooDeep`, `for: 0s`) that fires while the
value is above 10; Alertmanager groups by `alertname` and posts its webhook (version 4) to the
bot. Timings found on this machine: the webhook arrives about 4 s after the value crosses, repeats
every `repeat_interval` while it fires, and the resolved notification about 2 s after it drops.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.postgres_server import free_port

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
METRIC = "chatops_test_queue_depth"
THRESHOLD = 10


class Exporter:
    """`/metrics` with one gauge whose value the test sets (a real HTTP server in a thread)."""

    def __init__(self) -> None:
        self.value = 0.0
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = (f"# HELP {METRIC} Items waiting.\n# TYPE {METRIC} gauge\n"
                        f"{METRIC} {exporter.value}\n").encode()
                self.send_response(200 if self.path == "/metrics" else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Monitoring:
    """The exporter, Prometheus and Alertmanager; `alertmanager_url` answers `/api/v2/...`."""

    exporter: Exporter
    prometheus_url: str
    alertmanager_url: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def wait_scraped(self, timeout: float = 30.0) -> None:
        """Until Prometheus has the exporter's gauge (its first scrape and write)."""
        deadline = time.monotonic() + timeout
        url = f"{self.prometheus_url}/api/v1/query?query={METRIC}"
        while time.monotonic() < deadline:
            with urllib.request.urlopen(url, timeout=2) as response:
                if json.loads(response.read())["data"]["result"]:
                    return
            time.sleep(0.2)
        raise TimeoutError(f"Prometheus did not scrape {METRIC} within {timeout:g} s")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.exporter.close()


def _tail(log: Path) -> str:
    """The end of a process's log, to say why it stopped."""
    try:
        return log.read_text(errors="replace")[-1500:]
    except OSError:
        return "(no log)"


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}: {_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout:g} s")


def start_monitoring(folder: Path, webhook_url: str, *, bearer: str | None = None) -> Monitoring:
    """Start the exporter, Alertmanager (posting to `webhook_url`) and Prometheus in `folder`;
    again on other ports when a port chosen free was taken meanwhile (other tests run alongside)."""
    for attempt in range(3):
        try:
            return _start(folder / f"try{attempt}", webhook_url, bearer)
        except RuntimeError as exc:
            if "address already in use" not in str(exc) or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _start(folder: Path, webhook_url: str, bearer: str | None) -> Monitoring:
    folder.mkdir()
    exporter = Exporter()
    am_port, prom_port = free_port(), free_port()
    auth = f"\n    http_config:\n      authorization:\n        credentials: {json.dumps(bearer)}" if bearer else ""
    (folder / "am.yml").write_text(
        "route:\n  receiver: chatops\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 2s\n"
        "  repeat_interval: 6s\nreceivers:\n- name: chatops\n  webhook_configs:\n"
        f"  - url: {json.dumps(webhook_url)}\n    send_resolved: true{auth}\n")
    (folder / "rules.yml").write_text(
        "groups:\n- name: chatops-test\n  rules:\n  - alert: QueueTooDeep\n"
        f"    expr: {METRIC} > {THRESHOLD}\n    for: 0s\n    labels:\n      severity: critical\n"
        "    annotations:\n      summary: 'The queue is {{ $value }} deep'\n"
        f"      description: 'Items wait on {{{{ $labels.instance }}}} (threshold {THRESHOLD}).'\n"
        "      runbook_url: https://runbooks.example.org/queue\n")
    (folder / "prom.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [rules.yml]\n"
        f"alerting:\n  alertmanagers:\n  - static_configs:\n    - targets: ['127.0.0.1:{am_port}']\n"
        f"scrape_configs:\n- job_name: queue\n  static_configs:\n  - targets: ['127.0.0.1:{exporter.port}']\n")
    processes: list[subprocess.Popen[bytes]] = []
    monitoring = Monitoring(exporter, f"http://127.0.0.1:{prom_port}", f"http://127.0.0.1:{am_port}", processes)
    try:
        (folder / "am-data").mkdir()
        (folder / "prom-data").mkdir()
        processes.append(subprocess.Popen(
            [ALERTMANAGER, f"--config.file={folder / 'am.yml'}", f"--storage.path={folder / 'am-data'}",
             f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="],
            stdout=(folder / "am.log").open("wb"), stderr=subprocess.STDOUT))
        processes.append(subprocess.Popen(
            [PROMETHEUS, f"--config.file={folder / 'prom.yml'}", f"--storage.tsdb.path={folder / 'prom-data'}",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=(folder / "prom.log").open("wb"), stderr=subprocess.STDOUT))
        _wait_ready(f"{monitoring.alertmanager_url}/-/ready", processes[0], folder / "am.log")
        _wait_ready(f"{monitoring.prometheus_url}/-/ready", processes[1], folder / "prom.log")
    except BaseException:
        monitoring.stop()
        raise
    return monitoring
