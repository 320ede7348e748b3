"""End to end with the real embedded model: the `chatops` process on its built-in defaults
(SmolLM2 through xllamacpp), a plain-language request, a real local HTTP server."""

from __future__ import annotations

import json

from tests.conftest import marker_runbook
from tests.test_cli import chatops


def test_a_plain_request_is_planned_by_the_embedded_model_and_run(tmp_path, http_server):
    url = f"{http_server}/health"
    result = chatops("chat", "--json", stdin=f"is {url} up?\nwhat time is it in Europe/Paris?\n", cwd=tmp_path,
                     timeout=180)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    plans = [e for e in events if e["type"] == "plan"]
    assert plans[0]["steps"][0]["tool"] == "http_check"
    assert plans[0]["steps"][0]["args"]["url"] == url
    finished = [e for e in events if e["type"] == "step" and e["status"] == "succeeded"]
    assert finished[0]["result"]["status"] == 200
    assert plans[1]["steps"][0] == {**plans[1]["steps"][0], "tool": "current_time",
                                    "args": {**plans[1]["steps"][0]["args"], "timezone": "Europe/Paris"}}
    assert [e["type"] for e in events].count("answer") == 2
    assert (tmp_path / "data" / "chatops.db").is_file()  # the default storage path


def test_follow_ups_in_one_console_thread(tmp_path, http_server):
    """Issue 11: the embedded planner reads the thread: repeat, replace a value, an acknowledgement,
    and a denied write step asked for again (a new plan that needs a new approval)."""
    marker = tmp_path / "restarted"
    (tmp_path / "config.toml").write_text(marker_runbook(marker))  # the embedded default model
    said = [f"is {http_server}/health up?", "check it again", f"what about {http_server}/broken?", "thanks!",
            "restart nginx", "n", "ok, restart it now", "y"]
    result = chatops("chat", "--json", stdin="\n".join(said) + "\n", cwd=tmp_path, timeout=240)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    plans = {e["id"]: e for e in events if e["type"] == "plan"}  # the last state of each card
    assert [[(s["tool"], s["args"]) for s in plan["steps"]] for plan in plans.values()] == [
        [("http_check", {"url": f"{http_server}/health"})],
        [("http_check", {"url": f"{http_server}/health"})],
        [("http_check", {"url": f"{http_server}/broken"})],
        [("restart_service", {"unit": "nginx"})],
        [("restart_service", {"unit": "nginx"})],
    ]
    decisions = [(e["plan_id"], e["decision"]) for e in events if e["type"] == "decision"]
    restarts = list(plans)[3:]
    assert decisions == [(restarts[0], "deny"), (restarts[1], "approve")]
    assert "You're welcome." in [e["text"] for e in events if e["type"] == "answer"]
    assert marker.read_text() == "nginx"  # ran once, after the second approval
