"""The tests' own MCP server (written with the `mcp` SDK, run as a real subprocess) exercises
every behaviour a server can throw at the bot: no annotations, hanging, crashing mid-call,
`isError`, a megabyte of text, an image, progress, a changing tool list, elicitation; over
stdio, and over Streamable HTTP with a bearer token."""

from __future__ import annotations

import base64
import socket
import subprocess
import sys

import pytest

from chatops.bot.model import StepStatus
from tests.mcp.conftest import SERVER, own_server
from tests.polling import eventually


def failed_error(bot) -> str:
    step = bot.of_type("step")[-1]
    assert step.status is StepStatus.failed, step
    return step.error


async def test_an_unannotated_tool_is_danger_and_the_reason_is_shown(mcp_bot):
    _, runtime = await mcp_bot(own_server(risk={"echo": "write"}))
    wipe, note, echo = (runtime.registry.get(f"test_{name}") for name in ("wipe", "note", "echo"))

    assert (wipe.risk.value, wipe.source) == ("danger", "mcp:test")
    assert "no annotations" in wipe.risk_reason
    assert (note.risk.value, note.risk_reason) == ("write", "annotations readOnlyHint: false, destructiveHint: false")
    assert echo.risk.value == "write" and echo.risk_reason.startswith("override in [mcp.risk]")
    described = {tool["name"]: tool for tool in runtime.registry.describe()}
    assert described["test_wipe"]["risk_reason"] == wipe.risk_reason


async def test_failures_are_short_step_errors_and_the_server_comes_back(mcp_bot):
    bot, runtime = await mcp_bot(own_server(timeout=1))

    await bot.say("!test_hang")
    assert failed_error(bot) == "MCPCallFailed: hang did not answer within 1 s (the call was cancelled)"
    await bot.say("!test_echo text=still-here times=2")  # a timeout does not cost the connection
    assert bot.of_type("step")[-1].result == {"result": "still-here still-here"}

    await bot.say("!test_fail")
    assert failed_error(bot) == "MCPToolFailed: the disk is full"

    await bot.say("!test_crash")
    assert "the test server stopped during the call" in failed_error(bot)
    assert runtime.mcp_states()["test"] == "failed: the server exited during a call"
    await bot.say("!test_echo text=back")  # restarted on next use
    assert bot.of_type("step")[-1].status is StepStatus.succeeded
    assert runtime.mcp_states()["test"].startswith("ready")
    assert runtime.toolbox.mcp.connections["test"].restarts == 1

    await bot.say("!test_ask")
    error = failed_error(bot)
    assert "elicitation" in error and "chatops declines" in error


async def test_big_text_is_cut_to_head_and_tail_and_images_progress_and_structure_are_kept(mcp_bot):
    bot, _ = await mcp_bot(own_server(output_limit=2000))

    await bot.say("!test_big")
    result = bot.of_type("step")[-1].result  # the SDK echoes the megabyte as structured content too
    assert result["omitted"] == ["structured content larger than 65536 characters not kept"]
    text = result["text"]
    assert len(text) < 2100 and text.startswith("BEGIN") and text.endswith("END") and "characters omitted" in text

    await bot.say("!test_picture")
    result = bot.of_type("step")[-1].result
    assert result["text"] == "a red square"
    assert base64.b64decode(result["images"][0]["data"]).startswith(b"\x89PNG")
    assert "[image image/png" in bot.of_type("step")[-1].summary

    await bot.say("!test_screenshot")  # read by the same perception as a user's screenshot
    assert "DISK FULL ON DB1" in bot.of_type("step")[-1].result["images"][0]["text"]
    assert "DISK FULL ON DB1" in bot.of_type("step")[-1].summary

    await bot.say("!test_disk mount=/srv")
    assert bot.of_type("step")[-1].result == {"mount": "/srv", "used_percent": 42}

    await bot.say("!test_slow_count steps=3")
    progress = [event.text for event in bot.of_type("notice") if "slow_count" in event.text]
    assert progress == [f"test_slow_count: step {n} of 3 ({n}/3)" for n in (1, 2, 3)]


async def test_a_changed_tool_list_reaches_the_registry(mcp_bot):
    bot, runtime = await mcp_bot(own_server())
    assert runtime.registry.get("test_fresh") is None

    await bot.say("!test_add_tool name=fresh")

    await eventually(lambda: bot.hub.registry.get("test_fresh"), what="the new tool in the hub's registry")
    await bot.say("!test_fresh")
    assert bot.of_type("step")[-1].result == {"result": "fresh works"}


