"""When and on what a benchmark figure was measured, in one line every report prints beside it.

A rate means little without the machine and the moment: on 2 shared cores another process's
test suite halves it. So every bench that prints figures stamps them with `stamp()` (UTC start
and end, CPU model and cores, Python and the libraries that matter, the load average at start).
"""

from __future__ import annotations

import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata

PACKAGES = ("pydantic-ai-slim", "sqlite-utils", "aiohttp")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass
class Stamp:
    """The measurement's time span and machine; `end` is set by `done()`."""

    start: str = field(default_factory=now)
    end: str = ""
    host: str = field(default_factory=platform.node)
    cpu: str = field(default_factory=_cpu_model)
    cores: int = field(default_factory=_cores)
    python: str = field(default_factory=platform.python_version)
    packages: dict[str, str] = field(default_factory=lambda: {name: _version(name) for name in PACKAGES})
    load_at_start: float = field(default_factory=lambda: os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0)

    def done(self) -> Stamp:
        self.end = now()
        return self

    def machine(self) -> str:
        libraries = ", ".join(f"{name} {version}" for name, version in self.packages.items())
        return f"{self.host}: {self.cores} cores ({self.cpu}), Python {self.python}, {libraries}"

    def line(self) -> str:
        span = f"{self.start} – {self.end[11:] if self.end[:10] == self.start[:10] else self.end}" if self.end \
            else f"from {self.start}"
        return f"measured {span} on {self.machine()}; load average {self.load_at_start:.2f} at start"

    def as_json(self) -> dict:
        return asdict(self)


def stamp() -> Stamp:
    return Stamp()
