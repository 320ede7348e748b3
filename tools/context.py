"""`ToolContext`: the only thing a tool receives from the bot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from chatops.bot.model import ThreadRef, UserRef

ProgressCallback = Callable[[str], Awaitable[None]]
ChildStarted = Callable[[int, str], Awaitable[None]]
ChildEnded = Callable[[int], Awaitable[None]]
Checkpoint = Callable[[Any], Awaitable[None]]
Attach = Callable[[str, str, bytes], Awaitable[dict[str, Any]]]


async def _ignore_progress(_message: str) -> None:
    return None


async def _ignore_child_started(_pgid: int, _start_ticks: str) -> None:
    return None


async def _ignore_child_ended(_pgid: int) -> None:
    return None


async def _ignore_checkpoint(_partial: Any) -> None:
    return None


async def _no_attachments(name: str, mime_type: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "mime_type": mime_type, "size": len(data), "sha256": None}


@dataclass(frozen=True)
class ToolContext:
    """Who asked, in which thread, where to report progress, and the tool's own config table
    (`[tools.<name>]`). Tools never see the adapter, the storage or other tools."""

    requester: UserRef
    thread: ThreadRef
    plan_id: str = ""
    step_id: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    progress: ProgressCallback = _ignore_progress
    child_started: ChildStarted = _ignore_child_started
    """A tool that starts OS processes reports each process group (and its leader's start time)
    here, so that a bot started after a crash can kill what this one left running."""
    child_ended: ChildEnded = _ignore_child_ended
    """The process group is gone (reaped or killed)."""
    checkpoint: Checkpoint = _ignore_checkpoint
    """The output so far, kept with the step if the bot dies before the step finishes."""
    approver: str | None = None
    """Who approved this step (a user key such as `http:alice`), for a step that needed it: a
    tool that acts in another system can say who allowed it (a silence's `createdBy`)."""
    attach: Attach = _no_attachments
    """`await ctx.attach(name, mime_type, data)`: a file the step made (a chart), kept with the
    step and shown on every surface; returns its `name`, `mime_type`, `size` and `sha256`."""
