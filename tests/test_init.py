"""`chatops init` (issue 25, item 3): a commented config.toml with the surfaces chosen, starter
runbooks that only pretend, and roles; the same check as every other file passes it; the next
command is printed; an existing file is kept."""

from __future__ import annotations

import tomllib
from pathlib import Path

from chatops.bot.config_check import check_config
from tests.cli_inprocess import run_cli
from tests.test_cli import chatops


def test_init_yes_writes_a_commented_config_that_checks_and_says_what_next(tmp_path: Path):
    result = run_cli("init", "--yes", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    path = tmp_path / "config.toml"
    text = path.read_text()
    report = check_config(path, environ={})
    assert report.problems == [] and report.config is not None, report.problems
    config = report.config
    assert config.http.enabled and config.http.listen == "127.0.0.1:8765"
    assert not config.slack.bot_token and not config.discord.token
    assert {r.name for r in config.runbooks} == {"restart_service", "disk_usage", "deploy_version"}
    assert set(config.roles) == {"oncall"} and config.policy.approve_write == ["oncall"]
    assert sum(line.lstrip().startswith("#") or " # " in line for line in text.splitlines()) >= 30  # commented
    assert "[slack]" not in text and "[discord]" not in text
    assert "chatops run and open http://127.0.0.1:8765/" in result.output
    assert "chatops chat" in result.output


def test_the_starter_runbooks_only_pretend():
    from chatops.bot.init_config import Choices, render

    runbooks = tomllib.loads(render(Choices()))["runbooks"]
    for runbook in runbooks:  # nothing but echo (prints what it would do) and df (reads)
        assert runbook["argv"][0] in ("echo", "df"), runbook
        assert runbook["risk"] == "read" if runbook["argv"][0] == "df" else runbook["risk"] in ("write", "danger")


def test_chosen_surfaces_are_written_when_asked(tmp_path: Path):
    # web chat? no; Slack? yes; Discord? yes
    result = run_cli("init", "--config", "bot/chatops.toml", cwd=tmp_path, stdin="n\ny\ny\n")
    assert result.exit_code == 0, result.output
    path = tmp_path / "bot" / "chatops.toml"
    report = check_config(path, environ={})
    assert report.problems == [], report.problems
    data = tomllib.loads(path.read_text())
    assert data["http"] == {"enabled": False}
    assert data["slack"]["mode"] == "socket" and "discord" in data
    assert set(data["roles"]["oncall"]) == {"console", "slack", "discord"}
    assert "CHATOPS_SLACK_BOT_TOKEN" in result.output and "CHATOPS_DISCORD_TOKEN" in result.output
    assert "--config bot/chatops.toml" in result.output


def test_an_existing_file_is_kept_unless_forced(tmp_path: Path):
    (tmp_path / "config.toml").write_text("# mine\n")
    kept = run_cli("init", "--yes", cwd=tmp_path)
    assert kept.exit_code == 1 and "already exists" in kept.output
    assert (tmp_path / "config.toml").read_text() == "# mine\n"
    forced = run_cli("init", "--yes", "--force", "--listen", "127.0.0.1:9000", cwd=tmp_path)
    assert forced.exit_code == 0, forced.output
    assert 'listen = "127.0.0.1:9000"' in (tmp_path / "config.toml").read_text()
    bad = run_cli("init", "--yes", "--force", "--listen", "somewhere", cwd=tmp_path)
    assert bad.exit_code == 2 and "HOST:PORT" in bad.output


def test_the_starter_restart_asks_then_only_prints_what_it_would_do(tmp_path: Path):
    assert run_cli("init", "--yes", cwd=tmp_path).exit_code == 0
    config = tmp_path / "config.toml"
    config.write_text(config.read_text().replace('model = "local"', 'model = "test"'))  # no model to load
    result = chatops("chat", stdin="!restart_service unit=nginx\ny\n", cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "approve? [y/N]" in result.stdout  # a write step waits for the approval the roles allow
    assert "would restart nginx" in result.stdout and "✓ restart_service ok" in result.stdout
