"""`chatops audit [--thread T] [--user U] [--tool NAME] [--kind K] [--since 1h|DATE] [--json]`: each
row with the tool, its arguments (redacted), the decision and the outcome; filters combine."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chatops.bot.audit_rows import parse_since
from tests.cli_inprocess import run_cli
from tests.test_cli import workdir  # noqa: F401  (the fixture)

SECRET = "sk-audit-secret-98765"


def rows(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def audit(workdir: Path, *args: str, env: dict[str, str]):  # noqa: F811
    return run_cli("audit", *args, cwd=workdir, env=env)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_rows_name_the_tool_the_decision_and_the_outcome(workdir: Path):  # noqa: F811
    env = {"CHATOPS_LLM_API_KEY": SECRET}
    port = closed_port()
    run_cli("chat", "--thread", "ops-a", cwd=workdir, env={**env, "USER": "carol", "LOGNAME": "carol"},
            stdin=f"!restart_service unit=web\ny\n!http_check url=http://127.0.0.1:{port}/{SECRET}\n")
    run_cli("chat", "--thread", "ops-b", cwd=workdir, env={**env, "USER": "dave", "LOGNAME": "dave"},
            stdin="!restart_service unit=db\n")

    everything = audit(workdir, "--limit", "500", env=env)
    assert SECRET not in everything.stdout  # arguments are redacted before they are shown
    assert "http_check(url=http://127.0.0.1:" in everything.stdout

    restarts = rows(audit(workdir, "--tool", "restart_service", "--kind", "step", "--json", env=env))
    assert [(r["kind"], r["tools"], r["outcome"]) for r in restarts] == [
        ("step.started", [{"tool": "restart_service", "args": {"unit": "web"}}], None),
        ("step.succeeded", [{"tool": "restart_service", "args": {"unit": "web"}}], "ok")]

    checks = rows(audit(workdir, "--tool", "http_check", "--kind", "step.succeeded", "--json", env=env))
    [outcome] = [check["outcome"] for check in checks]
    assert outcome.startswith("problem: 127.0.0.1:") and outcome.endswith(" refuses connections")
    assert SECRET not in json.dumps(checks)

    decided = rows(audit(workdir, "--kind", "plan.decided", "--json", env=env))
    assert [(r["actor"], r["decision"], r["thread_id"]) for r in decided] == [
        ("console:carol", "approve", "console:ops-a"),
        ("console:dave", "deny (no answer: end of input)", "console:ops-b")]
    assert decided[0]["tools"] == [{"tool": "restart_service", "args": {"unit": "web"}}]

    dave = rows(audit(workdir, "--user", "dave", "--json", env=env))
    assert dave and {r["thread_id"] for r in dave} == {"console:ops-b"}
    thread_a = rows(audit(workdir, "--thread", "ops-a", "--json", "--limit", "500", env=env))
    assert {r["thread_id"] for r in thread_a} == {"console:ops-a"}
    assert any(r["kind"] == "step.succeeded" for r in thread_a)  # step entries belong to their plan's thread

    assert rows(audit(workdir, "--since", "1h", "--kind", "plan.decided", "--json", env=env))
    assert rows(audit(workdir, "--since", "2999-01-01", "--json", env=env)) == []
    bad = audit(workdir, "--since", "yesterday", env=env)
    assert bad.exit_code == 2 and "use a duration" in bad.stderr


def test_since_reads_durations_and_dates():
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_since("90m", now).startswith("2026-11-25T10:30:00")
    assert parse_since("2d", now).startswith("2026-11-23T12:00:00")
    assert parse_since("2026-11-20", now).startswith("2026-11-20T00:00:00")
    with pytest.raises(ValueError):
        parse_since("soon", now)


def test_a_denials_reason_shows_in_the_decision_column():
    from chatops.bot.audit_rows import decision_of

    entry = {"kind": "plan.decided", "detail": {"decision": "deny", "reason": "", "source": "slack",
                                                "note": "not during the sale"}}
    assert decision_of(entry) == "deny (reason: not during the sale)"
    assert decision_of({"kind": "plan.decided", "detail": {"decision": "approve", "source": "slack"}}) == "approve"
