"""Runbooks from config: what the child process actually receives, what is refused before
anything runs, and that nothing a runbook starts outlives its step.

Every run goes through the same path as the bot: `runbook_tool(...)`, `spec.validate(...)`,
`await spec.run(ctx, args)`. The child is a tiny Python script that reports its argv (as bytes)
and environment, so the assertions are about what arrived, not about what we meant to send.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from chatops.bot.config import RunbookConfig, RunbookParam, load_config
from chatops.bot.model import Risk, ThreadRef, UserRef
from chatops.tools.context import ToolContext
from chatops.tools.registry import ToolArgumentError, ToolSpec
from chatops.tools.runbooks import RunbookError, RunbookFailed, RunbookResult, _Capture, runbook_tool

REPO = Path(__file__).resolve().parent.parent

REPORTER = """\
import json, os, sys
json.dump({
    "argv": sys.argv[1:],
    "argv_hex": [os.fsencode(arg).hex() for arg in sys.argv[1:]],
    "env": dict(os.environ),
    "cwd": os.getcwd(),
}, sys.stdout)
"""

HOSTILE = [
    "; rm -rf /",
    "$(id)",
    "`id`",
    "a b",
    "  two  spaces  ",
    "{other}",
    "{0.__class__}",
    "'single' \"double\"",
    "$HOME ${PATH}",
    "* ? [a-z]",
    "|| true && false > /tmp/x < /dev/null &",
    "back\\slash\t tab",
    "ünïcødé ✓",
]


def make_ctx(messages: list[str] | None = None) -> ToolContext:
    async def progress(message: str) -> None:
        if messages is not None:
            messages.append(message)

    return ToolContext(
        requester=UserRef(platform="console", id="t"),
        thread=ThreadRef(platform="console", thread="t"),
        progress=progress,
    )


def make_spec(argv: list[str], params: dict[str, Any] | None = None, **settings: Any) -> ToolSpec:
    data = {"name": "probe", "description": "test runbook", "argv": argv, "params": params or {}}
    return runbook_tool(RunbookConfig.model_validate({**data, **settings}))


@pytest.fixture
def reporter(tmp_path: Path) -> list[str]:
    """The argv prefix that runs the reporting script."""
    script = tmp_path / "report.py"
    script.write_text(REPORTER)
    return [sys.executable, str(script)]


async def report(spec: ToolSpec, args: dict[str, Any]) -> dict[str, Any]:
    result = await spec.run(make_ctx(), spec.validate(args))
    assert isinstance(result, RunbookResult)
    assert result.exit_code == 0
    return json.loads(result.stdout)


def gone(pid: int) -> bool:
    """Dead or a zombie (an orphan here may be reparented to a PID 1 that never reaps)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "State:\tZ" in status or "State:\tX" in status


async def wait_gone(*pids: int, grace: float = 2.0) -> bool:
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if all(gone(pid) for pid in pids):
            return True
        await asyncio.sleep(0.05)
    return all(gone(pid) for pid in pids)


