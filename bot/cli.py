"""The `chatops` command line (built on Typer): every command with its flags and its output.

The flags, the lines printed and the exit statuses are a contract with scripts, so they stay here
in one place; what a command does at length lives beside it, imported only when that command runs
(the start path stays small: `tests/test_startup.py`): `bot.cli_serve` (`run`, `chat`),
`bot.cli_database` (`audit`, `report`, `prune`, `migrate-storage`) and `bot.cli_files`
(`transcribe`, `describe`, `watch`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from chatops.bot import __version__

if TYPE_CHECKING:  # imported by the commands that read a config: `--version` needs none of it
    from chatops.bot.config import Config

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="chatops: a chat-ops bot whose agent plans tool calls and runs them once approved.")

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config (default: ./config.toml "
                                                                          "if present, else built-in defaults)")]
JsonOption = Annotated[bool, typer.Option("--json", help="one JSON object per line, for scripts")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"chatops {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="print the version and exit")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log to stderr at INFO")] = False,
) -> None:
    level = os.environ.get("CHATOPS_LOG_LEVEL", "INFO" if verbose else "WARNING").upper()
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _load(config_path: Path | None, *, starting: bool = False, listen: str | None = None) -> Config:
    """The configuration, checked exactly as `chatops check-config` checks it: on any problem,
    the same lines, and exit 2 before anything starts. `starting`: a command that loads the
    tools itself (`run`, `chat`) and prints their loading warnings then. `listen` (from
    `--listen`) wins over CHATOPS_HTTP_LISTEN and the file, and is checked like `[http] listen`."""
    from chatops.bot.config import resolve_config_path
    from chatops.bot.config_check import check_config as check

    path = resolve_config_path(config_path)
    report = check(path, installed_plugins=not starting,
                   environ={**os.environ, "CHATOPS_HTTP_LISTEN": listen} if listen else None)
    if report.problems or report.config is None:
        typer.echo(f"chatops: the configuration{f' in {path}' if path else ''} has problems "
                   "(chatops check-config lists them too):", err=True)
        for problem in report.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(2)
    return report.config


@app.command()
def init(
    path: Annotated[Path, typer.Option("--config", "-c", help="where to write it")] = Path("config.toml"),
    yes: Annotated[bool, typer.Option("--yes", "-y", help="take the defaults (web chat and terminal) "
                                                          "without asking")] = False,
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False,
    listen: Annotated[str, typer.Option("--listen", help="the web chat's HOST:PORT")] = "127.0.0.1:8765",
) -> None:
    """Write a commented config.toml: the surfaces you choose, starter runbooks that only pretend,
    and roles; then print the next command."""
    from chatops.bot.config import LISTEN, ConsoleConfig
    from chatops.bot.init_config import DEFAULT_SURFACES, Choices, next_command, render

    if path.exists() and not force:
        typer.echo(f"chatops: {path} already exists; keeping it (--force overwrites it)", err=True)
        raise typer.Exit(1)
    if not LISTEN.match(listen):
        typer.echo(f"chatops: --listen {listen!r} is not HOST:PORT (like 127.0.0.1:8765)", err=True)
        raise typer.Exit(2)
    surfaces = set(DEFAULT_SURFACES)
    if not yes:
        questions = (("web", "The web chat and HTTP API (on loopback)?", True),
                     ("slack", "Slack (tokens come from the environment later)?", False),
                     ("discord", "Discord (the token comes from the environment later)?", False))
        for surface, question, default in questions:
            if typer.confirm(question, default=default):
                surfaces.add(surface)
            else:
                surfaces.discard(surface)
    choices = Choices(surfaces=frozenset(surfaces), listen=listen, login=ConsoleConfig().user)  # the terminal's user
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(choices), encoding="utf-8")
    typer.echo(next_command(choices, str(path)))


@app.command()
def chat(
    config: ConfigOption = None,
    thread: Annotated[str | None, typer.Option("--thread", "-t", help="resume (or name) a stored thread")] = None,
    json_mode: JsonOption = False,
    attach: Annotated[list[Path] | None, typer.Option(
        "--attach", "-a", exists=True, dir_okay=False,
        help="a voice note, image or video clip for the first message")] = None,
) -> None:
    """Talk to the bot in one thread, from a terminal or a pipe (`/attach PATH` adds a file)."""
    settings = _load(config, starting=True)
    from chatops.bot.cli_serve import chat_session

    raise typer.Exit(asyncio.run(chat_session(settings, thread, json_mode, attach or [])))


@app.command()
def run(
    config: ConfigOption = None,
    listen: Annotated[str | None, typer.Option(
        "--listen", help="HOST:PORT for the web chat and API (over CHATOPS_HTTP_LISTEN and [http] listen)")] = None,
) -> None:
    """Start every configured adapter (Slack, Discord, the HTTP API and web chat) until Ctrl-C."""
    settings = _load(config, starting=True, listen=listen)
    from chatops.bot.allocator import limit_arenas
    from chatops.bot.cli_serve import serve

    limit_arenas()  # before the threads that would each get an arena (bot/allocator.py)
    raise typer.Exit(asyncio.run(serve(settings)))


@app.command("slack-manifest")
def slack_manifest(
    config: ConfigOption = None,
    name: Annotated[str, typer.Option("--name", help="the app's name in Slack")] = "chatops",
    request_url: Annotated[str | None, typer.Option(
        "--request-url", help="HTTP mode: the public https URL that reaches /slack/events")] = None,
) -> None:
    """Print the Slack app manifest (JSON) to paste into api.slack.com/apps → Create New App."""
    from chatops.adapters.slack.manifest import slack_manifest as build_manifest
    from chatops.adapters.slack.manifest import suggested_prompts
    from chatops.bot.runtime import build_registry

    settings = _load(config)
    registry, _ = build_registry(settings)  # MCP servers' tools are not started for this
    prompts = suggested_prompts(registry.specs())
    typer.echo(json.dumps(build_manifest(settings, name=name, request_url=request_url, prompts=prompts), indent=2))


@app.command("discord-invite")
def discord_invite(
    config: ConfigOption = None,
    client_id: Annotated[str | None, typer.Option("--client-id", help="the application id (read from the token "
                                                                       "when omitted)")] = None,
) -> None:
    """Print the URL that invites the bot to a Discord server with the permissions it needs."""
    from chatops.adapters.discord.invite import invite_url

    settings = _load(config)
    try:
        typer.echo(invite_url(settings, client_id=client_id))
    except ValueError as exc:
        typer.echo(f"chatops: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def tools(config: ConfigOption = None, json_mode: JsonOption = False) -> None:
    """List the tools the bot can plan with (MCP servers are started to list theirs)."""
    settings = _load(config)
    registry, problems = asyncio.run(_list_tools(settings))
    for problem in problems:
        typer.echo(f"warning: {problem}", err=True)
    # a runbook's own timeout, not the executor's outer bound (which adds a margin to collect output)
    configured = {runbook.name: runbook.timeout for runbook in settings.runbooks}
    if json_mode:
        described = registry.describe()
        for entry in described:
            if entry["source"] == "runbook":
                entry["timeout"] = configured.get(entry["name"], entry["timeout"])
        typer.echo(json.dumps(described, indent=2))
        return
    for spec in registry.specs():
        params = ", ".join(spec.parameters_schema.get("properties", {}))
        timeout = configured.get(spec.name, spec.timeout) if spec.source == "runbook" else spec.timeout
        why = f" [risk: {spec.risk_reason}]" if spec.risk_reason else ""
        typer.echo(f"{spec.name:<20} {spec.risk.value:<7} {spec.source:<8} {timeout:>5g} s  ({params}) "
                   f"{spec.summary}{why}")


async def _list_tools(settings: Config) -> tuple:
    from chatops.bot.runtime import build_registry
    from chatops.bot.toolbox import Toolbox

    toolbox = Toolbox(settings, build=build_registry)
    try:
        problems = await toolbox.start()
        return toolbox.registry, problems
    finally:
        await toolbox.stop()


@app.command()
def reload(config: ConfigOption = None) -> None:
    """Make the running bot (`chatops run`) re-read runbooks, plugin folders and MCP servers."""
    from chatops.bot.reloading import ReloadUnavailable, request_reload

    try:
        typer.echo(request_reload(_load(config)))
    except ReloadUnavailable as exc:
        typer.echo(f"chatops: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def audit(
    config: ConfigOption = None,
    thread: Annotated[str | None, typer.Option("--thread", help="one thread (its id or name)")] = None,
    user: Annotated[str | None, typer.Option("--user", help="what a user did or requested (id or name)")] = None,
    tool: Annotated[str | None, typer.Option("--tool", help="entries about one tool")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="an entry kind (step.failed) or family (step)")] = None,
    since: Annotated[str | None, typer.Option("--since", help="a duration ago (1h, 30m, 2d) or a date")] = None,
    json_mode: JsonOption = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="how many entries")] = 50,
) -> None:
    """The audit log, newest last: who did what, with which tool and arguments (redacted), the
    decision and the outcome."""
    from chatops.bot.audit_rows import line, parse_since, row
    from chatops.bot.cli_database import audit_entries
    from chatops.bot.redaction import Redactor

    settings = _load(config)
    try:
        after = parse_since(since) if since else None
    except ValueError as exc:
        typer.echo(f"chatops: {exc}", err=True)
        raise typer.Exit(2) from None
    entries = asyncio.run(audit_entries(settings, limit, thread=thread, user=user, tool=tool, kind=kind, since=after))
    redactor = Redactor(settings.secret_values())
    for entry in entries:
        item = row(entry, redactor)
        typer.echo(json.dumps(item, ensure_ascii=False) if json_mode else line(item))


@app.command()
def report(
    config: ConfigOption = None,
    thread: Annotated[str, typer.Option("--thread", help="the thread id (as the API shows it)")] = "",
    format_: Annotated[str, typer.Option("--format", help="md (Markdown) or html")] = "md",
) -> None:
    """The incident report of a thread: its timeline in UTC (alert fired and resolved, messages
    with what was perceived, plans, decisions, steps with their output) after a summary (time to
    acknowledge, to first action, to resolve). What a post-mortem starts from."""
    from chatops.bot.cli_database import stored_report
    from chatops.bot.incident_report import to_html, to_markdown
    from chatops.bot.redaction import Redactor

    if format_ not in ("md", "html") or not thread:
        typer.echo("chatops: report needs --thread ID, and --format is md or html", err=True)
        raise typer.Exit(2)
    settings = _load(config)
    found = asyncio.run(stored_report(settings, thread))
    if found is None:
        typer.echo(f"chatops: no thread {thread!r} in {settings.storage.location}", err=True)
        raise typer.Exit(1)
    text = to_markdown(found) if format_ == "md" else to_html(found)
    typer.echo(Redactor(settings.secret_values()).text(text), nl=False)


@app.command()
def prune(
    config: ConfigOption = None,
    before: Annotated[str | None, typer.Option(
        "--before", help="delete what is older than this date (YYYY-MM-DD, UTC; default: now minus "
                         "[storage] retention_days)")] = None,
    audit_too: Annotated[bool, typer.Option("--audit", help="delete old audit-log entries too (kept otherwise)")]
    = False,
) -> None:
    """Delete old threads, messages, delivery ids and cached perception, then give the space back.
    Plans still waiting for a decision or running are never deleted."""
    from chatops.bot.cli_database import prune_cutoff, prune_store

    settings = _load(config)
    try:
        cutoff = prune_cutoff(before, settings)
    except ValueError as exc:
        typer.echo(f"chatops: {exc}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(asyncio.run(prune_store(settings, cutoff, audit_too)))


@app.command("migrate-storage")
def migrate_storage(
    to: Annotated[str, typer.Option("--to", help="the empty PostgreSQL database to copy into: postgresql://…")],
    config: ConfigOption = None,
) -> None:
    """Copy the SQLite database ([storage] path) into an empty PostgreSQL database and verify the counts."""
    from chatops.bot.cli_database import copy_to_postgres

    settings = _load(config)
    raise typer.Exit(asyncio.run(copy_to_postgres(settings, to)))


@app.command("check-config")
def check_config(
    config: ConfigOption = None,
    connect: Annotated[bool, typer.Option("--connect", help="also try what it points at: the LLM endpoint, "
                                                            "the database, every MCP server")] = False,
) -> None:
    """Validate the configuration in one pass; print every problem with its key, exit 1 if any."""
    from chatops.bot.config import resolve_config_path
    from chatops.bot.config_check import check_config as check

    path = resolve_config_path(config)
    report = check(path)
    for problem in [*report.problems, *report.warnings]:  # tools that cannot load: the bot starts without them
        typer.echo(problem)
    if report.config is not None:  # features that say so when used; the rest of the bot runs
        from chatops.bot.extras import missing_for

        for missing in missing_for(report.config):
            if not missing.fatal:
                typer.echo(f"note: {missing.line()}")
    failed = bool(report.problems or report.warnings)
    if connect and report.config is not None:
        from chatops.bot.probes import run_probes

        for probe in asyncio.run(run_probes(report.config)):
            typer.echo(probe.line())
            failed = failed or not probe.ok
    if failed:
        raise typer.Exit(1)
    typer.echo(f"{path or 'built-in defaults'}: OK")


@app.command()
def transcribe(
    file: Annotated[Path, typer.Argument(help="a voice note: ogg, webm, m4a, mp3, wav, flac", exists=True,
                                         dir_okay=False)],
    config: ConfigOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Transcribe an audio file with the bot's own pipeline."""
    from chatops.bot.cli_files import perceive_file

    raise typer.Exit(asyncio.run(perceive_file(_load(config), file, json_mode, expect="audio")))


