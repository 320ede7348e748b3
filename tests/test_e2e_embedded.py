"""End to end with the real embedded model: the `chatops` process on its built-in defaults
(SmolLM2 through xllamacpp), a plain-language request, a real local HTTP server."""

from __future__ import annotations

import json

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
