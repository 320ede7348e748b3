"""`ToolContext`: the only thing a tool receives from the bot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.model import ThreadRef, UserRef

ProgressCallback = Callable[[str], Awaitable[None]]


async def _ignore_progress(_message: str) -> None:
    return None


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
