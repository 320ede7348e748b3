"""`chatops run` as users start it: a real subprocess that serves the web chat and the API, refuses
an unsafe exposure, and keeps pending plans across a restart."""

from __future__ import annotations

import time
from pathlib import Path

from chatops.adapters.launch import AdapterConfigError, check_http_exposure, configured_adapters
from tests.conftest import make_config, marker_runbook
from tests.http.served import free_port, run_chatops, run_config, serve


def write_config(folder: Path, listen: str) -> Path:
    return run_config(folder / "chatops.toml", database=folder / "bot.db", listen=listen,
                      extra=marker_runbook(folder / "restarted"))


def test_listening_beyond_loopback_without_tokens_is_refused_before_anything_starts(tmp_path: Path):
    config = write_config(tmp_path, "0.0.0.0:8765")
    process = run_chatops("run", "--config", str(config), cwd=tmp_path)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "has problems" in err and "http.listen:" in err and "not a loopback address" in err
    assert "[http] tokens" in err
    assert not (tmp_path / "bot.db").exists()


def test_the_exposure_rule(tmp_path: Path):
    for listen in ("127.0.0.1:1", "localhost:1", "[::1]:1"):
        check_http_exposure(make_config(tmp_path, http={"listen": listen}))
    check_http_exposure(make_config(tmp_path, http={"listen": "0.0.0.0:1", "tokens": {"a": "secret-token"}}))
    for listen in ("0.0.0.0:1", "192.168.1.5:1", "[::]:1", "example.org:1"):
        try:
            check_http_exposure(make_config(tmp_path, http={"listen": listen}))
        except AdapterConfigError:
            continue
        raise AssertionError(f"{listen} without tokens was allowed")


async def test_only_configured_adapters_start(make_bot):
    bot = await make_bot()
    runtime = bot.runtime()
    assert [adapter.name for adapter in configured_adapters(runtime)] == ["http"]
    quiet = await make_bot(http={"enabled": False})
    runtime = quiet.runtime()
    assert configured_adapters(runtime) == []


def test_run_serves_the_web_chat_and_a_pending_plan_survives_a_restart(tmp_path: Path):
    port = free_port()
    config = write_config(tmp_path, f"127.0.0.1:{port}")
    with serve(config, port) as server:
        status, page = server.call("GET", "/healthz")
        assert status == 200 and page["database"] == "writable" and page["adapters"] == ["http"]
        status, view = server.call("POST", "/api/v1/threads", {"text": "!restart_service unit=web"})
        assert status == 201 and view["plans"][0]["status"] == "proposed"
    assert f"web chat at http://127.0.0.1:{port}/" in server.output
    assert not (tmp_path / "restarted").exists()

    with serve(config, port) as again:  # a new process on the same database
        plan_id = view["plans"][0]["id"]
        status, plan = again.call("POST", f"/api/v1/plans/{plan_id}/decision", {"decision": "approve"})
        assert status == 200, plan
        deadline = time.monotonic() + 30  # bounded by time, not by a count of quick polls (a loaded machine)
        while True:
            status, thread = again.call("GET", f"/api/v1/threads/{view['id']}")
            if thread["plans"][0]["status"] == "succeeded" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert thread["plans"][0]["status"] == "succeeded"
    assert (tmp_path / "restarted").read_text() == "web"
