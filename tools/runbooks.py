"""Runbooks from config: how a team adds an action without writing Python.

Each `[[runbooks]]` entry becomes a `ToolSpec`. Its parameters become a pydantic model (so the
planner sees a JSON schema and bad arguments are refused before anything runs), and its `argv`
template is filled by plain placeholder replacement and executed directly — its arguments are
never parsed by a shell (a `/bin/sh` gate holds the program until its process group is recorded,
then `exec`s it with `"$@"`) — in a new session with a minimal environment, a hard timeout that
kills the whole process group, and output capture that never holds more than a head and a tail in
memory.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import os
import re
import shlex
import signal
import time
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic_core import PydanticCustomError

from chatops.bot.config import RunbookConfig, RunbookParam
from chatops.bot.text import unsafe_characters
from chatops.tools.context import ToolContext
from chatops.tools.process_groups import dying_with_parent, gated, program_problem, read_stat, start_ticks
from chatops.tools.readings import is_problem, read_output
from chatops.tools.registry import DEFAULT_FROM, ToolSpec, format_validation_error, without_titles

log = logging.getLogger(__name__)

# Variables a child may inherit from the bot; everything else (tokens, keys) stays behind.
INHERITED_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
# Extra seconds the executor's outer bound waits, so the runbook's own kill logic runs first.
OUTER_TIMEOUT_MARGIN = 5.0
TERMINATE_GRACE = 2.0  # seconds between SIGTERM and SIGKILL
CHECKPOINT_EVERY = 1.0  # seconds between saves of the output so far (kept if the bot dies)
READ_CHUNK = 64 * 1024
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")  # the same spelling bot.config checks


class RunbookError(Exception):
    """A runbook could not be started (missing variable, directory or program)."""


class RunbookResult(BaseModel):
    """What one runbook run produced; the exact argv is kept so the audit trail shows it."""

    argv: list[str]
    exit_code: int
    stdout: str
    stderr: str
    duration_ms: float
    timed_out: bool = False

    def summary(self) -> str:
        """`exit 0 in 120 ms: <last stdout line>` — what a chat message has room for — or, for output
        in a well-known format (`df`), what it means in people's words."""
        if self.exit_code == 0 and not self.timed_out:
            reading = read_output(self.stdout)  # "/ is 26 % full (75 GB free)", not df's last line
            if reading:
                return reading
        state = "timed out" if self.timed_out else f"exit {self.exit_code}"
        line = _last_line(self.stdout) or ("" if self.exit_code == 0 else _last_line(self.stderr))
        text = f"{state} in {self.duration_ms:.0f} ms"
        return f"{text}: {_shorten(line)}" if line else text


    def problem(self) -> str | None:
        """Output that ran fine but reports trouble (a disk 95 % full or more) is a finding."""
        if self.exit_code == 0 and not self.timed_out and is_problem(self.stdout):
            return self.summary()
        return None


class RunbookFailed(RunbookError):
    """The program ran but did not succeed (non-zero exit or timeout); `.result` has its output."""

    def __init__(self, message: str, result: RunbookResult) -> None:
        super().__init__(message)
        self.result = result


# --- parameters -------------------------------------------------------------------------------


def _no_dash(value: Any) -> Any:
    if str(value).startswith("-"):
        raise PydanticCustomError("leading_dash", "must not start with '-' (it would read as an option)")
    return value


def _no_control(value: str) -> str:
    """No control characters (NUL, newlines, ESC, `\x0b`, `\x85`, …), line separators or
    bidirectional overrides: they can split a log line, recolour a terminal or hide text."""
    unsafe = unsafe_characters(value)
    if unsafe:
        raise PydanticCustomError(
            "control_character", "must not contain control or line-separator characters (found {found})",
            {"found": ", ".join(unsafe)})
    return value


def _whole_value(pattern: str | None) -> str | None:
    """Patterns must match the whole value: `[a-z]+` must refuse `x; reboot`, although JSON
    Schema and pydantic would accept any value that merely contains a match."""
    if pattern is None or (pattern.startswith("^") and pattern.endswith("$")):
        return pattern
    return f"^(?:{pattern})$"


