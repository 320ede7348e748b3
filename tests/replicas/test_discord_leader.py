"""Discord leader failover (issue 15): two `chatops run` processes on one database and one fake
Discord. Exactly one holds the gateway session; the other stands by, healthy. When the leader is
killed (SIGKILL: no clean stop, its heartbeat just ends), the standby connects within the lease,
answers the next mention, and a click on a card the dead leader posted is accepted and runs once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from chatops.storage import Store
from tests.conftest import CHATOPS, REPO
from tests.discord.conftest import ALICE, BOB, MENTION, buttons, card_plan_id, cards_in, eventually, said
from tests.fakes.discord_gateway import GUILD_ID, ONCALL_ROLE, TOKEN, FakeDiscord
from tests.http.served import free_port
from tests.postgres_server import shared_server

LEASE_SECONDS = 6  # short, so the test waits seconds; 3 s once let a leader starved of CPU at start (two
# loaded cores, the other test worker decoding video with Whisper base) miss its renewals, and the standby took over


@pytest_asyncio.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


@dataclass
class SharedStorage:
    """Where every replica stores: one SQLite file, or one PostgreSQL database (`url`; the SQLite
    path then only keeps attachments)."""

    path: Path
    url: str | None = None

    def section(self) -> str:
        return f'path = "{self.path}"' + (f'\nurl = "{self.url}"' if self.url else "")

    async def card_ref(self, plan_id: str) -> dict[str, Any] | None:
        """Where the store says a plan's Discord card is (read as any replica reads it)."""
        store = await Store.open(self.path, url=self.url, pool_size=1)
        try:
            return await store.ref_of("discord", "plan_card", plan_id)
        finally:
            await store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request, tmp_path) -> SharedStorage:
    url = shared_server().create_database() if request.param == "postgresql" else None
    return SharedStorage(tmp_path / "shared.db", url)


@dataclass
class Replica:
    name: str
    process: asyncio.subprocess.Process
    port: int
    log: Path
    first_line: str = ""

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with aiohttp.ClientSession() as session, \
                session.get(f"http://127.0.0.1:{self.port}/healthz") as response:
            return response.status, await response.json()

    async def discord_state(self) -> str:
        _, body = await self.health()
        return body["adapter_states"]["discord"]["state"]


def appending_runbook(ran: Path) -> str:
    """`restart_service`, a write runbook that appends the unit to `ran`: one line per real run."""
    return textwrap.dedent(f"""
        [[runbooks]]
        name = "restart_service"
        description = "Restart a service (test: appends the unit to a file)"
        argv = ["{sys.executable}", "-c",
                "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + chr(10))", "{ran}", "{{unit}}"]
        risk = "write"
        timeout = 20
        [runbooks.params.unit]
        type = "string"
        pattern = "^[a-z0-9@._-]+$"
    """)


@pytest_asyncio.fixture
async def start_replica(tmp_path, fake_discord, storage) -> AsyncIterator[Callable[..., Any]]:
    """`await start_replica(name)` → a `chatops run` process whose Discord adapter has started
    (connected or standing by) and whose /healthz answers."""
    replicas: list[Replica] = []
    ran = tmp_path / "ran.txt"

    async def start(name: str) -> Replica:
        port = free_port()
        folder = tmp_path / name
        folder.mkdir()
        config = folder / "config.toml"
        config.write_text(textwrap.dedent(f"""
            [storage]
            {storage.section()}
            lease_seconds = {LEASE_SECONDS}
            [llm]
            model = "test"
            [http]
            listen = "127.0.0.1:{port}"
            [discord]
            guilds = ["{GUILD_ID}"]
            api_base_url = "{fake_discord.api_base_url}"
            gateway_url = "{fake_discord.gateway_url}"
            [roles.oncall]
            discord = ["role:{ONCALL_ROLE}"]
        """) + appending_runbook(ran))
        environment = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
        environment.update(CHATOPS_DISCORD_TOKEN=TOKEN, PYTHONPATH=str(REPO), NO_COLOR="1")
        log = folder / "stderr.log"
        with log.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(str(CHATOPS), "run", "--config", str(config), cwd=folder,
                                                           env=environment, stdout=asyncio.subprocess.PIPE,
                                                           stderr=stderr)
        replica = Replica(name, process, port, log)
        replicas.append(replica)
        line = await asyncio.wait_for(process.stdout.readline(), timeout=120)
        replica.first_line = line.decode()
        assert replica.first_line.startswith("chatops discord: "), (replica.first_line, log.read_text())

        async def healthy() -> bool:
            try:
                return (await replica.health())[0] == 200
            except aiohttp.ClientError:
                return False

        await eventually(healthy, timeout=60, what=f"/healthz of {name}")
        return replica

    start.ran = ran  # type: ignore[attr-defined]
    yield start
    for replica in replicas:
        if replica.process.returncode is None:
            replica.process.kill()
            await replica.process.wait()


