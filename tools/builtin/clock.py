"""`current_time`: the time now in a timezone, so the model never has to guess it."""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel

from chatops.tools.registry import tool


class CurrentTime(BaseModel):
    """The current instant in one timezone."""

    iso: str
    timezone: str
    unix: float
    abbreviation: str = ""
    utc_offset: str = ""

    def summary(self) -> str:
        """`2025-06-01 14:03:07 CEST (Europe/Berlin, UTC+02:00)`."""
        moment = datetime.fromisoformat(self.iso)
        return f"{moment:%A %Y-%m-%d %H:%M:%S} {self.abbreviation} ({self.timezone}, UTC{self.utc_offset})"


def _zone(name: str) -> ZoneInfo:
    """The zone for an IANA name, forgiving case (`europe/berlin`) and suggesting near misses."""
    name = name.strip()
    if name.upper() in ("UTC", "Z", "GMT"):
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    known = available_timezones()
    by_lower = {zone.lower(): zone for zone in known}
    if name.lower() in by_lower:
        return ZoneInfo(by_lower[name.lower()])
    close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else " (use an IANA name such as Europe/Berlin)"
    raise ValueError(f"unknown timezone {name!r}{hint}")


@tool(
    risk="read",
    timeout=5,
    keywords=("time", "date", "day", "today", "now", "clock", "utc", "timezone"),
    examples=("what time is it in Tokyo?", "what is the date today?"),
)
async def current_time(timezone: str = "UTC") -> CurrentTime:
    """Get the current date and time in a timezone.

    Args:
        timezone: An IANA timezone name such as UTC, Europe/Berlin or America/New_York.
    """
    zone = _zone(timezone)
    now = datetime.now(UTC).astimezone(zone)
    offset = now.strftime("%z")
    return CurrentTime(
        iso=now.isoformat(),
        timezone=zone.key,
        unix=now.timestamp(),
        abbreviation=now.tzname() or "",
        utc_offset=f"{offset[:3]}:{offset[3:]}" if offset else "",
    )