def _param_type(param: RunbookParam) -> Any:
    """The annotated type of one parameter; every check lives in the type, so a refusal is a
    `ValidationError` that names the field."""
    checks: list[Any] = [AfterValidator(_no_control)] if param.type in ("string", "enum") else []
    if not param.allow_leading_dash:
        # A negative int reads as an option too (`kill -1`), so it is held to the same rule.
        checks.append(AfterValidator(_no_dash))
    if param.type == "string":
        return Annotated[str, Field(pattern=_whole_value(param.pattern), max_length=param.max_length), *checks]
    if param.type == "int":
        return Annotated[int, Field(ge=param.min, le=param.max), *checks]
    if param.type == "bool":
        return bool
    if param.aliases:  # "pg" is read as "postgresql" before the value is checked
        aliases = {alias.lower(): value for alias, value in param.aliases.items()}
        checks.insert(0, BeforeValidator(lambda v: aliases.get(v.lower(), v) if isinstance(v, str) else v))
        extra = Field(json_schema_extra={"x-aliases": dict(param.aliases)})
        return Annotated[Literal[tuple(param.values or ())], extra, *checks]
    return Annotated[Literal[tuple(param.values or ())], *checks]


def _parameters_model(runbook: RunbookConfig) -> type[BaseModel]:
    """A pydantic model of the runbook's parameters. Fields are named `p0, p1, …` with the
    config's names as aliases, so any TOML key works (`dry-run`, `model_dump`, `_x`)."""
    fields: dict[str, Any] = {}
    for index, (name, param) in enumerate(runbook.params.items()):
        annotation = _param_type(param)
        if param.default is None and param.default_from:  # empty unless the thread fills it
            fields[f"p{index}"] = (annotation, Field("", alias=name, description=param.description or None,
                                                     json_schema_extra={DEFAULT_FROM: param.default_from}))
            continue
        if param.default is None:
            fields[f"p{index}"] = (annotation, Field(alias=name, description=param.description or None))
            continue
        try:  # a bad default is the config author's mistake: say so at load, not at run time
            default = TypeAdapter(annotation, config=ConfigDict(regex_engine="python-re")).validate_python(
                param.default
            )
        except ValidationError as exc:
            message = format_validation_error(exc)
            raise ValueError(f"runbook {runbook.name!r}: default of {name!r} is invalid: {message}") from None
        fields[f"p{index}"] = (annotation, Field(default, alias=name, description=param.description or None))
    # python-re: the same regex engine bot.config used to check the patterns
    config = ConfigDict(extra="forbid", regex_engine="python-re", populate_by_name=False)
    model_name = "".join(part.title() for part in runbook.name.split("_")) + "Args"
    return create_model(model_name, __config__=config, **fields)


# --- argv and environment ---------------------------------------------------------------------


