"""Discord connections are supervised (issue 12, failure 3): an event discord.py cannot parse
costs that event only; a dropped socket is resumed; a revoked token is reported down on /healthz
(and by `chatops run`'s exit status), and the connection comes back once the token works again."""

from __future__ import annotations

import asyncio
import os
import signal
import textwrap

import aiohttp

from chatops.adapters.discord import DiscordAdapter
from chatops.adapters.http import HttpAdapter
from chatops.bot.health import AdapterState
from tests.conftest import CHATOPS, REPO
from tests.discord.conftest import ALICE, MENTION, discord_sections, eventually, said
from tests.fakes.discord_gateway import GUILD_ID, TOKEN


def state(bot) -> AdapterState | None:
    status = bot.bot.runtime().health.snapshot().get("discord")
    return status.state if status else None


async def test_an_event_discord_py_cannot_parse_does_not_end_the_connection(discord_bot):
    bot = await discord_bot()
    await bot.fake.send_malformed()
    request = await bot.fake.say(ALICE, f"{MENTION} !ping host=db1")
    await eventually(said(bot.fake, request["id"], "Done:"), what="the answer after the bad event")
    assert bot.fake.connections == 1 and bot.adapter.client.dropped_events == 1
    assert state(bot) is AdapterState.up


async def test_a_dropped_socket_is_resumed_and_messages_still_arrive(discord_bot):
    bot = await discord_bot()
    await bot.fake.close_socket()
    await eventually(lambda: bot.fake.connections == 2 and bot.fake.resumes, what="a resumed connection")
    await eventually(lambda: state(bot) is AdapterState.up, what="the adapter up again")
    request = await bot.fake.say(ALICE, f"{MENTION} !ping host=db1")
    await eventually(said(bot.fake, request["id"], "Done:"), what="the answer after the resume")


async def test_a_client_closed_while_waiting_for_its_servers_after_ready_dispatches_nothing(make_bot, fake_discord):
    # After READY, discord.py waits `guild_ready_timeout` for the servers, then dispatches `ready`;
    # a client closed meanwhile (a deposed leader's, one replaced on reconnect) must not dispatch it
    # on itself closed. It did: an AttributeError in discord.py's task and an `on_ready` coroutine
    # never awaited, the intermittent RuntimeWarning of test_leader.py's paused leader.
    bot = await make_bot(None, **discord_sections(fake_discord))
    adapter = DiscordAdapter(bot.runtime(), guild_ready_timeout=2.0)
    await adapter.start()
    try:
        client = adapter.client
        await fake_discord.invalidate_session()  # it identifies again: a second READY, and the wait
        await eventually(lambda: client._connection._ready_task is not None, what="the wait after the new READY")
        waiting = client._connection._ready_task
        assert not waiting.done()
    finally:
        await adapter.stop()
    await asyncio.wait({waiting}, timeout=1.0)  # the wait would end 2 s after the last GUILD_CREATE
    assert waiting.done(), "the wait for the servers ran on after the client was closed"
    assert waiting.exception() is None


async def test_a_revoked_token_is_reported_down_and_recovers_when_the_token_works_again(discord_bot):
    bot = await discord_bot()
    web = HttpAdapter(bot.bot.runtime())
    await web.start()
    try:
        await bot.fake.revoke_token()
        await eventually(lambda: state(bot) is AdapterState.down, what="the adapter reported down")
        async with aiohttp.ClientSession() as session, session.get(web.url + "healthz") as response:
            health = await response.json()
        assert response.status == 503
        assert health["adapter_states"]["discord"]["state"] == "down"
        assert "refused the token" in health["adapter_states"]["discord"]["detail"]
        assert not bot.adapter.describe().startswith("logged in")

        bot.fake.restore_token()
        await eventually(lambda: state(bot) is AdapterState.up, timeout=30, what="the adapter up again")
        request = await bot.fake.say(ALICE, f"{MENTION} !ping host=db1")
        await eventually(said(bot.fake, request["id"], "Done:"), what="an answer on the new connection")
    finally:
        await web.stop()


async def test_chatops_run_exits_non_zero_when_every_adapter_is_down(tmp_path, fake_discord):
    (tmp_path / "config.toml").write_text(textwrap.dedent(f"""
        [storage]
        path = "{tmp_path / 'chatops.db'}"
        [llm]
        model = "test"
        [http]
        enabled = false
        [discord]
        guilds = ["{GUILD_ID}"]
        api_base_url = "{fake_discord.api_base_url}"
        gateway_url = "{fake_discord.gateway_url}"
    """))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
    environment.update(CHATOPS_DISCORD_TOKEN=TOKEN, PYTHONPATH=os.environ.get("PYTHONPATH") or str(REPO))
    process = await asyncio.create_subprocess_exec(str(CHATOPS), "run", cwd=tmp_path, env=environment,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=120)
        assert line.decode().startswith("chatops discord: logged in as chatops"), line
        await fake_discord.revoke_token()
        code = await asyncio.wait_for(process.wait(), timeout=60)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
            await process.wait()
    stderr = (await process.stderr.read()).decode()
    assert code == 1, stderr
    assert "every adapter is down" in stderr and "refused the token" in stderr
