"""An MCP server written with the official `mcp` SDK, run by the tests as a real subprocess.

It has one tool per behaviour the bot must survive: unannotated (so `danger`), hanging,
crashing mid-call, `isError`, 1 MB of text, an image, progress, a tool list that changes, and a
request for elicitation. `python server.py` serves stdio; `python server.py --http PORT --token T`
serves Streamable HTTP on 127.0.0.1 and refuses requests without `Authorization: Bearer T`
(`--json` answers with JSON bodies instead of server-sent events).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import sys
import zlib
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ImageContent, TextContent, ToolAnnotations
from pydantic import BaseModel

READ_ONLY = ToolAnnotations(readOnlyHint=True)
server = MCPServer("chatops-test")


def _png(width: int = 2, height: int = 2) -> bytes:
    """A tiny valid PNG (red pixels), made here so no fixture file is needed."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@server.tool(annotations=READ_ONLY)
def echo(text: str, times: int = 1) -> str:
    """Echo the text back.

    Args:
        text: what to echo
        times: how many times
    """
    return " ".join([text] * times)


@server.tool()
def wipe(target: str) -> str:
    """Wipe a target (no annotations at all: the bot must treat it as dangerous)."""
    return f"wiped {target}"


@server.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False))
def note(text: str) -> str:
    """Write a note (a non-destructive write)."""
    with open(os.environ.get("NOTES_FILE", os.devnull), "a") as notes:
        notes.write(text + "\n")
    return f"noted {text}"


@server.tool(annotations=READ_ONLY)
def env(name: str) -> str:
    """The value of one of the server's environment variables (empty when unset)."""
    return os.environ.get(name, "")


@server.tool(annotations=READ_ONLY)
async def hang() -> str:
    """Never answers."""
    await asyncio.sleep(3600)
    return "late"


@server.tool(annotations=READ_ONLY)
def crash() -> str:
    """Kills its own process mid-call."""
    os._exit(3)


@server.tool(annotations=READ_ONLY)
def fail() -> CallToolResult:
    """Returns an error result."""
    return CallToolResult(content=[TextContent(type="text", text="the disk is full")], isError=True)


@server.tool(annotations=READ_ONLY)
def big() -> str:
    """Returns one megabyte of text."""
    return "BEGIN\n" + ("x" * 99 + "\n") * 10_000 + "END"


@server.tool(annotations=READ_ONLY)
async def huge(ctx: Context, megabytes: int = 50, stream: bool = False) -> str:
    """Returns that many megabytes of text (a result the bot must not hold); with `stream`, a progress
    notification first, so that over Streamable HTTP the answer comes as server-sent events."""
    if stream:
        await ctx.report_progress(0, 1, "making a huge answer")
    return "y" * (megabytes * 1_000_000)


@server.tool(annotations=READ_ONLY)
def picture() -> list[Any]:
    """Returns an image and a caption."""
    return [TextContent(type="text", text="a red square"),
            ImageContent(type="image", data=base64.b64encode(_png()).decode(), mimeType="image/png")]


@server.tool(annotations=READ_ONLY)
def screenshot() -> list[Any]:
    """Returns a screenshot of a dashboard with text on it (for the bot to read)."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (640, 120), "white")
    ImageDraw.Draw(image).text((20, 35), "DISK FULL ON DB1", fill="black", font=ImageFont.load_default(size=40))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return [ImageContent(type="image", data=base64.b64encode(buffer.getvalue()).decode(), mimeType="image/png")]


class Disk(BaseModel):
    mount: str
    used_percent: int


@server.tool(annotations=READ_ONLY)
def disk(mount: str = "/") -> Disk:
    """Structured output: disk usage of a mount."""
    return Disk(mount=mount, used_percent=42)


@server.tool(annotations=READ_ONLY)
async def slow_count(ctx: Context, steps: int = 3) -> str:
    """Counts with progress notifications."""
    for step in range(1, steps + 1):
        await ctx.report_progress(step, steps, f"step {step} of {steps}")
        await asyncio.sleep(0.05)
    return f"counted to {steps}"


@server.tool(annotations=READ_ONLY)
async def add_tool(ctx: Context, name: str) -> str:
    """Registers a new read-only tool and announces the change."""

    def extra() -> str:
        return f"{name} works"

    server.add_tool(extra, name=name, description=f"An added tool called {name}.", annotations=READ_ONLY)
    await _announce(ctx)
    return f"added {name}"


LISTING_DELAY = {"seconds": 0.0}
_list_tools_now = server.list_tools


async def _list_tools_late() -> list[Any]:
    """The tool list as it is when asked, answered `LISTING_DELAY` later (a slow server): a
    change made meanwhile is not in it, so only its own announcement can bring it in."""
    tools = await _list_tools_now()
    await asyncio.sleep(LISTING_DELAY["seconds"])
    return tools


server.list_tools = _list_tools_late  # type: ignore[method-assign]


@server.tool(annotations=READ_ONLY)
async def flood_changes(ctx: Context, count: int = 3000, then_add: str = "", listing_delay: float = 0.0) -> str:
    """Announces `count` tool-list changes that change nothing, then (given `then_add`) makes one
    real change while the client is still listing, and announces it: the last announcement is the
    one that matters."""
    LISTING_DELAY["seconds"] = listing_delay
    for _ in range(count):
        await _announce(ctx)
    if then_add:
        await asyncio.sleep(0.3)  # the client is listing now (its answer is held back)

        def added() -> str:
            return f"{then_add} works"

        server.add_tool(added, name=then_add, description=f"Added after a flood: {then_add}.",
                        annotations=READ_ONLY)
        await _announce(ctx)
    return f"announced {count} changes"


async def _announce(ctx: Context) -> None:
    """`notifications/tools/list_changed` to legacy sessions, the listen stream to modern ones."""
    await ctx.notify_tools_changed()
    # a modern connection has no session-wide notification channel
    with contextlib.suppress(Exception):
        await ctx.request_context.session.send_tool_list_changed()


class Confirmation(BaseModel):
    sure: bool


@server.tool(annotations=READ_ONLY)
async def ask(ctx: Context) -> str:
    """Asks the user a question (elicitation) before answering."""
    answer = await ctx.elicit("Are you sure?", Confirmation)
    return f"answer: {answer.action}"


def _http_app(token: str, json_response: bool = False) -> Any:
    """The Streamable HTTP app behind a bearer-token check (answers as SSE, or as plain JSON)."""
    app = server.streamable_http_app(json_response=json_response)
    expected = f"Bearer {token}".encode()

    async def guarded(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != expected:
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"unauthorized"})
            return
        await app(scope, receive, send)

    return guarded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, default=None, help="serve Streamable HTTP on this port")
    parser.add_argument("--token", default="", help="the bearer token HTTP clients must send")
    parser.add_argument("--json", action="store_true", help="answer POSTs with JSON bodies, not SSE")
    options = parser.parse_args()
    if os.environ.get("PID_FILE"):  # lets a test check that the bot stopped this process
        with open(os.environ["PID_FILE"], "a") as pids:
            pids.write(f"{os.getpid()}\n")
    if options.http is None:
        server.run()
        return
    import uvicorn

    uvicorn.run(_http_app(options.token, options.json), host="127.0.0.1", port=options.http, log_level="warning")


if __name__ == "__main__":
    sys.exit(main())
