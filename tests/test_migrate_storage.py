"""`chatops migrate-storage --to postgresql://…`: a SQLite database written by this release, copied
into an empty PostgreSQL database on a real server, reads the same there and goes on working."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chatops.bot.model import Decision, UserRef
from chatops.storage import Store
from tests.conftest import ScriptedModel, reply
from tests.http.served import run_chatops
from tests.postgres_server import PostgresServer

BOB = UserRef(platform="console", id="bob", name="bob")


def migrate(config: Path, url: str, cwd: Path) -> tuple[int, str, str]:
    process = run_chatops("migrate-storage", "--config", str(config), "--to", url, cwd=cwd)
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


@pytest.mark.sqlite_only  # the source is a SQLite file by definition
async def test_a_sqlite_database_is_copied_verified_and_goes_on_working_on_postgresql(
        make_bot, tmp_path: Path, postgres: PostgresServer):
    model = ScriptedModel([reply({"tool": "restart", "args": {"unit": "nginx"}})])
    bot = await make_bot(model.planner())
    for index in range(30):
        await bot.say(f"!ping host=h{index}", thread=f"t{index}")
    screenshot = b"\x89PNG a screenshot a message showed" * 50_000  # 1.7 MB: two chunks
    digest = await bot.store.keep_file(screenshot)
    await bot.say("restart nginx please", thread="pending")  # a plan that waits for a decision
    pending = await bot.store.pending_plans()
    assert len(pending) == 1, "the write step should wait for approval"
    pending_id = pending[0].id
    before_threads = await bot.store.list_threads(platform="console", limit=200)
    before_audit = await bot.store.audit_log(500)
    before_view = await bot.store.thread_view("console:t7")
    await bot.hub.stop()
    await bot.store.close()

    url = postgres.create_database()
    secret_url = url.replace("chatops@", "chatops:not-a-real-password@")  # trust auth ignores it
    config = tmp_path / "migrate.toml"
    config.write_text(textwrap.dedent(f"""
        [storage]
        path = "{bot.config.storage.path}"
    """))
    code, out, err = migrate(config, secret_url, tmp_path)
    assert code == 0, out + err
    assert "threads: 31 of 31 rows" in out and "every table's count matches" in out
    assert "files: 1 of 1 files" in out  # main: files/ was left behind, and thumbnails were 404s
    assert "not-a-real-password" not in out + err  # the URL is shown without its password

    store = await Store.open(tmp_path / "unused.db", url=url)
    try:
        assert await store.list_threads(platform="console", limit=200) == before_threads
        assert await store.audit_log(500) == before_audit
        assert await store.thread_view("console:t7") == before_view
        assert await store.read_file(digest) == screenshot  # every replica reads it from the database
        # the copied plan is still pending, and deciding it there works (ids and identities carried on)
        won, _ = await store.decide(Decision(plan_id=pending_id, approve=True, user=BOB))
        assert won
        await store.append_audit("after.migration")
        newest = (await store.audit_log(1))[0]
        assert newest["kind"] == "after.migration" and newest["id"] > max(e["id"] for e in before_audit)
    finally:
        await store.close()

    code, out, err = migrate(config, url, tmp_path)  # a second copy into the now-filled database
    assert code == 1 and "not empty" in err, out + err


@pytest.mark.sqlite_only
async def test_migrate_storage_refuses_what_it_cannot_copy(tmp_path: Path):
    config = tmp_path / "none.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "missing.db"}"\n')
    code, _, err = migrate(config, "postgresql://chatops@127.0.0.1:1/x", tmp_path)
    assert code == 2 and "no SQLite database" in err
    code, _, err = migrate(config, str(tmp_path / "other.db"), tmp_path)
    assert code == 2 and "postgresql://" in err


@pytest.mark.sqlite_only
async def test_migrate_storage_refuses_a_database_a_running_bot_uses(make_bot, tmp_path: Path):
    bot = await make_bot()  # started: registered, heartbeating within its lease
    await bot.say("!ping host=db1")
    config = tmp_path / "busy.toml"
    config.write_text(f'[storage]\npath = "{bot.config.storage.path}"\n')
    code, out, err = migrate(config, "postgresql://chatops@127.0.0.1:1/x", tmp_path)  # refused before connecting
    assert code == 2, out + err  # main: went on to copy under the running bot
    assert "is in use by a running chatops (pid " in err and "stop it first" in err
    await bot.hub.stop()  # a stopped bot is no longer in the way: the copy goes on to the target
    code, out, err = migrate(config, "postgresql://chatops@127.0.0.1:1/x", tmp_path)
    assert "in use" not in err and code == 2 and "cannot use the database" in err, out + err
