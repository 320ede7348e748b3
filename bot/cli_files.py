"""`chatops transcribe`, `describe` and `watch`: one local file through the bot's own perception,
as a chat attachment would go, printed as the part the planner would see (or `--json`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from chatops.bot.config import Config


async def perceive_file(settings: Config, path: Path, json_mode: bool, *, expect: str) -> int:
    """Perceive `path` with the same limits and types as an upload; a refusal is printed like a
    part (as `expect`, the kind the command was for) and exits 1."""
    from chatops.bot.perception.media import declared_type, read_local_file, to_media
    from chatops.bot.perception.pipeline import Perceiver
    from chatops.bot.perception.types import PerceptionError
    from chatops.bot.runtime import build_perceiver, build_registry

    registry, _ = build_registry(settings)
    perceiver = build_perceiver(settings, registry, store=None)
    try:
        try:
            limit = settings.perception.limit_for(declared_type(path.name, ""))
            media = to_media(path.name, await read_local_file(path, limit), settings.perception.allowed_types)
            part = await perceiver.perceive(media)
        except PerceptionError as exc:
            part = Perceiver.refusal(path.name, expect, str(exc))
    finally:
        perceiver.close()
    typer.echo(part.model_dump_json(indent=2) if json_mode else part.render())
    return 0 if part.ok else 1
