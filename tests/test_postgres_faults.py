"""PostgreSQL's own faults, on a real server of the test's own: the probe of `check-config
--connect`, and the database going away under a running bot and coming back."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.faults import StorageUnavailable
from bot.probes import probe_database
from storage import Store
from tests.conftest import make_config
from tests.polling import eventually
from tests.postgres_server import PostgresServer, running_postgres


@pytest.fixture
def own_server():
    """A server no other test uses, so this one may stop it."""
    with running_postgres() as server:
        yield server


async def test_the_probe_names_the_schema_and_never_shows_a_password(tmp_path: Path, postgres: PostgresServer):
    url = postgres.create_database()
    fresh = await probe_database(make_config(tmp_path, storage={"url": url}))
    assert fresh.ok and "first start creates the schema" in fresh.detail
    await (await Store.open(tmp_path / "x.db", url=url)).close()
    migrated = await probe_database(make_config(tmp_path, storage={"url": url}))
    assert migrated.ok and "schema" in migrated.detail and "of" in migrated.detail

    wrong = url.replace("chatops@", "intruder:hunter2-secret@")
    refused = await probe_database(make_config(tmp_path, storage={"url": wrong}))
    assert not refused.ok and refused.key == "storage.url"
    assert "hunter2-secret" not in refused.line() and "intruder:***@" in refused.line()


async def test_the_database_going_away_is_said_and_the_bot_recovers_when_it_returns(make_bot, own_server):
    bot = await make_bot(storage={"url": own_server.create_database()})
    await bot.say("!current_time", thread="before")
    assert (await bot.store.thread_view("console:before"))["messages"][-1]["role"] == "bot"

    own_server.stop(mode="fast")
    with pytest.raises(StorageUnavailable):
        await bot.say("!current_time", thread="during")
    notices = [event for event in bot.of_type("notice") if "cannot store anything" in event.text]
    assert notices, "the thread is told the turn could not be stored"

    own_server.start()

    async def answered() -> bool:
        try:
            await bot.say("!current_time", thread="after")
        except StorageUnavailable:
            return False
        view = await bot.store.thread_view("console:after")
        return view is not None and view["messages"][-1]["role"] == "bot"

    await eventually(answered, timeout=30)  # the pool replaced the broken connections, no restart


async def test_a_turn_the_outage_stopped_is_not_held_up_by_further_trips_to_the_database(make_bot, own_server,
                                                                                       caplog):
    """Issue 22, item 5: a POST took 10 s to get its 503 because the notice that storage failed,
    and the thread lease's release, each waited on the unreachable database again."""
    bot = await make_bot(storage={"url": own_server.create_database(), "thread_leases": True})
    await bot.say("!current_time", thread="before")
    own_server.stop(mode="fast")
    with pytest.raises(StorageUnavailable):
        await bot.say("!current_time", thread="during")
    notices = [event for event in bot.of_type("notice") if "cannot store anything" in event.text]
    assert notices  # shown at once...
    assert "could not keep a notice" not in caplog.text  # ...without a second wait (main: logged)
    assert "could not release the lease" not in caplog.text  # released in the background instead
    own_server.start()


def test_chatops_run_on_an_unreachable_server_exits_2_with_one_line_and_no_password(tmp_path: Path):
    from tests.http.served import free_port, run_chatops

    config = tmp_path / "down.toml"
    config.write_text(f'[storage]\nurl = "postgresql://chatops:hunter2-secret@127.0.0.1:{free_port()}/chatops"\n'
                      f'[http]\nlisten = "127.0.0.1:{free_port()}"\n')
    process = run_chatops("run", "--config", str(config), cwd=tmp_path)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 2, out + err
    line = next(line for line in err.splitlines() if line.startswith("chatops: cannot use the database"))
    assert "postgresql://chatops:***@127.0.0.1" in line and "Connection refused" in line
    assert "hunter2-secret" not in out + err
