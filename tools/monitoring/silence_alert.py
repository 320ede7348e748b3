"""`silence_alert`: create an Alertmanager silence (`POST /api/v2/silences`), a write step.

It changes what people are told, so it always waits for an approval; the silence says who
approved it (`createdBy`) and which thread asked (its comment). It reaches one server only,
`[alerts] alertmanager_url`. Registered only when that is set (`bot.runtime.build_registry`).
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import aiohttp
from pydantic import BaseModel, ConfigDict, Field

from chatops.tools.context import ToolContext
from chatops.tools.monitoring.prometheus_query import range_seconds
from chatops.tools.registry import DEFAULT_FROM, tool

DURATION = r"^[1-9][0-9]{0,3}[smhdw]$"  # 30m, 2h, 1d: what `range_seconds` reads
# how a matcher list starts (`alertname="X"`, `{job=~"web.*"}`): so a planner never takes "this" for one
MATCHERS_START = r'^\s*\{?\s*[A-Za-z_][A-Za-z0-9_]*\s*(=~|!=|!~|=)\s*"'
MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')


class SilenceOptions(BaseModel):
    """`[tools.silence_alert]` (its URL comes from `[alerts] alertmanager_url`)."""

    model_config = ConfigDict(extra="forbid")
    alertmanager_url: str = Field(pattern=r"^https?://")  # filled from `[alerts] alertmanager_url`
    timeout: float = Field(15.0, gt=0, le=120)  # seconds per request to Alertmanager


class SilenceResult(BaseModel):
    silence_id: str
    matchers: str
    ends_at: str
    created_by: str

    def summary(self) -> str:
        return f"silenced {self.matchers} until {self.ends_at} (silence {self.silence_id}, by {self.created_by})"


def parse_matchers(text: str) -> list[dict[str, object]]:
    """`alertname="X", instance="web:9100"` (Alertmanager's matcher syntax) → the API's matchers."""
    found, position = [], 0
    text = text.strip().removeprefix("{").removesuffix("}")
    while position < len(text):
        match = MATCHER.match(text, position)
        if match is None:
            raise ValueError(f'matchers must be name="value" pairs separated by commas, not {text[position:]!r}')
        name, operator, value = match.groups()
        value = re.sub(r"\\(.)", r"\1", value)  # \" and \\ as written inside quotes
        found.append({"name": name, "value": value, "isRegex": "~" in operator,
                      "isEqual": not operator.startswith("!")})
        position = match.end()
    if not found:
        raise ValueError("give at least one matcher, e.g. alertname=\"HighLatency\"")
    return found


@tool(risk="write", timeout=30, options=SilenceOptions,
      keywords=("silence", "mute", "snooze", "quiet"),  # not "alert": every alert thread says it
      examples=('silence alertname="HighLatency" for 2h',))
async def silence_alert(ctx: ToolContext,
                        duration: Annotated[str, Field(pattern=DURATION)] = "1h",
                        matchers: Annotated[str, Field(pattern=MATCHERS_START,
                                                       json_schema_extra={DEFAULT_FROM: "alert.labels"})] = "",
                        comment: str = "") -> SilenceResult:
    """Silence alerts in Alertmanager for a while.

    Args:
        duration: For how long, e.g. 30m, 1h or 2h.
        matchers: Which alerts, as name="value" pairs separated by commas; in an alert's thread, its alert's labels.
        comment: Why; the thread that asked is added.
    """
    options = SilenceOptions.model_validate(ctx.config)
    parsed = parse_matchers(matchers)
    now = datetime.now(UTC)
    ends = now + timedelta(seconds=range_seconds(duration))
    created_by = (ctx.approver or ctx.requester.key).rpartition(":")[2] or "chatops"
    body = {"matchers": parsed, "startsAt": now.isoformat(), "endsAt": ends.isoformat(), "createdBy": created_by,
            "comment": f"{comment.strip() + ' — ' if comment.strip() else ''}from chatops thread {ctx.thread.id}"}
    async with asyncio.timeout(options.timeout), aiohttp.ClientSession() as session, \
            session.post(options.alertmanager_url.rstrip("/") + "/api/v2/silences", json=body) as response:
        answer = await response.json(content_type=None)
    if response.status != 200 or "silenceID" not in (answer or {}):
        raise RuntimeError(f"Alertmanager answered {response.status}: {answer}")
    return SilenceResult(silence_id=str(answer["silenceID"]), matchers=matchers,
                         ends_at=ends.isoformat(timespec="seconds"), created_by=created_by)
