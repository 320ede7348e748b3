"""Well-known command output read in people's words: `df` says "/ is 26 % full (75 GB free)".

A runbook's one-line summary is otherwise its last line of output ("/dev/vda 252G 27G 76G 26% /"),
which is what the program said, not what it means. Only formats that are stable and common are
read here; anything else keeps the last line.
"""

from __future__ import annotations

import re

_DF_HEADER = re.compile(r"^Filesystem\s+.*\b(I?Use)%\s+Mounted on\s*$", re.IGNORECASE)
_UNITS = {"K": "KB", "M": "MB", "G": "GB", "T": "TB", "P": "PB"}
MAX_SHOWN = 3  # mounts named in one line, fullest first
FULL_PERCENT = 95  # a mount this full is a finding, not a pass


def read_output(stdout: str) -> str | None:
    """A plain sentence for output in a known format, or None."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if lines and _DF_HEADER.match(lines[0]):
        return _df(lines)
    return None


def is_problem(stdout: str) -> bool:
    """Whether known output reports trouble: a mount at `FULL_PERCENT` or more."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not (lines and _DF_HEADER.match(lines[0])):
        return False
    return any(int(field[:-1]) >= FULL_PERCENT for line in lines[1:] for field in line.split()
               if re.fullmatch(r"\d+%", field))


def _df(lines: list[str]) -> str | None:
    """`df`, `df -h` or `df -i`: per mount, how full it is and what is left."""
    inodes = _DF_HEADER.match(lines[0]).group(1).upper() == "IUSE"  # type: ignore[union-attr]
    mounts = []
    for line in lines[1:]:
        fields = line.split()
        used = next((i for i, field in enumerate(fields) if re.fullmatch(r"\d+%|-", field)), None)
        if used is None or used + 1 >= len(fields) or used < 3 or fields[used] == "-":
            continue
        percent, free, mount = int(fields[used][:-1]), fields[used - 1], " ".join(fields[used + 1:])
        mounts.append((percent, mount, free))
    if not mounts:
        return None
    mounts.sort(key=lambda item: -item[0])
    said = [f"{mount} has used {percent} % of its inodes ({free} free)" if inodes
            else f"{mount} is {percent} % full ({_size(free)} free)" for percent, mount, free in mounts[:MAX_SHOWN]]
    more = f"; {len(mounts) - MAX_SHOWN} more mounts" if len(mounts) > MAX_SHOWN else ""
    return "; ".join(said) + more


def _size(text: str) -> str:
    """`76G` → `76 GB`; a bare number is 1K blocks (plain `df`); `0` is nothing."""
    if text.strip("0.") == "":
        return "nothing"
    match = re.fullmatch(r"([\d.,]+)([KMGTP])i?B?", text, re.IGNORECASE)
    if match:
        return f"{match.group(1)} {_UNITS[match.group(2).upper()]}"
    if text.isdigit():
        kib = int(text)
        for unit, size in (("TB", 1024 ** 3), ("GB", 1024 ** 2), ("MB", 1024)):
            if kib >= size:
                return f"{kib / size:.0f} {unit}"
        return f"{kib} KB"
    return text
