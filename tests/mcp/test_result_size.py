"""An MCP server's huge answer is capped while it is read, before any parsing (issue 22, item
3): the tests' own server, a real subprocess over stdio, returns 50 MB; the bot never holds it,
the step fails saying how large it was and what the limit is, and the connection goes on."""

from __future__ import annotations

import asyncio
import os

from chatops.bot.model import StepStatus
from chatops.tools.mcp.bounded_stdio import BoundedLines, Oversized
from tests.mcp.conftest import own_server

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