def _render(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def build_argv(template: list[str], values: dict[str, Any]) -> list[str]:
    """Fill `{name}` placeholders in one pass. Not `str.format`: a value is inserted verbatim and
    never re-scanned, so `{other}` or `{0.__class__}` inside a value stays literal text."""
    rendered = {name: _render(value) for name, value in values.items()}

    def replace(match: re.Match[str]) -> str:
        return rendered.get(match.group(1), match.group(0))

    return [_PLACEHOLDER.sub(replace, element) for element in template]


def child_environment(runbook: RunbookConfig, environ: dict[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: the bot's own tokens and keys must not leak into a script; a
    secret reaches it only when the runbook names it in `env_from`."""
    environ = dict(os.environ) if environ is None else environ
    env = {name: environ[name] for name in INHERITED_ENVIRONMENT if name in environ}
    env.update(runbook.env)
    for name, variable in runbook.env_from.items():
        if variable not in environ:
            raise RunbookError(f"runbook {runbook.name!r}: environment variable {variable} (for {name}) is not set")
        env[name] = environ[variable]
    return env


def _working_directory(runbook: RunbookConfig) -> Path | None:
    if runbook.cwd is None:
        return None
    path = Path.cwd() / runbook.cwd
    if not path.is_dir():
        raise RunbookError(f"runbook {runbook.name!r}: working directory {str(path)!r} does not exist")
    return path


# --- running ----------------------------------------------------------------------------------


class _Capture:
    """The head and the tail of a stream, never more: a runaway log must not fill the bot's memory."""

    def __init__(self, limit: int) -> None:
        self.head_limit = limit // 2
        self.tail_limit = limit - self.head_limit
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > self.tail_limit:
                del self.tail[: len(self.tail) - self.tail_limit]

    async def drain(self, stream: asyncio.StreamReader | None) -> None:
        while stream is not None and (chunk := await stream.read(READ_CHUNK)):
            self.add(chunk)

    def text(self) -> str:
        omitted = self.total - len(self.head) - len(self.tail)
        if omitted == 0:
            return bytes(self.head + self.tail).decode("utf-8", errors="replace")
        # cut on character boundaries: hold back a split sequence at the end of the head and
        # skip continuation bytes at the start of the tail
        head = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(bytes(self.head), final=False)
        start = 0
        while start < min(3, len(self.tail)) and 0x80 <= self.tail[start] <= 0xBF:
            start += 1
        tail = bytes(self.tail[start:]).decode("utf-8", errors="replace")
        return f"{head}\n… {omitted} bytes omitted …\n{tail}"


def _signal_group(pgid: int, signum: int) -> bool:
    """Signal a process group; False when nobody is left in it."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member changed identity (setuid); nothing more we may do
        return True
    return True


def _group_alive(pgid: int) -> bool:
    """Whether the group still has a running member. Zombies do not count: in a container whose
    PID 1 never reaps, an orphan's zombie would otherwise hold every kill for the full grace."""
    if not _signal_group(pgid, 0):
        return False
    try:
        entries = [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:  # no procfs: the signal test above is all there is
        return True
    for entry in entries:  # every 50 ms of a termination's grace: read_stat, not pathlib (issue 23)
        stat = read_stat(entry)
        if not stat:
            continue
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]  # the name may contain spaces
        if int(pgrp) == pgid and state not in ("Z", "X"):
            return True
    return False


async def _terminate_group(process: asyncio.subprocess.Process, grace: float = TERMINATE_GRACE) -> None:
    """SIGTERM the whole group, give it `grace` seconds, then SIGKILL whatever is left. The
    SIGKILL is in a `finally`, so even a second cancellation during the grace cannot skip it."""
    pgid = process.pid  # start_new_session: the child leads its own group
    try:
        if not _signal_group(pgid, signal.SIGTERM):
            return
        deadline = time.monotonic() + grace
        # the leader is reaped by asyncio's child watcher; the others by whoever inherits them
        while time.monotonic() < deadline and _group_alive(pgid):
            await asyncio.sleep(0.05)
    finally:
        _signal_group(pgid, signal.SIGKILL)


async def _report(ctx: ToolContext, message: str) -> None:
    """Progress is a courtesy: a chat hiccup must not abort a restart half-way."""
    try:
        await ctx.progress(message)
    except Exception:
        log.warning("progress callback failed", exc_info=True)


async def _tell(call: Any, *args: Any) -> None:
    """Bookkeeping callbacks (child started, output so far) must not fail the run."""
    try:
        await call(*args)
    except Exception:
        log.warning("a runbook bookkeeping callback failed", exc_info=True)


async def _checkpoints(ctx: ToolContext, argv: list[str], stdout: _Capture, stderr: _Capture) -> None:
    """Save the output so far every second while it grows, so a crash keeps what was captured."""
    seen = 0
    while True:
        await asyncio.sleep(CHECKPOINT_EVERY)
        if stdout.total + stderr.total != seen:
            seen = stdout.total + stderr.total
            await _tell(ctx.checkpoint, {"argv": argv, "stdout": stdout.text(), "stderr": stderr.text(),
                                         "partial": True})


async def run_runbook(runbook: RunbookConfig, argv: list[str], ctx: ToolContext) -> RunbookResult:
    """Run `argv` as the runbook says. Raises `RunbookError` when it cannot start and
    `RunbookFailed` on a non-zero exit or a timeout. The child dies with the bot (parent-death
    signal) and its process group is recorded before the program runs (it waits behind a gate
    until then, see `tools.process_groups`), so nothing it starts can outlive a bot killed
    meanwhile unrecorded."""
    env = child_environment(runbook)
    cwd = _working_directory(runbook)
    gate = gated(argv, env)
    command = dying_with_parent(gate or argv)
    if command[0] != argv[0] and (problem := program_problem(argv[0], env, cwd)) is not None:
        _refuse_start(runbook, argv, problem)  # behind the gate or setpriv an exec error is no OSError here
    started = time.monotonic()
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.PIPE if gate else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # no preexec_fn: see tools.process_groups
        )
    except OSError as exc:
        _refuse_start(runbook, argv, exc)
    except ValueError as exc:  # a NUL byte in a literal argv element or env value from the config
        raise RunbookError(f"runbook {runbook.name!r}: cannot start {argv[0]!r}: {exc}") from None

    stdout, stderr = _Capture(runbook.output_limit), _Capture(runbook.output_limit)
    tasks = [
        asyncio.create_task(stdout.drain(process.stdout)),
        asyncio.create_task(stderr.drain(process.stderr)),
        asyncio.create_task(process.wait()),
    ]
    saver = asyncio.create_task(_checkpoints(ctx, argv, stdout, stderr))
    timed_out = False
    try:
        if gate is None:
            await _tell(ctx.child_started, process.pid, start_ticks(process.pid))
        else:
            await _record_then_open(ctx, runbook, process)
        await _report(ctx, f"started: {' '.join(shlex.quote(arg) for arg in argv)}")
        remaining = max(0.0, started + runbook.timeout - time.monotonic())
        # Done means the program exited AND its output closed: a background child still
        # holding stdout keeps the step running, and is killed with the group at the deadline.
        _, pending = await asyncio.wait(tasks, timeout=remaining)
        if pending:
            timed_out = True
            await _terminate_group(process)
            await asyncio.wait(pending, timeout=1.0)  # the rest of the output, if it comes
    finally:
        # Cancelled (the executor's outer timeout), failed, or finished: nothing it started
        # may outlive the step.
        saver.cancel()
        await _terminate_group(process)
        for task in tasks:
            task.cancel()
        await _tell(ctx.child_ended, process.pid)
    exit_code = process.returncode if process.returncode is not None else await process.wait()

    result = RunbookResult(
        argv=argv,
        exit_code=exit_code,
        stdout=stdout.text(),
        stderr=stderr.text(),
        duration_ms=round((time.monotonic() - started) * 1000, 1),
        timed_out=timed_out,
    )
    if timed_out:
        raise RunbookFailed(f"timed out after {runbook.timeout:g} s (process group killed)", result)
    if exit_code != 0:
        line = _last_line(result.stderr) or _last_line(result.stdout)
        message = _describe_exit(exit_code) + (f": {_shorten(line)}" if line else "")
        raise RunbookFailed(message, result)
    return result


def _refuse_start(runbook: RunbookConfig, argv: list[str], exc: OSError) -> NoReturn:
    if isinstance(exc, FileNotFoundError):
        raise RunbookError(f"runbook {runbook.name!r}: program {argv[0]!r} not found") from None
    raise RunbookError(f"runbook {runbook.name!r}: cannot start {argv[0]!r}: {exc.strerror}") from None


async def _record_then_open(ctx: ToolContext, runbook: RunbookConfig, process: asyncio.subprocess.Process) -> None:
    """Record the group, then let the program run. A group that could not be recorded would be
    nobody's to kill after a crash: the program never runs (the gate is killed with its group)."""
    try:
        await ctx.child_started(process.pid, start_ticks(process.pid))
    except Exception as exc:
        log.warning("runbook %s not started: its process group could not be recorded", runbook.name, exc_info=True)
        raise RunbookError(f"runbook {runbook.name!r}: not started, nothing ran: its process could not be "
                           f"recorded ({exc})") from None
    await _open_gate(process)


async def _open_gate(process: asyncio.subprocess.Process) -> None:
    """Say "go" to the gate: one line, then end of input (the program's stdin is /dev/null). A
    gate already gone (killed) needs no word: its group is terminated like any other."""
    assert process.stdin is not None
    try:
        process.stdin.write(b"go\n")
        await process.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        process.stdin.close()


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"exit code {code} (killed by {signal.Signals(-code).name})"
        except ValueError:
            pass
    return f"exit code {code}"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the tool ---------------------------------------------------------------------------------


def runbook_tool(runbook: RunbookConfig) -> ToolSpec:
    """One `[[runbooks]]` entry as a tool. Raises `ValueError` when a default does not fit its
    own parameter, so a broken config is reported at start-up, not mid-incident."""
    model = _parameters_model(runbook)

    def validate_args(args: dict[str, Any]) -> dict[str, Any]:
        return model.model_validate(args).model_dump(by_alias=True)

    async def run(ctx: ToolContext, args: dict[str, Any]) -> RunbookResult:
        # validated again: the argv must never be built from arguments that skipped the checks
        values = validate_args(args)
        return await run_runbook(runbook, build_argv(runbook.argv, values), ctx)

    keywords = dict.fromkeys([*runbook.keywords, *(word for word in runbook.name.split("_") if word)])
    return ToolSpec(
        name=runbook.name,
        description=runbook.description,
        risk=runbook.risk,
        timeout=float(runbook.timeout) + OUTER_TIMEOUT_MARGIN,
        roles=tuple(runbook.roles),
        parameters_schema=without_titles(model.model_json_schema(by_alias=True)),
        run=run,
        validate_args=validate_args,
        source="runbook",
        keywords=tuple(keywords),
        examples=tuple(runbook.examples),
        origin=runbook.model_dump_json(),  # argv, cwd, env, the names in env_from, params, limits
    )


def runbook_tools(runbooks: list[RunbookConfig]) -> list[ToolSpec]:
    """Every configured runbook as a tool, in config order."""
    return [runbook_tool(runbook) for runbook in runbooks]
