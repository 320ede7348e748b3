"""An MCP server's huge answer is capped while it is read, before any parsing (issue 22, item
3): the tests' own server, a real subprocess over stdio, returns 50 MB; the bot never holds it,
the step fails saying how large it was and what the limit is, and the connection goes on."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from chatops.bot.model import StepStatus
from chatops.tools.mcp.bounded_stdio import BoundedLines, Oversized
from tests.http.served import free_port
from tests.mcp.conftest import SERVER, own_server
from tests.polling import eventually

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


async def test_a_fifty_megabyte_result_is_dropped_while_read_and_the_step_says_so(mcp_bot):
    bot, runtime = await mcp_bot(own_server(timeout=60, max_result_bytes=1_000_000))
    await bot.say("!test_echo text=warm")  # the connection and its buffers exist before the baseline
    baseline, peak = rss(), 0

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss())
            await asyncio.sleep(0.005)

    sampling = asyncio.create_task(sample())
    try:
        await bot.say("!test_huge megabytes=50")
    finally:
        sampling.cancel()

    step = bot.of_type("step")[-1]
    assert step.status is StepStatus.failed, step
    assert "huge: the server's answer was 100.0 MB" in step.error  # the SDK sends the text twice
    assert "over the 1.0 MB this bot reads from an MCP server (max_result_bytes); it was dropped unread" \
        in step.error
    assert peak - baseline < 40 * 1024 * 1024, (baseline, peak)  # main: +480 MB
    await bot.say("!test_echo text=still-here")  # the stream was re-synchronised at the next line
    assert bot.of_type("step")[-1].result == {"result": "still-here"}
    assert runtime.toolbox.mcp.connections["test"].restarts == 0


def test_lines_are_split_with_the_oversized_one_counted_not_kept():
    lines = BoundedLines(16)
    got = lines.feed(b'{"id":1}\n{"jsonrpc":"2.0","id":"a-7","result":"') + lines.feed(b"z" * 100) \
        + lines.feed(b'"}\n{"id":2}\n{"result":"' + b"q" * 40 + b'","id":3}\n')
    assert got[0] == b'{"id":1}' and got[2] == b'{"id":2}'
    first, last = got[1], got[3]
    assert isinstance(first, Oversized) and first.size == len('{"jsonrpc":"2.0","id":"a-7","result":"') + 102
    assert first.response_id() == "a-7"
    assert isinstance(last, Oversized) and last.response_id() == 3
    assert len(first.head) <= 4096 and len(last.tail) <= 4096


def _serve_http(port: int, *flags: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(SERVER), "--http", str(port), "--token", "t0ken", *flags],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _listening(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    return True


@pytest.mark.parametrize("answers", ["sse", "json"])
async def test_over_streamable_http_a_fifty_megabyte_result_is_dropped_while_read(mcp_bot, monkeypatch, caplog,
                                                                                  answers):
    """The same cap over Streamable HTTP, whether the server answers a call as server-sent events
    or as one JSON body (main: the JSON body was read whole, +100 MB; events were cut by the SDK's
    own 1 MiB limit whatever max_result_bytes said, in words that did not say how large)."""
    port = free_port()
    server = _serve_http(port, *(["--json"] if answers == "json" else []))
    try:
        await eventually(lambda: _listening(port), what="the HTTP MCP server")
        monkeypatch.setenv("TEST_MCP_TOKEN", "t0ken")
        bot, runtime = await mcp_bot({"name": "web", "url": f"http://127.0.0.1:{port}/mcp",
                                      "token_from": "TEST_MCP_TOKEN", "timeout": 60,
                                      "max_result_bytes": 3_000_000})
        await bot.say("!web_big")  # 1 MB: over the SDK's own SSE limit, under ours, so it arrives
        assert bot.of_type("step")[-1].status is StepStatus.succeeded, bot.of_type("step")[-1]
        baseline, peak = rss(), 0

        async def sample() -> None:
            nonlocal peak
            while True:
                peak = max(peak, rss())
                await asyncio.sleep(0.005)

        sampling = asyncio.create_task(sample())
        try:
            await bot.say(f"!web_huge megabytes=50 stream={'true' if answers == 'sse' else 'false'}")
        finally:
            sampling.cancel()
        step = bot.of_type("step")[-1]
        assert step.status is StepStatus.failed, step
        assert "huge: the server's answer was 100.0 MB" in step.error, step.error
        assert "over the 3.0 MB this bot reads from an MCP server (max_result_bytes); it was dropped unread" \
            in step.error
        assert peak - baseline < 40 * 1024 * 1024, (baseline, peak)
        cut = "MCP event line of" if answers == "sse" else "MCP answer of"  # the path really taken
        assert any(record.getMessage().startswith(cut) for record in caplog.records), caplog.text
        await bot.say("!web_echo text=still-here")
        assert bot.of_type("step")[-1].result == {"result": "still-here"}
        assert runtime.toolbox.mcp.connections["web"].restarts == 0  # main's SSE path lost the connection
    finally:
        server.kill()
        server.wait(10)
