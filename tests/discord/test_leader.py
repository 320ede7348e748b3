"""One gateway session for several replicas (issue 15): two bots on one database, each with its own
Discord adapter against the one fake Discord. The replica holding the lease connects; the other
stands by, healthy (`standby` on /healthz, not down), and takes over when the leader's lease is
gone; a leader that finds its lease taken (it was paused past it) disconnects.

The subprocess version, with SIGKILL and a card clicked after the failover, is
`tests/replicas/test_discord_leader.py`."""

from __future__ import annotations

import aiohttp

from chatops.adapters.discord import DiscordAdapter
from chatops.adapters.http import HttpAdapter
from chatops.bot.health import AdapterState
from tests.discord.conftest import ALICE, MENTION, DiscordBot, discord_sections, eventually, said

LEASE = {"storage": {"lease_seconds": 1}}


def state(bot: DiscordBot) -> AdapterState | None:
    status = bot.bot.runtime().health.snapshot().get("discord")
    return status.state if status else None


async def test_a_second_replica_stands_by_healthy_and_only_the_leader_connects(discord_bot, make_bot, fake_discord):
    leader = await discord_bot(**LEASE)
    standby = await discord_bot(**LEASE)

    assert state(leader) is AdapterState.up and leader.adapter.leadership.leading
    assert state(standby) is AdapterState.standby and not standby.adapter.leadership.leading
    assert fake_discord.connections == 1
    assert standby.adapter.describe().startswith("standby: another replica holds the gateway")
    assert not standby.bot.runtime().health.all_down()  # `chatops run` keeps running on a standby
    web = HttpAdapter(standby.bot.runtime())
    await web.start()
    try:
        async with aiohttp.ClientSession() as session, session.get(web.url + "healthz") as response:
            health = await response.json()
        assert response.status == 200 and health["status"] == "ok"
        assert health["adapter_states"]["discord"]["state"] == "standby"
    finally:
        await web.stop()

    request = await fake_discord.say(ALICE, f"{MENTION} !ping host=db1")
    await eventually(said(fake_discord, request["id"], "Done:"), what="the leader's answer")
    assert fake_discord.connections == 1 and fake_discord.displaced == 0


async def test_a_leader_paused_past_its_lease_disconnects_and_the_standby_takes_over(discord_bot, fake_discord):
    leader = await discord_bot(**LEASE)
    standby = await discord_bot(**LEASE)
    assert state(standby) is AdapterState.standby

    await leader.adapter.leadership.stop()  # its renewals stop, as when the process is paused
    await eventually(lambda: state(standby) is AdapterState.up, timeout=10, what="the standby connected")
    assert standby.adapter.leadership.leading

    await leader.adapter.leadership.step()  # the paused leader wakes up: its lease is gone
    assert state(leader) is AdapterState.standby and not leader.adapter.leadership.leading
    assert leader.adapter.client.ws is None  # no gateway session; logged in for REST only
    await eventually(lambda: fake_discord.session_open and state(standby) is AdapterState.up, timeout=10,
                     what="the new leader's session")
    request = await fake_discord.say(ALICE, f"{MENTION} !ping host=db1")
    await eventually(said(fake_discord, request["id"], "Done:"), what="the new leader's answer")
    assert standby.bot.calls.of("ping") and not leader.bot.calls.of("ping")


async def test_a_single_replica_takes_the_lease_at_once_and_releases_it_on_stop(make_bot, fake_discord):
    bot = await make_bot(None, **discord_sections(fake_discord))
    adapter = DiscordAdapter(bot.runtime(), guild_ready_timeout=0.05)
    await adapter.start()
    name = adapter.leadership.name
    try:
        assert name == "discord:1300000000000000001"  # the application, never the token
        assert (await bot.store.lease_holder(name)).holder == bot.store.process_id
        assert fake_discord.connections == 1
    finally:
        await adapter.stop()
    assert await bot.store.lease_holder(name) is None