async def test_the_standby_takes_over_the_gateway_when_the_leader_is_killed(start_replica, fake_discord, storage):
    ran: Path = start_replica.ran
    leader = await start_replica("a")
    assert leader.first_line.startswith("chatops discord: logged in as chatops"), leader.first_line
    standby = await start_replica("b")
    assert standby.first_line.startswith("chatops discord: standby: another replica holds the gateway"), \
        standby.first_line

    # exactly one gateway session, and it stays so over a few lease renewals
    await asyncio.sleep(LEASE_SECONDS)
    assert fake_discord.connections == 1 and fake_discord.displaced == 0
    assert await leader.discord_state() == "up"
    status, body = await standby.health()
    assert status == 200 and body["status"] == "ok" and body["adapter_states"]["discord"]["state"] == "standby"

    # a card posted by the leader, still waiting for a decision when it dies
    request = await fake_discord.say(ALICE, f"{MENTION} !restart_service unit=web")
    card = (await eventually(lambda: cards_in(fake_discord, request["id"]), timeout=60, what="the card"))[0]
    plan_id = card_plan_id(card)
    # the leader records where the card is just after Discord has it: kill it once that is stored
    # (a kill in between leaves the card unknown, and the new leader would post a fresh one)
    await eventually(lambda: storage.card_ref(plan_id), timeout=30, what="the card's place in the store")

    leader.process.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    await leader.process.wait()

    await eventually(lambda: fake_discord.connections == 2 and fake_discord.session_open, timeout=LEASE_SECONDS * 4,
                     what="the standby's gateway session")
    took_over = time.monotonic() - killed
    assert took_over < LEASE_SECONDS * 2, f"the standby connected {took_over:.1f} s after the kill"
    await eventually(lambda: _state_is(standby, "up"), timeout=30, what="the standby reported up")

    follow_up = await fake_discord.say(ALICE, f"{MENTION} !current_time timezone=UTC")
    await eventually(said(fake_discord, follow_up["id"], "Done:"), timeout=60, what="the new leader's answer")

    await fake_discord.click(card["id"], buttons(card)["Approve"], BOB)
    await eventually(said(fake_discord, request["id"], "Done:"), timeout=60, what="the approved plan's answer")
    assert buttons(fake_discord.messages[card["id"]]) == {}  # the old card, edited by the new leader
    await asyncio.sleep(1)
    assert ran.read_text() == "web\n"  # ran once
    assert fake_discord.connections == 2 and fake_discord.displaced == 0

    standby.process.send_signal(signal.SIGINT)
    code = await asyncio.wait_for(standby.process.wait(), timeout=60)
    assert code == 0, standby.log.read_text()


async def _state_is(replica: Replica, state: str) -> bool:
    return await replica.discord_state() == state


async def test_a_message_sent_while_no_replica_held_the_gateway_is_answered_once_by_the_new_leader(
        start_replica, fake_discord, storage):
    """Issue 22, item 11: Discord delivers a message only to the session open when it is sent;
    during the failover gap there is none. The new leader reads the channels it serves and the
    threads with recent activity (`GET /channels/{id}/messages?after=`) and answers what it
    missed, while what the dead leader answered is dropped by its delivery id."""
    leader = await start_replica("a")
    await start_replica("b")
    before = await fake_discord.say(ALICE, f"{MENTION} !current_time timezone=UTC")
    await eventually(said(fake_discord, before["id"], "Done:"), timeout=60, what="the leader's answer")

    leader.process.send_signal(signal.SIGKILL)
    await leader.process.wait()
    await eventually(lambda: not fake_discord.session_open, timeout=10, what="the dead leader's session to close")
    gap = await fake_discord.say(ALICE, f"{MENTION} !current_time timezone=Europe/Paris")  # delivered to nobody
    assert fake_discord.deliveries_of("MESSAGE_CREATE", gap["id"]) == 0

    await eventually(lambda: fake_discord.connections == 2 and fake_discord.session_open,
                     timeout=LEASE_SECONDS * 4, what="the standby's gateway session")
    answers = await eventually(said(fake_discord, gap["id"], "Done:"), timeout=60,
                               what="the answer to the message sent in the gap")  # main: never
    assert fake_discord.history_reads, "the new leader read the channels' history"
    await asyncio.sleep(2)  # a second answer to either message would have come by now
    assert len(said(fake_discord, gap["id"], "Done:")()) == len(answers) == 1
    assert len(said(fake_discord, before["id"], "Done:")()) == 1  # the dead leader's answer is not repeated
