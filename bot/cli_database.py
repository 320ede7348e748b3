"""The commands that work on the stored data without a running bot: `audit`, `report`, `prune`
and `migrate-storage` (their flags are in `bot/cli.py`).

Each opens the configured store itself, does one thing, closes it, and says a database it
cannot use in one line (`storage_problem`, exit status 2), as `run` and `chat` do.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from chatops.bot.faults import StorageUnavailable

if TYPE_CHECKING:
    from chatops.bot.config import Config


def storage_problem(settings: Config, exc: StorageUnavailable) -> int:
    """One line saying why the database cannot be used; exit status 2."""
    typer.echo(f"chatops: cannot use the database {settings.storage.location}: {exc.message}", err=True)
    return 2


async def audit_entries(settings: Config, limit: int, **filters: str | None) -> list[dict]:
    """The newest `limit` audit entries matching `filters`, oldest first (`chatops audit`)."""
    from chatops.storage import Store

    store = await Store.open_configured(settings.storage)
    try:
        return await store.audit_log(limit, **filters)
    finally:
        await store.close()


async def stored_report(settings: Config, thread: str):
    """A thread's incident report as stored, or None when there is no such thread (`chatops report`)."""
    from chatops.adapters.messages import output_text
    from chatops.bot.incident_report import thread_report
    from chatops.storage import Store

    store = await Store.open_configured(settings.storage)
    try:
        return await thread_report(store, thread, output_text=output_text)
    finally:
        await store.close()


def prune_cutoff(before: str | None, settings: Config):
    """The moment before which `chatops prune` deletes: `--before` (UTC unless it says otherwise) or
    now minus `[storage] retention_days`. Raises ValueError with the line to show."""
    from datetime import UTC, datetime, timedelta

    if before is None:
        if not settings.storage.retention_days:
            raise ValueError("give --before YYYY-MM-DD, or set [storage] retention_days")
        return datetime.now(UTC) - timedelta(days=settings.storage.retention_days)
    try:
        moment = datetime.fromisoformat(before)
    except ValueError:
        raise ValueError(f"--before {before!r} is not a date like 2026-01-31") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def prune_store(settings: Config, cutoff, audit_too: bool) -> int:
    """Delete what is older than `cutoff`, vacuum, and say what went and the size before and after."""
    from chatops.storage import Store

    try:
        store = await Store.open_configured(settings.storage)
    except StorageUnavailable as exc:
        return storage_problem(settings, exc)
    try:
        size_before = await store.database_bytes()
        counts = await store.prune(cutoff, audit=audit_too)
        await store.vacuum()
        size_after = await store.database_bytes()
    except StorageUnavailable as exc:
        return storage_problem(settings, exc)
    finally:
        await store.close()
    deleted = ", ".join(f"{count} {table}" for table, count in counts.items() if count) or "nothing"
    typer.echo(f"pruned before {cutoff.isoformat(timespec='seconds')}: {deleted}; "
               f"database {size_before / 1e6:.1f} MB -> {size_after / 1e6:.1f} MB")
    return 0


async def copy_to_postgres(settings: Config, url: str) -> int:
    """`chatops migrate-storage`: refused while a bot uses the SQLite file; the copy is all or
    nothing, and every table's count is checked."""
    import psycopg

    from chatops.bot.config import redacted_url
    from chatops.storage import Store
    from chatops.storage.dialect import is_postgres_url
    from chatops.storage.postgres import postgres_fault
    from chatops.storage.transfer import TransferError, copy_sqlite_to_postgres

    source, shown = Path(settings.storage.path), redacted_url(url)
    if not is_postgres_url(url):
        typer.echo("chatops: --to takes a postgresql:// URL", err=True)
        return 2
    if not source.is_file():
        typer.echo(f"chatops: there is no SQLite database at {source} to copy", err=True)
        return 2
    try:
        store = await Store.open(source, lease_seconds=settings.storage.lease_seconds)  # at this release's schema
        try:
            running = await store.live_processes()
        finally:
            await store.close()
        if running:  # a copy taken under a running bot would miss what it writes meanwhile
            who = ", ".join(f"pid {p['pid']} on {p['host']}" for p in running)
            typer.echo(f"chatops: {source} is in use by a running chatops ({who}); stop it first, then copy",
                       err=True)
            return 2
        await (await Store.open(source, url=url, pool_size=1)).close()
        copies = await asyncio.to_thread(copy_sqlite_to_postgres, source, url, source.parent / "files")
    except StorageUnavailable as exc:
        typer.echo(f"chatops: cannot use the database: {exc.message}", err=True)
        return 2
    except psycopg.Error as exc:  # the copy itself failed (connection lost, a value refused): nothing committed
        fault = postgres_fault(exc)
        typer.echo(f"chatops: the copy failed, nothing was kept: {fault.message if fault else exc}", err=True)
        return 1
    except TransferError as exc:
        typer.echo(f"chatops: {exc}", err=True)
        return 1
    for copy in copies:
        unit = "files" if copy.table == "files" else "rows"
        typer.echo(f"{copy.table}: {copy.copied_rows} of {copy.source_rows} {unit}")
    total = sum(c.copied_rows for c in copies if c.table != "files")
    typer.echo(f"copied {total} rows from {source} to {shown}; every table's count matches. "
               f"Point [storage] url (or CHATOPS_STORAGE_URL) at it to use it.")
    return 0
