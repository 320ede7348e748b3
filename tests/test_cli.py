"""The `chatops` command as users and scripts run it: a real subprocess, piped stdin, no TTY."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from chatops.bot.config import load_config
from tests.conftest import CHATOPS, REPO, marker_runbook


def chatops(*args: str, stdin: str = "", cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
    environment.update(env or {})
    environment["PYTHONFAULTHANDLER"] = "1"  # a hang ends with every thread's stack in stderr (SIGABRT)
    with subprocess.Popen([str(CHATOPS), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, cwd=cwd, env=environment) as process:
        try:
            stdout, stderr = process.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)
            stdout, stderr = process.communicate(timeout=30)
            pytest.fail(f"chatops {' '.join(args)} still running after {timeout:g} s; its threads:\n"
                        f"{stderr[-12000:]}\n--- stdout tail ---\n{stdout[-3000:]}")
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A directory with a config whose write runbook leaves a marker file when it really runs."""
    marker = tmp_path / "restarted"
    (tmp_path / "config.toml").write_text('[llm]\nmodel = "test"\n' + marker_runbook(marker))
    return tmp_path


def events(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_write_step_runs_after_y(workdir):
    result = chatops("chat", stdin="!restart_service unit=web\ny\n", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "approve? [y/N]" in result.stdout
    assert (workdir / "restarted").read_text() == "web"
    assert "✓ restart_service ok" in result.stdout


def test_write_step_does_not_run_after_n(workdir):
    result = chatops("chat", stdin="!restart_service unit=web\nn\n", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert not (workdir / "restarted").exists()
    assert "Denied by" in result.stdout and "nothing was changed" in result.stdout


def test_end_of_input_means_no(workdir):
    result = chatops("chat", "--json", stdin="!restart_service unit=web\n", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert not (workdir / "restarted").exists()
    kinds = [event["type"] for event in events(result.stdout)]
    assert kinds == ["notice", "plan", "decision", "answer"]
    decision = events(result.stdout)[2]
    assert decision["decision"] == "deny" and decision["accepted"] is True


def test_json_events_have_the_documented_shapes(workdir):
    result = chatops("chat", "--json", "--thread", "ops-1", stdin="!restart_service unit=api\ny\n", cwd=workdir)
    assert result.returncode == 0, result.stderr
    stream = events(result.stdout)
    plan = next(e for e in stream if e["type"] == "plan")
    assert {"id", "goal", "steps"} <= plan.keys()
    assert plan["steps"][0] == {"id": plan["steps"][0]["id"], "tool": "restart_service", "args": {"unit": "api"},
                                "reason": "requested with !restart_service", "risk": "write", "status": "proposed",
                                "outcome": None, "summary": None, "provenance": None, "tainted": False}
    steps = [e for e in stream if e["type"] == "step"]
    assert [s["status"] for s in steps] == ["running", "succeeded"]
    assert [s["outcome"] for s in steps] == [None, "ok"]
    assert steps[-1]["result"]["exit_code"] == 0
    assert stream[-1]["type"] == "answer" and stream[-1]["text"]
    assert "approve?" not in result.stdout  # the prompt goes to stderr in --json mode
    assert all(event["thread"] == "console:ops-1" for event in stream)


def test_a_thread_resumes_with_its_history(workdir):
    chatops("chat", "--thread", "ops-2", stdin="!help\n", cwd=workdir)
    result = chatops("chat", "--thread", "ops-2", stdin="", cwd=workdir)
    assert result.returncode == 0
    assert "[you] !help" in result.stdout and "[bot] Ask me in plain words" in result.stdout


def test_read_steps_run_without_asking_against_a_local_server(workdir, http_server):
    result = chatops("chat", stdin=f"!http_check url={http_server}/health\n", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "approve?" not in result.stdout
    assert "✓ http_check ok" in result.stdout and "200" in result.stdout


def test_tools_lists_builtins_and_runbooks_as_json(workdir):
    result = chatops("tools", "--json", cwd=workdir)
    listed = {tool["name"]: tool for tool in json.loads(result.stdout)}
    assert {"http_check", "dns_lookup", "tcp_check", "current_time", "restart_service"} <= listed.keys()
    assert listed["restart_service"]["risk"] == "write" and listed["restart_service"]["source"] == "runbook"
    assert listed["http_check"]["parameters"]["required"] == ["url"]


def test_audit_shows_who_decided_what(workdir):
    chatops("chat", stdin="!restart_service unit=web\ny\n", cwd=workdir, env={"USER": "carol"})
    result = chatops("audit", "--json", "--limit", "100", cwd=workdir)
    kinds = [json.loads(line)["kind"] for line in result.stdout.splitlines()]
    for kind in ("message.received", "plan.proposed", "plan.decided", "step.started", "step.succeeded"):
        assert kind in kinds
    assert len(chatops("audit", "--json", "--limit", "2", cwd=workdir).stdout.splitlines()) == 2


def test_check_config_names_every_problem_with_its_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[llm]\nmodel = "opneai:gpt"\n[agent]\nmax_rounds = 0\ncolour = "blue"\n'
                   '[[runbooks]]\nname = "x"\ndescription = "d"\nargv = ["echo", "{who}"]\n')
    result = chatops("check-config", "--config", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "llm.model: unknown provider 'opneai' (expected one of: local, openai, anthropic, test)" in lines
    assert "agent.colour: unknown key" in lines
    assert any(line.startswith("agent.max_rounds:") for line in lines)
    assert any(line.startswith("runbooks[x]:") and "{who}" in line for line in lines)
    assert chatops("check-config", cwd=tmp_path).returncode == 0  # built-in defaults are valid


def test_secrets_come_from_the_environment_and_never_print(tmp_path):
    config = load_config(None, environ={"CHATOPS_LLM_API_KEY": "sk-abcdef", "CHATOPS_SLACK_BOT_TOKEN": "xoxb-1234",
                                        "CHATOPS_HTTP_TOKEN_ALICE": "tok-alice"})
    assert config.llm.api_key.get_secret_value() == "sk-abcdef"
    assert config.slack.bot_token.get_secret_value() == "xoxb-1234"
    assert config.http.tokens["alice"].get_secret_value() == "tok-alice"
    assert "sk-abcdef" not in repr(config) and "xoxb-1234" not in config.model_dump_json()


def test_the_example_configs_are_valid():
    load_config(REPO / "config.example.toml")
    load_config(REPO / "examples" / "demo.toml")


def test_version():
    result = chatops("--version", cwd=REPO)
    assert result.returncode == 0 and result.stdout.startswith("chatops ")
