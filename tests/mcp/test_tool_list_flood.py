"""A flood of `tools/list_changed` notifications is coalesced, and the last one is never lost
(issue 22, item 4): after 3,000 announcements that change nothing, the real change that follows
them (and every later one) reaches the registry."""

from __future__ import annotations

from tests.mcp.conftest import own_server
from tests.polling import eventually


async def test_the_change_after_a_flood_of_announcements_reaches_the_registry(mcp_bot):
    bot, runtime = await mcp_bot(own_server(timeout=60))
    connection = runtime.toolbox.mcp.connections["test"]

    await bot.say("!test_flood_changes count=3000 then_add=after_flood listing_delay=1")
    assert bot.of_type("step")[-1].result == {"result": "announced 3000 changes"}

    # main: the listing under way when the last announcement came made it drop that one, so the
    # tool never appeared
    await eventually(lambda: bot.hub.registry.get("test_after_flood"), timeout=30,
                     what="the tool added after the flood")
    await bot.say("!test_add_tool name=later")  # and later changes still arrive
    await eventually(lambda: bot.hub.registry.get("test_later"), timeout=30, what="a later tool")
    assert connection.refreshes < 3000 / 10, connection.refreshes  # coalesced, not one listing each
