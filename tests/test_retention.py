"""Retention (issue 12, failure 11): old threads, messages, delivery ids and cached perception are
deleted and the space given back; plans still pending are never pruned; the audit log is kept
unless asked for."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from chatops.bot.maintenance import Maintenance
from chatops.bot.model import utcnow
from tests.conftest import both_backends
from tests.http.served import run_chatops

LATER = utcnow() + timedelta(days=1)  # "before" in the future: everything stored so far is old


async def table_counts(store) -> dict[str, int]:
    tables = ("threads", "messages", "plans", "steps", "events", "perception_cache", "audit")
    return await store._dispatch(lambda: {t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                                          for t in tables})


@both_backends
async def test_prune_deletes_old_threads_but_never_a_pending_plan(make_bot):
    bot = await make_bot()
    await bot.say("!ping host=old", thread="finished")
    await bot.say("!restart unit=web", thread="waiting")  # a write: waits for a decision
    await bot.store.remember_perception("f" * 64, "image", {"kind": "image", "text": "old"})
    audit_before = (await table_counts(bot.store))["audit"]

    deleted = await bot.store.prune(LATER)
    # the waiting thread's delivery id stays with it (issue 22, item 8): only the finished one goes
    assert deleted["threads"] == 1 and deleted["perception_cache"] == 1 and deleted["events"] == 1
    assert not await bot.store.thread_exists("console:finished")
    waiting = await bot.store.thread_view("console:waiting")
    assert waiting is not None and waiting["plans"][0]["status"] == "proposed"
    assert [p.id for p in await bot.store.pending_plans()] == [waiting["plans"][0]["id"]]
    counts = await table_counts(bot.store)
    assert counts["audit"] == audit_before + 1  # kept, plus the record of the pruning itself
    assert (counts["threads"], counts["plans"], counts["perception_cache"]) == (1, 1, 0)


@both_backends
async def test_a_retried_delivery_of_a_kept_threads_message_is_still_recognised_after_a_prune(make_bot):
    bot = await make_bot()
    await bot.say("!restart unit=web", thread="waiting", event_id="delivery-1")  # waits for a decision
    await bot.store.prune(LATER)
    assert await bot.say("!restart unit=web", thread="waiting", event_id="delivery-1") is False  # main: True
    waiting = await bot.store.thread_view("console:waiting")
    assert len(waiting["plans"]) == 1 and len([m for m in waiting["messages"] if m["role"] == "user"]) == 1


async def message_ids(store, thread_id: str) -> list[str]:
    return await store._dispatch(lambda: [r[0] for r in store.db.execute(
        "SELECT id FROM messages WHERE thread_id = ? AND role = 'user' ORDER BY created_at", [thread_id])])


@both_backends  # files/ beside a SQLite file; rows of `file_chunks` on PostgreSQL
async def test_prune_removes_the_attachment_bytes_only_the_pruned_threads_showed(make_bot):
    bot = await make_bot()
    await bot.say("!ping host=old", thread="finished")
    await bot.say("!restart unit=web", thread="waiting")  # kept: its plan waits for a decision
    own = await bot.store.keep_file(b"\x89PNG only the finished thread showed this")
    shared = await bot.store.keep_file(b"\x89PNG both threads showed this")
    for thread, digests in (("console:finished", [own, shared]), ("console:waiting", [shared])):
        [message_id] = await message_ids(bot.store, thread)
        await bot.store.set_perceived_text(message_id, "seen", [
            {"name": f"{d[:6]}.png", "mime_type": "image/png", "sha256": d} for d in digests])
    assert await bot.store.read_file(own) is not None

    deleted = await bot.store.prune(LATER)

    assert deleted["threads"] == 1 and deleted["files"] == 1
    assert await bot.store.read_file(own) is None  # main: the bytes stayed in files/
    assert not any(bot.store.files.root.rglob(own))
    assert await bot.store.read_file(shared) == b"\x89PNG both threads showed this"  # still shown


@both_backends
async def test_a_file_sent_again_since_the_cut_off_survives_the_prune(make_bot):
    bot = await make_bot()
    await bot.say("!ping host=old", thread="finished")
    digest = await bot.store.keep_file(b"\x89PNG sent again since")
    [message_id] = await message_ids(bot.store, "console:finished")
    await bot.store.set_perceived_text(message_id, "seen", [{"name": "a.png", "mime_type": "image/png",
                                                             "sha256": digest}])
    two_days_ago = (utcnow() - timedelta(days=2)).isoformat()
    await bot.store._dispatch(lambda: bot.store.db.execute("UPDATE threads SET updated_at = ?", [two_days_ago]))

    deleted = await bot.store.prune(utcnow() - timedelta(days=1))  # the thread is older, the file is not

    assert deleted["threads"] == 1 and deleted["files"] == 0
    assert await bot.store.read_file(digest) is not None  # a new message may be about to show it


@both_backends
async def test_prune_with_audit_also_deletes_old_audit_entries_and_the_log_stays_append_only(make_bot):
    bot = await make_bot()
    await bot.say("!ping host=old", thread="finished")
    deleted = await bot.store.prune(LATER, audit=True)
    assert deleted["audit"] > 0
    entries = await bot.store.audit_log(50)
    assert [e["kind"] for e in entries] == ["storage.pruned"]
    try:
        await bot.store._dispatch(lambda: bot.store.db.execute("DELETE FROM audit"))
    except Exception as exc:
        assert "append-only" in str(exc)
    else:
        raise AssertionError("the audit log accepted a DELETE after pruning")


@both_backends
async def test_retention_days_prunes_from_the_running_bot(make_bot):
    bot = await make_bot(storage={"retention_days": 1})
    await bot.say("!ping host=old", thread="finished")
    maintenance = Maintenance(bot.store, bot.config)
    maintenance._next_prune = 0  # due now (it first runs a minute after start, then daily)
    await maintenance.run_due()
    assert await bot.store.thread_exists("console:finished")  # younger than a day: kept
    assert any(e["kind"] == "storage.pruned" for e in await bot.store.audit_log(50))


@pytest.mark.sqlite_only  # the file's size on disk
async def test_chatops_prune_gives_the_space_back(make_bot, tmp_path: Path):
    bot = await make_bot()
    for index in range(150):
        await bot.say(f"!ping host=host-{index}-" + "x" * 400, thread=f"t{index}")
    await bot.hub.stop()
    size_before = bot.store.size_bytes()
    await bot.store.close()
    config = tmp_path / "prune.toml"
    config.write_text(textwrap.dedent(f"""
        [storage]
        path = "{bot.config.storage.path}"
    """))
    tomorrow = (utcnow() + timedelta(days=1)).date()  # now, not at import: the suite may cross midnight
    process = run_chatops("prune", "--config", str(config), "--before", tomorrow.isoformat(), cwd=tmp_path)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, out + err
    assert "150 threads" in out and "audit" not in out.split("database")[0]
    size_after = Path(bot.config.storage.path).stat().st_size
    assert size_after < size_before / 2, (size_before, size_after)

    refused = run_chatops("prune", "--config", str(config), "--before", "last tuesday", cwd=tmp_path)
    _, err = refused.communicate(timeout=60)
    assert refused.returncode == 2 and "is not a date" in err