async def read_pids(directory: Path, *names: str, within: float = 5.0) -> list[int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        texts = [(directory / name).read_text() if (directory / name).exists() else "" for name in names]
        if all(text.endswith("\n") for text in texts):
            return [int(text) for text in texts]
        await asyncio.sleep(0.02)
    raise AssertionError(f"pid files {names} never appeared")


# --- what the child receives -------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
async def test_hostile_values_arrive_as_one_literal_argument(reporter: list[str], value: str) -> None:
    spec = make_spec(
        [*reporter, "{value}", "--opt={value}", "x{value}y", "{other}"],
        {"value": {"pattern": "^.+$"}, "other": {"default": "OTHER"}},
        output_limit=100_000,
    )
    seen = await report(spec, {"value": value})
    expected = [value, f"--opt={value}", f"x{value}y", "OTHER"]
    assert seen["argv"] == expected
    assert [bytes.fromhex(arg) for arg in seen["argv_hex"]] == [arg.encode() for arg in expected]


async def test_int_and_bool_are_rendered_plainly(reporter: list[str]) -> None:
    spec = make_spec(
        [*reporter, "{count}", "--force={force}", "{quiet}"],
        {"count": {"type": "int", "min": 0}, "force": {"type": "bool"}, "quiet": {"type": "bool", "default": False}},
    )
    assert (await report(spec, {"count": 42, "force": True}))["argv"] == ["42", "--force=true", "false"]


async def test_progress_reports_the_exact_command(reporter: list[str]) -> None:
    spec = make_spec([*reporter, "{value}"], {"value": {}})
    messages: list[str] = []
    await spec.run(make_ctx(messages), spec.validate({"value": "a b"}))
    assert messages == [f"started: {shlex.join([*reporter, 'a b'])}"]


# --- refusals before anything runs -------------------------------------------------------------


@pytest.fixture
def strict() -> ToolSpec:
    return make_spec(
        ["echo", "{unit}", "{level}", "{lines}"],
        {
            "unit": {"pattern": "^[a-z0-9@._-]+$"},
            "level": {"type": "enum", "values": ["info", "debug"], "default": "info"},
            "lines": {"type": "int", "min": 1, "max": 500, "default": 50},
            "note": {"default": "none"},
        },
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"unit": "nginx\nrm"}, "unit:"),
        ({"unit": "nginx", "note": "one\ntwo"}, "note: must not contain control or line-separator characters"),
        ({"unit": "nginx", "note": "carriage\rreturn"}, "note: must not contain control or line-separator"),
        ({"unit": "nginx", "note": "nul\0byte"}, "note: must not contain control or line-separator characters"),
        # issue 12, failure 8: these used to pass
        ({"unit": "nginx", "note": "line\u2028separator"}, "(found \\u2028)"),
        ({"unit": "nginx", "note": "next\x85line"}, "(found \\x85)"),
        ({"unit": "nginx", "note": "vertical\x0btab"}, "(found \\x0b)"),
        ({"unit": "nginx", "note": "\x1b[31mred"}, "(found \\x1b)"),
        ({"unit": "nginx", "note": "right\u202eto-left"}, "(found \\u202e)"),
        ({"unit": "nginx", "level": "info\x85"}, "level:"),
        ({"unit": "Nginx; reboot"}, "unit: String should match pattern"),
        ({"unit": "--help"}, "unit: must not start with '-' (it would read as an option)"),
        ({"unit": "nginx", "note": "-rf"}, "note: must not start with '-'"),
        ({"unit": "nginx", "level": "trace"}, "level:"),
        ({"unit": "nginx", "lines": 0}, "lines: Input should be greater than or equal to 1"),
        ({"unit": "nginx", "lines": 501}, "lines: Input should be less than or equal to 500"),
        ({"unit": "nginx", "extra": "x"}, "extra: Extra inputs are not permitted"),
        ({}, "unit: Field required"),
        ({"unit": "x" * 257}, "unit: String should have at most 256 characters"),
    ],
)
def test_refused(strict: ToolSpec, args: dict[str, Any], message: str) -> None:
    with pytest.raises(ToolArgumentError) as caught:
        strict.validate(args)
    assert message in str(caught.value)


def test_defaults_fill_in(strict: ToolSpec) -> None:
    assert strict.validate({"unit": "nginx"}) == {"unit": "nginx", "level": "info", "lines": 50, "note": "none"}


async def test_run_validates_again(strict: ToolSpec) -> None:
    """Arguments that skipped `validate` are still checked before the argv is built."""
    with pytest.raises(Exception, match="must not start with '-'"):
        await strict.run(make_ctx(), {"unit": "--help"})


def test_leading_dash_allowed_when_configured() -> None:
    spec = make_spec(
        ["echo", "{flag}", "{delta}"],
        {
            "flag": {"allow_leading_dash": True},
            "delta": {"type": "int", "allow_leading_dash": True},
        },
    )
    assert spec.validate({"flag": "--verbose", "delta": -3}) == {"flag": "--verbose", "delta": -3}
    # a negative number reads as an option too (`kill -1`), so it is refused by default
    with pytest.raises(ToolArgumentError, match="must not start with '-'"):
        make_spec(["kill", "{pid}"], {"pid": {"type": "int"}}).validate({"pid": -1})


