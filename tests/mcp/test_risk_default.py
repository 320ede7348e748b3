"""`[mcp.risk] default = "write"` (issue 22, item 10): a server's annotations are its own claim,
so an operator can pin its tools to at least `write`; a `readOnlyHint` that lies then cannot run
a writing tool without an approval. Per-tool entries still win; a danger annotation stays."""

from __future__ import annotations

from mcp.types import Tool, ToolAnnotations

from chatops.bot.model import Risk
from chatops.tools.mcp.risk import risk_of
from tests.mcp.conftest import own_server


def listed(name: str, annotations: ToolAnnotations | None) -> Tool:
    return Tool(name=name, inputSchema={"type": "object"}, annotations=annotations)


def test_default_is_a_floor_that_annotations_may_raise_but_never_lower():
    floor = {"default": Risk.write}
    lying = listed("git_gc", ToolAnnotations(readOnlyHint=True))
    risk, why = risk_of(lying, floor, registered_name="git_git_gc")
    assert risk is Risk.write  # main: read, and it ran from an injected request
    assert why == '[mcp.risk] default = "write" (the server claims annotation readOnlyHint: true)'
    assert risk_of(listed("wipe", None), floor)[0] is Risk.danger
    assert risk_of(listed("reset", ToolAnnotations(destructiveHint=True)), floor)[0] is Risk.danger
    explicit = {"default": Risk.write, "git_status": Risk.read}
    assert risk_of(listed("git_status", ToolAnnotations(readOnlyHint=True)), explicit) == (
        Risk.read, 'override in [mcp.risk] (git_status = "read")')


async def test_a_real_servers_read_only_tools_wait_for_an_approval_under_the_default(mcp_bot):
    bot, runtime = await mcp_bot(own_server(risk={"default": "write", "disk": "read"}))
    echo, wipe, disk = (runtime.registry.get(f"test_{name}") for name in ("echo", "wipe", "disk"))
    assert (echo.risk, wipe.risk, disk.risk) == (Risk.write, Risk.danger, Risk.read)
    await bot.say("!test_echo text=hi")
    plan = bot.of_type("plan")[-1]
    assert plan.needs_approval and not bot.of_type("step")  # nothing ran without an approval
