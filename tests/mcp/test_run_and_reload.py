"""`chatops run` with MCP servers, as a real subprocess: `/healthz` shows each server's state,
`chatops reload` reaches the running bot, and the servers stop with the bot."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.conftest import CHATOPS, marker_runbook
from tests.crashing import alive
from tests.http.served import free_port, run_config, serve
from tests.mcp.conftest import SERVER


def test_run_reports_mcp_servers_reloads_on_request_and_stops_them(tmp_path: Path):
    port = free_port()
    pids = tmp_path / "server.pids"
    config = run_config(tmp_path / "chatops.toml", database=tmp_path / "bot.db", listen=f"127.0.0.1:{port}",
                        extra=textwrap.dedent(f"""
        [[mcp]]
        name = "test"
        command = "{sys.executable}"
        args = ["{SERVER}"]
        env = {{ PID_FILE = "{pids}" }}
        [[mcp]]
        name = "ghost"
        command = "{tmp_path / 'no-such-server'}"
    """) + marker_runbook(tmp_path / "marker"))

    with serve(config, port) as server:
        status, health = server.call("GET", "/healthz")
        for _ in range(600):  # `chatops run` listens first; the MCP servers start in the background
            if health["ready"]:
                break
            assert set(health["mcp"]) == {"test", "ghost"}  # each "starting" until it is up or failed
            time.sleep(0.05)
            status, health = server.call("GET", "/healthz")
        assert status == 200  # a failed MCP server is reported, not fatal
        assert health["mcp"]["test"].startswith("ready (")
        # reported as failed, or, when the check comes after its first retry began (a busy machine),
        # as restarting with that failure: either way the failure is said
        ghost = health["mcp"]["ghost"]
        assert ghost.startswith("failed: ") or ghost.startswith("restarting (last failure: "), ghost
        assert "no-such-server" in ghost
        status, view = server.call("POST", "/api/v1/threads", {"text": "!test_echo text=hi"})
        assert status == 201
        for _ in range(300):  # the read step may still be running when the thread is created
            _, thread = server.call("GET", f"/api/v1/threads/{view['id']}")
            if thread["plans"][0]["steps"][0]["status"] != "running":
                break
            time.sleep(0.05)
        assert thread["plans"][0]["steps"][0]["status"] == "succeeded"

        config.write_text(config.read_text().replace('name = "restart_service"', 'name = "restart_unit"'))
        reload = subprocess.run([str(CHATOPS), "reload", "--config", str(config)], capture_output=True, text=True,
                                timeout=90, cwd=tmp_path)
        assert reload.returncode == 0, reload.stderr
        assert "added: restart_unit" in reload.stdout and "removed: restart_service" in reload.stdout
        status, view = server.call("POST", "/api/v1/threads", {"text": "!restart_unit unit=web"})
        assert status == 201 and view["plans"][0]["status"] == "proposed"
        server_pids = [int(line) for line in pids.read_text().split()]
        assert server_pids and alive(server_pids[-1])

    assert "warning: mcp[ghost]: did not start" in server.output
    assert not any(alive(pid) for pid in server_pids)
    assert not (tmp_path / "bot.pid").exists()


def test_reload_without_a_running_bot_says_so(tmp_path: Path):
    config = tmp_path / "chatops.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "bot.db"}"\n')
    reload = subprocess.run([str(CHATOPS), "reload", "--config", str(config)], capture_output=True, text=True,
                            timeout=60, cwd=tmp_path)
    assert reload.returncode == 1 and "no running chatops found" in reload.stderr