def test_a_default_that_breaks_its_own_rules_is_refused_at_load() -> None:
    with pytest.raises(ValueError, match="default of 'unit' is invalid"):
        make_spec(["echo", "{unit}"], {"unit": {"pattern": "^[a-z]+$", "default": "NGINX"}})


def test_spec_fields_and_schema() -> None:
    spec = make_spec(
        ["echo", "{unit}"],
        {"unit": {"description": "the unit", "pattern": "^[a-z]+$"}, "title": {"default": "x"}},
        name="restart_web_service",
        risk="danger",
        timeout=7,
        roles=["oncall"],
        keywords=["bounce"],
    )
    assert (spec.name, spec.risk, spec.timeout, spec.roles, spec.source) == (
        "restart_web_service",
        Risk.danger,
        12.0,
        ("oncall",),
        "runbook",
    )
    assert spec.keywords == ("bounce", "restart", "web", "service")
    assert spec.parameters_schema == {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "unit": {"type": "string", "description": "the unit", "pattern": "^[a-z]+$", "maxLength": 256},
            "title": {"type": "string", "default": "x", "maxLength": 256},
        },
        "required": ["unit"],
    }


# --- environment and working directory ---------------------------------------------------------


async def test_environment_is_minimal(reporter: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATOPS_TEST_LEAK", "leaked")
    monkeypatch.setenv("CHATOPS_TEST_SECRET", "s3cret-value")
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("LC_ALL", raising=False)
    spec = make_spec(reporter, env={"LITERAL": "plain"}, env_from={"TOKEN": "CHATOPS_TEST_SECRET"})
    env = (await report(spec, {}))["env"]
    assert env == {
        "PATH": os.environ["PATH"],
        "HOME": os.environ["HOME"],
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "LITERAL": "plain",
        "TOKEN": "s3cret-value",
    }


async def test_missing_env_from_fails_clearly(reporter: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHATOPS_TEST_ABSENT", raising=False)
    spec = make_spec(reporter, env_from={"TOKEN": "CHATOPS_TEST_ABSENT"})
    with pytest.raises(RunbookError, match=r"CHATOPS_TEST_ABSENT.*is not set"):
        await spec.run(make_ctx(), spec.validate({}))


async def test_relative_cwd(reporter: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path)
    assert (await report(make_spec(reporter, cwd="work"), {}))["cwd"] == str(tmp_path / "work")
    with pytest.raises(RunbookError, match=r"working directory .*missing.* does not exist"):
        await make_spec(reporter, cwd="missing").run(make_ctx(), {})


async def test_program_not_found() -> None:
    spec = make_spec(["/nonexistent/chatops-test-program"])
    with pytest.raises(RunbookError, match="not found"):
        await spec.run(make_ctx(), {})


# --- exit codes, output, timeouts --------------------------------------------------------------


async def test_non_zero_exit_fails_with_result(tmp_path: Path) -> None:
    spec = make_spec([sys.executable, "-c", "import sys; print('partial'); sys.exit('boom: disk full')"])
    with pytest.raises(RunbookFailed) as caught:
        await spec.run(make_ctx(), {})
    assert str(caught.value) == "exit code 1: boom: disk full"
    result = caught.value.result
    assert (result.exit_code, result.stdout, result.timed_out) == (1, "partial\n", False)
    assert "boom: disk full" in result.stderr


async def test_output_keeps_head_and_tail(tmp_path: Path) -> None:
    code = "import sys; sys.stdout.write('HEAD' + 'x' * 1_000_000 + 'TAIL'); sys.stderr.write('e' * 500)"
    spec = make_spec([sys.executable, "-c", code], output_limit=1000)
    result = await spec.run(make_ctx(), {})
    marker = f"\n… {1_000_008 - 1000} bytes omitted …\n"
    assert result.stdout == "HEAD" + "x" * 496 + marker + "x" * 496 + "TAIL"
    assert result.stderr == "e" * 500
    assert result.summary().startswith("exit 0 in ")


def test_capture_is_bounded_and_cuts_on_characters() -> None:
    capture = _Capture(10)
    for _ in range(1000):
        capture.add("é✓".encode() * 50)
    assert len(capture.head) + len(capture.tail) == 10
    text = capture.text()
    head, tail = text.split("\n… ")[0], text.split(" …\n")[1]
    assert "\ufffd" not in text and set(head + tail) <= {"é", "✓"}


async def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    script = "sleep 60 & echo $! > grandchild.pid; echo $$ > child.pid; sleep 60"
    spec = make_spec(["sh", "-c", script], cwd=str(tmp_path), timeout=1)
    assert spec.timeout == 6.0
    started = time.monotonic()
    with pytest.raises(RunbookFailed, match=r"^timed out after 1 s \(process group killed\)$") as caught:
        await spec.run(make_ctx(), {})
    assert time.monotonic() - started < 4
    assert caught.value.result.timed_out
    child, grandchild = await read_pids(tmp_path, "child.pid", "grandchild.pid")
    assert await wait_gone(child, grandchild)


async def test_sigterm_ignored_then_sigkill(tmp_path: Path) -> None:
    script = "trap '' TERM; sleep 60 & echo $! > grandchild.pid; echo $$ > child.pid; wait"
    spec = make_spec(["sh", "-c", script], cwd=str(tmp_path), timeout=0.5)
    started = time.monotonic()
    with pytest.raises(RunbookFailed, match="timed out"):
        await spec.run(make_ctx(), {})
    assert 2.0 <= time.monotonic() - started < 5
    assert await wait_gone(*await read_pids(tmp_path, "child.pid", "grandchild.pid"))


async def test_cancellation_kills_the_process_group(tmp_path: Path) -> None:
    """The executor's outer `wait_for` cancels the run: the processes must not survive it."""
    script = "sleep 60 & echo $! > grandchild.pid; echo $$ > child.pid; sleep 60"
    spec = make_spec(["sh", "-c", script], cwd=str(tmp_path), timeout=30)
    task = asyncio.create_task(spec.run(make_ctx(), {}))
    pids = await read_pids(tmp_path, "child.pid", "grandchild.pid")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(task, 0.2)
    assert await wait_gone(*pids)


async def test_leftover_background_processes_are_killed(tmp_path: Path) -> None:
    """A step leaves nothing behind, even a job that let go of the output pipes."""
    script = "sleep 60 >/dev/null 2>&1 & echo $! > grandchild.pid; echo done"
    spec = make_spec(["sh", "-c", script], cwd=str(tmp_path))
    result = await spec.run(make_ctx(), {})
    assert result.stdout == "done\n"
    assert await wait_gone(*await read_pids(tmp_path, "grandchild.pid"))


# --- the demo config ---------------------------------------------------------------------------


async def test_demo_config_restarts_pretend_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    config = load_config(REPO / "examples" / "demo.toml", environ={})
    specs = {runbook.name: runbook_tool(runbook) for runbook in config.runbooks}
    assert {"restart_service", "disk_usage"} <= set(specs)
    restart = specs["restart_service"]
    assert restart.risk is Risk.write
    assert os.access(REPO / "examples" / "pretend_restart.sh", os.X_OK)

    result = await restart.run(make_ctx(), restart.validate({"unit": "nginx"}))
    assert result.argv == ["sh", "examples/pretend_restart.sh", "nginx"]
    assert result.stdout == "restarting nginx…\nnginx restarted (pretend: nothing was changed)\n"
    assert result.summary().endswith(": nginx restarted (pretend: nothing was changed)")

    with pytest.raises(RunbookFailed, match=r"^exit code 3: cannot restart broken") as caught:
        await restart.run(make_ctx(), restart.validate({"unit": "broken"}))
    assert caught.value.result.exit_code == 3
    with pytest.raises(ToolArgumentError):
        restart.validate({"unit": "nginx; reboot"})

    disk = specs["disk_usage"]
    assert disk.validate({}) == {"path": "/"}
    assert (await disk.run(make_ctx(), disk.validate({}))).exit_code == 0


def test_a_pattern_must_match_the_whole_value() -> None:
    spec = runbook_tool(RunbookConfig(
        name="unanchored", description="d", argv=["echo", "{unit}"],
        params={"unit": RunbookParam(type="string", pattern="[a-z]+")},
    ))
    assert spec.validate({"unit": "web"}) == {"unit": "web"}
    with pytest.raises(ToolArgumentError):
        spec.validate({"unit": "x; reboot"})
