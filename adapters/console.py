"""The terminal chat: one thread, read from stdin, shown on stdout.

Works the same with a person at a TTY (colours, a spinner) and with piped input (plain text, or
one JSON event per line with `--json`, for scripts). Plans that need approval are asked about
with `approve? [y/N]`; the answer is the next input line, and end of input means no.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import mimetypes
import secrets
import sys
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.text import Text

from chatops.adapters.messages import head_and_tail, is_text_output, output_text, step_badge
from chatops.bot.hub import NO_ANSWER, Hub
from chatops.bot.model import (
    END_OF_INPUT,
    AnswerEvent,
    Attachment,
    Decision,
    DecisionEvent,
    Inbound,
    NoticeEvent,
    Outbound,
    PlanEvent,
    PlanStatus,
    Risk,
    StepEvent,
    StepStatus,
    ThreadRef,
    UserRef,
)
from chatops.bot.perception.media import read_local_file

PLATFORM = "console"
RISK_STYLE = {Risk.read: "green", Risk.write: "yellow", Risk.danger: "bold red"}
BADGE_STYLE = {"ok": "green", "problem": "bold yellow", "failed": "red", "interrupted": "red", "running": "cyan"}
OUTPUT_INDENT = "      "


def local_attachment(path: Path) -> Attachment:
    """A file on this machine, as an attachment the hub can fetch through `fetch_local`."""
    path = path.expanduser().resolve()
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Attachment(name=path.name, mime_type=mime, url=str(path), size=path.stat().st_size)


async def fetch_local(attachment: Attachment, max_bytes: int) -> bytes:
    return await read_local_file(Path(attachment.url or ""), max_bytes)


def new_thread_name() -> str:
    return f"chat-{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


class ConsoleChat:
    """Drives the hub from a terminal or a pipe."""

    def __init__(self, hub: Hub, *, user: UserRef, thread_name: str | None = None, json_mode: bool = False,
                 stdin: IO[str] | None = None, stdout: IO[str] | None = None,
                 attach: list[Path] | None = None) -> None:
        self.hub = hub
        self._staged: list[Attachment] = [local_attachment(path) for path in attach or []]
        self.user = user
        self.thread = ThreadRef(platform=PLATFORM, thread=thread_name or new_thread_name())
        self.json_mode = json_mode
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.interactive = self.stdin.isatty() and self.stdout.isatty()
        self.out = Console(file=self.stdout, force_terminal=self.stdout.isatty(), no_color=not self.stdout.isatty(),
                           highlight=False, soft_wrap=True)
        self.err = Console(file=sys.stderr, highlight=False, soft_wrap=True)
        self._pending: dict[str, PlanEvent] = {}
        self._eof = False

    # --- the loop ---------------------------------------------------------------------------------

    async def run(self) -> int:
        self.hub.add_sink(self._show)
        self.hub.add_fetcher(PLATFORM, fetch_local)
        try:
            await self._greet()
            while True:
                line = await self._read("› " if self.interactive else "")
                if line is None:
                    if self._staged:  # `--attach` with no text: send the files alone
                        await self._send("")
                    break
                command, _, argument = line.strip().partition(" ")
                if command in ("/quit", "/exit"):
                    break
                if command == "/attach":
                    self._stage(argument.strip())
                    continue
                if line.strip() or self._staged:
                    await self._send(line.strip())
        finally:
            self.hub.remove_sink(self._show)
        if self.interactive and not self.json_mode:
            self.out.print(Text(f"Thread saved: resume with `chatops chat --thread {self.thread.thread}`", "dim"))
        return 0

    async def _send(self, text: str) -> None:
        attachments, self._staged = self._staged, []
        inbound = Inbound(event_id=f"console-{secrets.token_hex(8)}", thread=self.thread, user=self.user,
                          text=text, attachments=attachments)
        async with self._busy():
            await self.hub.handle(inbound)
        await self._settle_pending()

    def _stage(self, argument: str) -> None:
        path = Path(argument).expanduser()
        if not argument or not path.is_file():
            self._say_notice(f"/attach needs a file path: {argument or '(none)'} is not a file", "warning")
            return
        self._staged.append(local_attachment(path))
        self._say_notice(f"attached {path.name}: it goes with your next message", "info")

    def _say_notice(self, text: str, level: str) -> None:
        event = NoticeEvent(thread=self.thread.id, text=text, level=level)  # type: ignore[arg-type]
        self._json(event) if self.json_mode else self._render(event)

    async def _greet(self) -> None:
        history = await self.hub.store.thread_history(self.thread.id, limit=10)
        if self.json_mode:
            self._json(NoticeEvent(thread=self.thread.id, text=f"thread {self.thread.thread}"))
            return
        if self.interactive:
            self.out.print(Text(f"chatops — thread {self.thread.thread}. Ask in plain words, !help, "
                                "or Ctrl-D to quit.", "bold"))
        else:  # a script needs the name to resume the thread (`--thread NAME`)
            self.out.print(Text(f"thread {self.thread.thread}"))
        for message in history:
            who = "you" if message["role"] == "user" else "bot"
            self.out.print(Text(f"[{who}] ", "dim") + Text(message["text"]))

    async def _settle_pending(self) -> None:
        """Ask about every plan this turn left waiting, until none is left (a re-plan can add one)."""
        while self._pending:
            plan_id = next(iter(self._pending))
            answer = None if self._eof else await self._read("approve? [y/N] ", prompt_to_stderr=self.json_mode)
            approve = (answer or "").strip().lower() in ("y", "yes")
            # end of input is no answer, not this person's denial: recorded and shown as such
            decision = Decision(plan_id=plan_id, approve=approve, user=self.user,
                                source=END_OF_INPUT if answer is None else "console")
            async with self._busy():
                outcome = await self.hub.decide(decision)
            if not outcome.accepted:
                self._pending.pop(plan_id, None)

    async def _read(self, prompt: str, *, prompt_to_stderr: bool = False) -> str | None:
        if self._eof:
            return None
        if prompt:
            target = self.err if prompt_to_stderr else self.out
            target.print(Text(prompt, "bold"), end="")
            (sys.stderr if prompt_to_stderr else self.stdout).flush()
        line = await asyncio.to_thread(self.stdin.readline)
        if not line:
            self._eof = True
            if prompt and (self.interactive or not prompt_to_stderr):
                self.out.print()
            return None
        if prompt and not self.interactive and not prompt_to_stderr:
            self.out.print(Text(line.rstrip("\n"), "dim"))  # echo, so a piped transcript reads well
        return line.rstrip("\n")

    @contextlib.asynccontextmanager
    async def _busy(self):
        if self.interactive and not self.json_mode:
            with self.out.status("working…", spinner="dots"):
                yield
        else:
            yield

    # --- showing events -----------------------------------------------------------------------------

    async def _show(self, thread: ThreadRef, event: Outbound) -> None:
        if thread.id != self.thread.id:
            return
        if isinstance(event, PlanEvent):
            if event.needs_approval and event.status is PlanStatus.proposed:
                self._pending[event.id] = event
            elif event.id in self._pending and event.status is not PlanStatus.proposed:
                self._pending.pop(event.id, None)
        elif isinstance(event, DecisionEvent) and event.accepted:
            self._pending.pop(event.plan_id, None)
        if self.json_mode:
            self._json(event)
        else:
            self._render(event)

    def _json(self, event: Any) -> None:
        self.stdout.write(json.dumps(event.model_dump(mode="json"), ensure_ascii=False) + "\n")
        self.stdout.flush()

    def _render(self, event: Outbound) -> None:
        out = self.out
        if isinstance(event, PlanEvent):
            if event.status is PlanStatus.expired:
                out.print(Text(f"Plan expired: {event.goal}", "yellow"))
                return
            asked = Text(f"  (requested by {event.requester})", "dim") if event.requester else Text("")
            out.print(Text("Plan: ", "bold") + Text(event.goal) + asked)
            for number, step in enumerate(event.steps, 1):
                args = " ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in step.args.items())
                line = Text(f"  {number}. ") + Text(step.tool, "bold") + Text(f" {args}" if args else "")
                line += Text(" [") + Text(step.risk.value, RISK_STYLE[step.risk]) + Text("]")
                if step.reason:
                    line += Text(f" — {step.reason}", "dim")
                out.print(line)
            if event.needs_approval and event.status is PlanStatus.proposed:
                out.print(Text("  Steps marked write/danger wait for approval; read steps run now. "
                               + self.hub.policy.who_may_approve(event), "dim"))
        elif isinstance(event, StepEvent):
            self._render_step(event)
        elif isinstance(event, DecisionEvent):
            if event.accepted and event.by == NO_ANSWER:
                out.print(Text(f"({NO_ANSWER})", "dim"))
            elif event.accepted:
                verb = "Approved" if event.decision == "approve" else "Denied"
                out.print(Text(f"{verb} by {event.by}.", "bold"))
            else:
                verb = "approved" if event.decision == "approve" else "denied"
                out.print(Text(f"Not {verb}: {event.reason}", "yellow"))
        elif isinstance(event, AnswerEvent):
            out.print(Text(event.text))
        elif isinstance(event, NoticeEvent):
            style = {"info": "dim", "warning": "yellow", "error": "red"}[event.level]
            out.print(Text(f"! {event.text}" if event.level != "info" else event.text, style))

    def _render_step(self, event: StepEvent) -> None:
        """`✓ tool ok (4 ms): summary`, then the whole output indented under it (long output keeps
        its head and tail, with a note), so `df` keeps its header and a log keeps every line."""
        badge = step_badge(event.status, event.outcome)
        style = BADGE_STYLE.get(badge.key, "dim")
        if event.status is StepStatus.running:
            self.out.print(Text(f"  {badge.mark} {event.tool} {badge.label}", style))
            return
        detail = (event.error or event.summary or "").strip()
        first = detail.splitlines()[0] if detail else ""
        took = f" ({event.duration_ms:.0f} ms)" if event.duration_ms is not None else ""
        self.out.print(Text(f"  {badge.mark} {event.tool} {badge.label}{took}", style) +
                       (Text(f": {first}") if first else Text("")))
        # text output in full (head and tail when long); structured results: their summary (and --json)
        output = output_text(event.result).strip("\n") if is_text_output(event.result) else ""
        if not output.strip() and "\n" in detail:
            output = detail
        if output.strip() and output.strip() != first:
            for line in head_and_tail(output).splitlines():
                self.out.print(Text(OUTPUT_INDENT + line, "dim" if line.startswith("… ") else ""))
