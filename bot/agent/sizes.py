"""Size parameters ("size_gib", "limit in GB"): which size of the request a parameter takes, in its
own unit. The size the order makes something ("grow it to 2 TiB") first, then one written in the
parameter's unit, then one converted to it ("1.5 TiB" is 1536 GiB); never an amount to add ("by 1
TiB"), and never the bare number of a size written in another unit. Used by `bot.agent.numbers`."""

from __future__ import annotations

import re

from chatops.bot.agent.entities import Entities, identifier_words
from chatops.bot.agent.param_kinds import Param

_SIZE_STEPS = ("kb", "mb", "gb", "tb")


def converted_size(count: int | float, unit: str, words: set[str]) -> int | None:
    """A size said in one unit ("4 TiB") in the one unit a parameter's name or description counts
    in ("gib"): 1024 to a step where the parameter counts in binary units (GiB), 1000 in decimal
    ones (GB). None when it counts in none, or in several, or the size is no whole number there."""
    counted = [step for step in _SIZE_STEPS if _counts_in(step, words)]
    if len(counted) != 1 or counted[0] == unit or unit not in _SIZE_STEPS:
        return None
    base = 1024 if counted[0].replace("b", "ib") in words else 1000
    shift = _SIZE_STEPS.index(unit) - _SIZE_STEPS.index(counted[0])
    value = count * base ** shift if shift > 0 else None  # "512 MiB" for a parameter in GiB is no whole number
    return int(value) if value is not None and float(value).is_integer() else None  # "1.5 TiB": 1536 GiB


def size_words(param: Param) -> set[str]:
    """The size units a parameter's name or description counts in ("gib" of `size_gib`)."""
    named_by = f"{' '.join(identifier_words(param.name))} {param.schema.get('description', '')}".lower()
    return {part for part in re.split(r"[_\W]+", named_by) if part} & \
        {unit for step in _SIZE_STEPS for unit in (step, step.replace("b", "ib"))}


_TARGET_SIZE = r"\b(?:to|make\s+it|it)\s+{count}\s?{unit}"


def target_size(param: Param, entities: Entities) -> list[int]:
    """The one size the order changes something to ("vol-7 is 500 GiB, make it 2 TiB": 2 TiB, 2048
    for `size_gib`), in the parameter's unit; empty when no one size is written as the target."""
    words = size_words(param)
    found = []
    for count, unit in entities.sizes:
        shown = f"{count:g}"
        if not re.search(_TARGET_SIZE.format(count=re.escape(shown), unit="[a-z]"), entities.plain, re.IGNORECASE):
            continue
        own = _counts_in(unit, words)
        value = (count if isinstance(count, int) else None) if own else converted_size(count, unit, words)
        if value is not None:
            found.append(value)
    return found if len(found) == 1 else []


def own_unit_sizes(param: Param, entities: Entities) -> list[int]:
    """The request's sizes written in the unit the parameter counts in ("500 GB" for `limit_gb`),
    not as an amount to add; of several, the one it is changed to ("to 800 GB, … the 4G router")."""
    words = size_words(param)
    named = [value for value, unit in entities.sizes if _counts_in(unit, words)
             and isinstance(value, int) and not _by_an_amount(value, entities.plain)]
    if len(named) > 1:
        named = [value for value in named if re.search(rf"\bto\s+{value}\s?[a-z]", entities.plain, re.IGNORECASE)]
    return named


def converted_sizes(param: Param, entities: Entities) -> list[int]:
    """The request's sizes written in another unit than the one the parameter counts in, in its
    own: "4 TiB" for `size_gib` is 4096."""
    words = size_words(param)
    return [value for count, unit in entities.sizes if not _by_an_amount(count, entities.plain)
            and (value := converted_size(count, unit, words)) is not None]


def _by_an_amount(count: int | float, text: str) -> bool:
    """Whether a size is written as a change by an amount ("enlarge vol-7 by 1 TiB"), not as the
    new total a size parameter takes."""
    return re.search(rf"\bby\s+{count}\s?[a-z]", text, re.IGNORECASE) is not None


def _counts_in(unit: str, words: set[str]) -> bool:
    """Whether a parameter whose name and description say `words` counts in a size unit ("gb"
    matches "gb" or "gib")."""
    return unit in words or unit.replace("b", "ib") in words
