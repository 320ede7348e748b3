"""Storage faults are named (issue 12, failure 6): a full disk is 507 `storage_full`, a read-only
database 503 `storage_read_only`, each with a notice in the thread; `/healthz` checks free space
and a real write; the bot recovers once space returns; `chatops run` on an unwritable database
exits 2 with one line. Real SQLite limits (`max_page_count`, `query_only`) and, where this test
may mount, a real tiny tmpfs."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatops.bot.faults import StorageFull
from tests.http.served import free_port, run_chatops, run_config, serve

# a full disk and a read-only file; PostgreSQL's own faults are in tests/test_postgres_faults.py
pytestmark = pytest.mark.sqlite_only

BIG = "x" * 12_000  # more than a page: storing it needs new pages


async def cap_database(store, pages: int | None) -> None:
    """Let the database file grow no further (SQLITE_FULL), or lift the cap."""
    def apply() -> None:
        current = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {current if pages is None else pages}")
    await store._dispatch(apply)


async def test_a_full_database_is_507_storage_full_and_recovers_without_a_restart(start_web):
    web = await start_web()
    await cap_database(web.bot.store, None)
    refused = await web.request("POST", "/api/v1/threads", json={"text": "!ping host=db1 " + BIG})
    assert refused.status == 507, refused.body
    assert refused.body["error"]["code"] == "storage_full"
    assert "Nothing was stored" in refused.body["error"]["message"]
    notices = [e for e in web.bot.of_type("notice") if e.level == "error"]
    assert notices and "cannot store anything right now" in notices[-1].text

    await cap_database(web.bot.store, 1_000_000)  # space is back
    accepted = await web.request("POST", "/api/v1/threads", json={"text": "!ping host=db1 " + BIG})
    assert accepted.status == 201, accepted.body


async def test_a_read_only_database_is_503_storage_read_only(start_web):
    web = await start_web()
    await web.bot.store._dispatch(lambda: web.bot.store.db.execute("PRAGMA query_only = ON"))
    try:
        refused = await web.request("POST", "/api/v1/threads", json={"text": "!ping"})
        assert refused.status == 503 and refused.body["error"]["code"] == "storage_read_only"
        health = await web.request("GET", "/healthz")
        assert health.status == 503 and "read-only" in health.body["database"]
    finally:
        await web.bot.store._dispatch(lambda: web.bot.store.db.execute("PRAGMA query_only = OFF"))
    assert (await web.request("POST", "/api/v1/threads", json={"text": "!ping"})).status == 201


async def test_a_chat_turn_on_a_full_disk_says_so_in_the_thread(make_bot):
    bot = await make_bot()
    await cap_database(bot.store, None)
    with pytest.raises(StorageFull):
        await bot.say("!ping " + BIG)
    assert bot.calls.of("ping") == []
    assert "the database is full" in bot.of_type("notice")[-1].text


async def test_health_checks_free_space_not_only_a_write(start_web):
    web = await start_web(storage={"min_free_mb": 10**9})  # more than any disk here has free
    health = await web.request("GET", "/healthz")
    assert health.status == 503
    assert health.body["database"].startswith("disk nearly full") and health.body["free_bytes"] >= 0


@contextlib.contextmanager
def tiny_disk(folder: Path, size: str = "4m") -> Iterator[Path]:
    """A real, tiny file system (tmpfs) mounted at `folder`; skips where mounting is not allowed."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill(folder: Path) -> Path:
    """Fill the file system until writing fails (ENOSPC). Unbuffered: a buffered file would try to
    write its last partial chunk again on close, and fail there, outside the `suppress`."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 65536)
    return filler


async def test_a_real_full_disk_is_named_and_the_bot_recovers_when_space_returns(start_web, tmp_path: Path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    with tiny_disk(tmp_path / "disk") as disk:
        web = await start_web(storage={"path": str(disk / "bot.db"), "min_free_mb": 1})
        assert (await web.request("GET", "/healthz")).status == 200
        filler = fill(disk)
        health = await web.request("GET", "/healthz")
        assert health.status == 503 and health.body["free_bytes"] < 1024 * 1024
        for _ in range(50):  # the log and free pages hold a little; then the disk is full
            refused = await web.request("POST", "/api/v1/threads", json={"text": "!ping " + BIG})
            if refused.status != 201:
                break
        assert refused.status == 507 and refused.body["error"]["code"] == "storage_full", refused.body
        filler.unlink()
        accepted = await web.request("POST", "/api/v1/threads", json={"text": "!ping host=db1"})
        assert accepted.status == 201, accepted.body
        assert (await web.request("GET", "/healthz")).status == 200
        await web.adapter.stop()
        await web.bot.hub.stop()
        await web.bot.store.close()
        web.bot.hub.lifecycle.registered = False


def test_run_on_a_read_only_database_exits_2_with_one_line(tmp_path: Path):
    port = free_port()
    with contextlib.ExitStack() as stack:
        if os.geteuid() == 0:
            folder = stack.enter_context(tiny_disk(tmp_path / "disk"))
        else:
            folder = tmp_path / "disk"
            folder.mkdir()
        config = run_config(tmp_path / "chatops.toml", database=folder / "bot.db", listen=f"127.0.0.1:{port}")
        first = run_chatops("audit", "--config", str(config), cwd=tmp_path)  # creates the database
        assert first.wait(timeout=60) == 0
        if os.geteuid() == 0:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        else:
            for path in folder.iterdir():
                path.chmod(0o444)
            folder.chmod(0o555)
        process = run_chatops("run", "--config", str(config), cwd=tmp_path)
        out, err = process.communicate(timeout=60)
        assert process.returncode == 2, out + err
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and "cannot use the database" in lines[0], err
        assert "Traceback" not in out + err


def _health(url: str) -> tuple[int, dict]:
    import json
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_restart_on_a_full_four_megabyte_disk_runs_and_recovers_when_space_returns(tmp_path: Path):
    """Issue 22, item 9: after the disk filled, a restart on a 4 MB disk exited 2 (the first write,
    registering the process, failed; the pid file too). A full disk is not a broken database:
    the restarted bot serves, /healthz names the full disk, writes get 507, and once space returns
    it registers and answers without another restart. The write-ahead log stays under 4 MB."""
    import time

    from chatops.storage.store import WAL_SIZE_LIMIT

    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    port = free_port()
    with tiny_disk(tmp_path / "disk") as disk:
        config = run_config(tmp_path / "chatops.toml", database=disk / "bot.db", listen=f"127.0.0.1:{port}")
        config.write_text(config.read_text().replace("[storage]\n", "[storage]\nmin_free_mb = 1\nlease_seconds = 3\n"))
        with serve(config, port) as first:
            filler = fill(disk)
            for _ in range(50):  # the log and free pages hold a little; then the disk is full
                status, body = first.call("POST", "/api/v1/threads", {"text": "!ping " + BIG})
                if status != 201:
                    break
            assert status == 507 and body["error"]["code"] == "storage_full", body
        wal = Path(str(disk / "bot.db") + "-wal")
        assert not wal.exists() or wal.stat().st_size < WAL_SIZE_LIMIT

        with serve(config, port, healthy=False) as again:  # main: exit 2, "cannot use the database"
            status, health = _health(again.url)
            assert status == 503 and health["free_bytes"] < 1024 * 1024, health
            status, body = again.call("POST", "/api/v1/threads", {"text": "!ping host=db1"})
            assert status == 507 and body["error"]["code"] == "storage_full", body
            filler.unlink()
            deadline = time.monotonic() + 30
            while _health(again.url)[0] != 200:
                assert time.monotonic() < deadline, _health(again.url)
                time.sleep(0.2)
            status, body = again.call("POST", "/api/v1/threads", {"text": "!ping host=db1"})
            assert status == 201, body
        # the operator is told, at start or at the first write that fails (whether the start's own
        # registration still fits depends on how much of the log a checkpoint freed: storage/checkpointer.py)
        assert any(said in again.output for said in ("starting on a full disk", "cannot be written yet",
                                                     "the database is full")), again.output