async def test_a_server_that_cannot_start_is_reported_and_the_others_work(mcp_bot, tmp_path):
    broken = own_server(name="broken", args=[str(tmp_path / "missing.py")], start_timeout=10)
    bot, runtime = await mcp_bot(own_server(), broken)

    assert any(problem.startswith("mcp[broken]: did not start") for problem in runtime.problems)
    state = runtime.mcp_states()["broken"]  # failed, or already retrying in the background
    assert state.startswith(("failed: ", "restarting (last failure: "))
    assert "missing.py" in state  # the server's own last words (stderr)
    await bot.say("!test_echo text=fine")
    assert bot.of_type("step")[-1].status is StepStatus.succeeded


async def test_secrets_reach_only_the_server_that_names_them_and_never_the_thread(mcp_bot, monkeypatch):
    monkeypatch.setenv("TEST_API_KEY", "key-0123456789")
    monkeypatch.setenv("CHATOPS_SLACK_BOT_TOKEN", "xoxb-not-for-servers")
    bot, _ = await mcp_bot(own_server(env_from={"API_KEY": "TEST_API_KEY"}))

    await bot.say("!test_env name=API_KEY")
    assert bot.of_type("step")[-1].result == {"result": "[redacted]"}  # it arrived, and was scrubbed
    await bot.say("!test_env name=CHATOPS_SLACK_BOT_TOKEN")
    assert bot.of_type("step")[-1].result == {"result": ""}  # the bot's own secrets stay behind
    stored = [entry for entry in await bot.store.audit_log(50)]
    assert "key-0123456789" not in repr(stored) and "key-0123456789" not in repr(bot.events)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve_http(port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(SERVER), "--http", str(port), "--token", "s3cret-token"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def http_server():
    """The same server over Streamable HTTP on 127.0.0.1, refusing requests without the token."""
    port = _free_port()
    process = _serve_http(port)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.kill()  # uvicorn would wait for the hanging call before a graceful exit
        process.wait(10)


async def test_a_server_that_comes_up_after_the_bot_joins_later(mcp_bot, monkeypatch):
    monkeypatch.setenv("TEST_MCP_TOKEN", "s3cret-token")
    port = _free_port()
    bot, runtime = await mcp_bot({"name": "late", "url": f"http://127.0.0.1:{port}/mcp",
                                  "token_from": "TEST_MCP_TOKEN", "start_timeout": 10})
    assert not runtime.mcp_states()["late"].startswith("ready") and bot.hub.registry.get("late_echo") is None
    process = _serve_http(port)
    try:
        await eventually(lambda: bot.hub.registry.get("late_echo"), timeout=60, what="the late server's tools")
        await bot.say("!late_echo text=made-it")
        assert bot.of_type("step")[-1].result == {"result": "made-it"}
    finally:
        process.kill()
        process.wait(10)


async def _listening(url: str) -> bool:
    import asyncio

    host, port = url.split("//")[1].split("/")[0].split(":")
    try:
        _, writer = await asyncio.open_connection(host, int(port))
    except OSError:
        return False
    writer.close()
    return True


async def test_streamable_http_with_a_bearer_token(mcp_bot, http_server, monkeypatch):
    await eventually(lambda: _listening(http_server), what="the HTTP MCP server")
    monkeypatch.setenv("TEST_MCP_TOKEN", "s3cret-token")
    monkeypatch.setenv("WRONG_MCP_TOKEN", "not-the-token")
    good = {"name": "web", "url": http_server, "token_from": "TEST_MCP_TOKEN", "timeout": 2}
    bad = {"name": "nokey", "url": http_server, "token_from": "WRONG_MCP_TOKEN", "start_timeout": 10}
    bot, runtime = await mcp_bot(good, bad)

    assert runtime.mcp_states()["web"].startswith("ready")
    assert not runtime.mcp_states()["nokey"].startswith("ready")  # failed, or retrying
    assert "HTTP 401: check the token in WRONG_MCP_TOKEN" in runtime.mcp_states()["nokey"]
    assert "s3cret-token" not in " ".join(runtime.problems)
    assert runtime.registry.get("web_wipe").risk.value == "danger"

    await bot.say("!web_echo text=over-http")
    assert bot.of_type("step")[-1].result == {"result": "over-http"}
    await bot.say("!web_slow_count steps=2")
    assert any("step 2 of 2" in event.text for event in bot.of_type("notice"))
    await bot.say("!web_add_tool name=late")
    await eventually(lambda: bot.hub.registry.get("web_late"), what="the new HTTP tool")
    await bot.say("!web_hang")
    assert "did not answer within 2 s" in failed_error(bot)
    await bot.say("!web_ask")
    assert "elicitation" in failed_error(bot)