@app.command()
def describe(
    image: Annotated[Path, typer.Argument(help="a screenshot or photo", exists=True, dir_okay=False)],
    config: ConfigOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Read an image (OCR, facts, and a description when the LLM accepts images)."""
    from chatops.bot.cli_files import perceive_file

    raise typer.Exit(asyncio.run(perceive_file(_load(config), image, json_mode, expect="image")))


@app.command()
def watch(
    video: Annotated[Path, typer.Argument(help="a video clip: mp4, webm, mov, mkv", exists=True, dir_okay=False)],
    config: ConfigOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Perceive a video clip: what is said and what is on screen, as a timeline."""
    from chatops.bot.cli_files import perceive_file

    raise typer.Exit(asyncio.run(perceive_file(_load(config), video, json_mode, expect="video")))


@app.command("eval")
def evaluate(
    cases: Annotated[Path, typer.Argument(help="JSONL file of requests with expected steps", exists=True)],
    model: Annotated[str | None, typer.Option("--model", "-m", help="model to evaluate (default: llm.model)")] = None,
    config: ConfigOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Measure a model's tool choice and argument accuracy on a set of requests."""
    from chatops.bot.evaluation import evaluate as run_evaluation

    report = asyncio.run(run_evaluation(_load(config), cases, model=model))
    typer.echo(json.dumps(report.as_dict(), indent=2) if json_mode else report.render())


def main() -> None:
    # numpy's OpenBLAS runs one thread: the bot's matrices are tiny (the sentence encoder, audio),
    # and changing the count while another thread multiplies can hang OpenBLAS for good
    # (threadpoolctl#205), as a stopping bot once did in its encoder's warm-up. Set before numpy loads.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from chatops.bot.allocator import limit_arenas

    # every command, before any thread allocates: `chat` loads the same models as `run`, and each
    # thread that allocates at once would get its own glibc arena (bot/allocator.py)
    limit_arenas()
    app()
