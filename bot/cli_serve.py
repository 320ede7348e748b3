"""`chatops run` and `chatops chat`: the runtime started, served until stopped, and closed.

Kept out of `bot/cli.py` (which holds every command's flags, the contract) because this is
the one long-lived path: signals, adapters started and stopped in order, the background
loading, and the start-up steps that wait through a database outage. Imported when one of
the two commands runs, never at start (`tests/test_startup.py`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from chatops.bot.cli_database import storage_problem
from chatops.bot.faults import StorageUnavailable

if TYPE_CHECKING:
    from chatops.bot.config import Config


async def chat_session(settings: Config, thread: str | None, json_mode: bool, attach: list[Path] | None = None) -> int:
    """`chatops chat`: the whole runtime (as `run` starts it) behind one terminal thread; the exit status."""
    from chatops.adapters.console import ConsoleChat
    from chatops.bot.model import UserRef
    from chatops.bot.runtime import start_runtime

    say_missing_extras(settings)
    try:
        runtime = await start_runtime(settings)
    except StorageUnavailable as exc:
        return storage_problem(settings, exc)
    for problem in runtime.problems:  # a server that did not start is said at once, not at first use
        typer.echo(f"warning: {problem}", err=True)
    try:
        user = UserRef(platform="console", id=settings.console.user, name=settings.console.user)
        return await ConsoleChat(runtime.hub, user=user, thread_name=thread, json_mode=json_mode,
                                 attach=attach).run()
    finally:
        await runtime.close()


def say_missing_extras(settings: Config) -> None:
    """Say, at start-up, each feature whose extra is not installed, with the command (those the
    configuration cannot start without were refused by the config check already)."""
    from chatops.bot.extras import missing_for

    for missing in missing_for(settings):
        if not missing.fatal:
            typer.echo(f"note: {missing.line()}", err=True)


async def through_outages(step: Callable[[], Awaitable[object]], what: str, pause: float = 5.0) -> None:
    """Run a start-up step that needs the database, again every `pause` seconds while the
    database cannot be reached."""
    while True:
        try:
            await step()
            return
        except StorageUnavailable as exc:
            typer.echo(f"warning: {what}: {exc.message}; trying again in {pause:g} s", err=True)
            await asyncio.sleep(pause)


async def serve(settings: Config) -> int:
    """`chatops run`: the adapters listen first, the tools, planner and models load behind them,
    and the bot serves until a signal or until every adapter is down; the exit status."""
    import signal

    from chatops.adapters.launch import AdapterConfigError, configured_adapters, import_adapters, planned_adapters
    from chatops.bot.runtime import start_runtime

    try:  # refused before any model loads
        if not planned_adapters(settings):
            typer.echo("chatops: nothing to start: configure [slack], [discord] or enable [http].", err=True)
            return 2
    except AdapterConfigError as exc:
        typer.echo(f"chatops: refusing to start: {exc}", err=True)
        return 2
    say_missing_extras(settings)
    from chatops.bot.allocator import trim_periodically
    from chatops.bot.heap_trace import start_if_asked
    from chatops.bot.reloading import forget_pid, pid_file, record_pid, write_report

    tracing = start_if_asked()  # a bench's memory trace (CHATOPS_HEAP_TRACE); None by default
    trimming = asyncio.create_task(trim_periodically(), name="chatops-malloc-trim")

    # listening first: the adapters' modules import while the database opens; the tools, the
    # planner and the models load in the background once the adapters listen
    importing = asyncio.ensure_future(asyncio.to_thread(import_adapters, settings))
    try:
        runtime = await start_runtime(settings, background=True)
    except StorageUnavailable as exc:
        await asyncio.gather(importing, return_exceptions=True)
        return storage_problem(settings, exc)
    await importing
    started = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    reloads: set[asyncio.Task[None]] = set()

    async def reload_on_signal() -> None:
        try:
            text = await runtime.reload()
        except Exception as exc:  # a failed reload leaves the bot running with its old tools
            logging.getLogger("chatops").exception("reload failed")
            text = f"Reload failed: {type(exc).__name__}: {exc}"
        write_report(settings, text)

    def on_hangup() -> None:
        task = loop.create_task(reload_on_signal(), name="chatops-reload")
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    async def once_loaded() -> None:
        """What waits for the tools and the planner: their problems, the turns a restart cut
        short, and the schedules."""
        assert runtime.loading is not None
        await runtime.loading
        for problem in runtime.problems:  # a server that did not start is said at once, not at first use
            typer.echo(f"warning: {problem}", err=True)
        # the database may be out right now (a PostgreSQL restart): a running bot lives through
        # that, so a starting one waits for it here instead of exiting (found by the chaos run)
        await through_outages(runtime.hub.republish_settled, "showing again the plans settled while it was down")
        if runtime.scheduler is not None:
            await through_outages(runtime.scheduler.start, "starting the schedules")

    loop.add_signal_handler(signal.SIGHUP, on_hangup)
    if record_pid(settings) is None:
        typer.echo(f"warning: cannot write {pid_file(settings)} (is the disk full?): `chatops reload` "
                   "cannot reach this bot; send it SIGHUP instead", err=True)
    loaded: asyncio.Task[None] | None = None
    try:
        adapters = configured_adapters(runtime)
        for adapter in adapters:
            try:
                await adapter.start()
            except Exception as exc:
                from chatops.bot.address_in_use import address_in_use

                typer.echo(address_in_use(adapter.name, exc, settings)
                           or f"chatops: the {adapter.name} adapter could not start: {exc}", err=True)
                return 1
            started.append(adapter)
            typer.echo(f"chatops {adapter.name}: {adapter.describe()}", err=False)
        runtime.begin_loading()  # the adapters listen: now the tools, the planner and the models
        loaded = asyncio.create_task(once_loaded(), name="chatops-once-loaded")
        typer.echo("Press Ctrl-C to stop.")
        stopping = asyncio.create_task(stop.wait())
        all_down = asyncio.create_task(runtime.health.wait_all_down())
        await asyncio.wait({stopping, all_down, loaded}, return_when=asyncio.FIRST_COMPLETED)
        while loaded.done() and not loaded.cancelled() and loaded.exception() is None \
                and not stopping.done() and not all_down.done():
            await asyncio.wait({stopping, all_down}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        all_down.cancel()
        if loaded.done() and not loaded.cancelled() and loaded.exception() is not None:
            typer.echo(f"chatops: could not finish starting: {runtime.warmup.failure or loaded.exception()}",
                       err=True)
            return 1
        if runtime.health.all_down():
            details = "; ".join(f"{name}: {status.detail or status.state}"
                                for name, status in runtime.health.snapshot().items())
            typer.echo(f"chatops: every adapter is down ({details}); exiting so a supervisor can restart it",
                       err=True)
            return 1
        return 0
    finally:
        trimming.cancel()
        if tracing is not None:
            tracing.cancel()
        if loaded is not None and not loaded.done():
            loaded.cancel()
        for adapter in reversed(started):
            try:
                await adapter.stop()
            except Exception as exc:  # stopping one adapter must not keep the others running
                typer.echo(f"chatops: stopping {adapter.name} failed: {exc}", err=True)
        loop.remove_signal_handler(signal.SIGHUP)
        forget_pid(settings)
        await runtime.close()
