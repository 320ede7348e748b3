"""What filling a tool's parameters produces (`Filled`) and how much each kind of fit weighs in
ranking (`FIT_POINTS`): shared by the modules that fill typed values, numbers and free text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chatops.bot.agent.param_kinds import Param

FIT_POINTS = {  # an entity that fits a parameter, by (entity kind, parameter kind)
    ("url", "url"): 3.0,
    ("host", "url"): 2.0,
    ("host", "host"): 1.5,
    ("host", "domain"): 1.5,
    ("url", "host"): 0.5,
    ("url", "domain"): 0.5,
    ("port", "port"): 2.0,
    ("timezone", "timezone"): 3.0,
    ("city", "timezone"): 1.0,
    ("path", "path"): 2.0,
    ("enum", "enum"): 2.5,
    ("number", "int"): 0.5,
    ("anchor", "string"): 1.0,
}


ENTITY_KINDS = frozenset({"url", "host", "domain", "port", "timezone", "path"})


@dataclass
class Filled:
    """Arguments found for one tool: values, a label per value saying where it came from, and
    the required parameters still missing."""

    args: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    missing: list[Param] = field(default_factory=list)
    ties: dict[str, list[str]] = field(default_factory=dict)  # free text with several equally fitting spans
    fit: float = 0.0  # ranking points from entities that fit the parameters
    verb_value: bool = False  # the request's verb is one of its values ("enable dark_mode")
    typed_fit: float = 0.0  # of those, from entities only that kind of parameter takes (URL, host, port, zone, path)
    fit_labels: list[str] = field(default_factory=list)
    # text values that only this kind of parameter accepts: its pattern refuses ordinary words and
    # numbers ("net.core.somaxconn" for `^[a-z][a-z0-9_]*(\.[a-z0-9_-]+)+$`, "CheckoutButtonColor")
    pattern_fits: int = 0
    example_fits: int = 0  # values shaped like a parameter's examples ("HD-4411" for "like HD-1234"): reads only
    guessed: set[str] = field(default_factory=set)  # free-text values taken with no evidence but being alone
    refused: dict[str, int] = field(default_factory=dict)  # numbers asked for a parameter that its bounds refuse


def item_schema(param: Param) -> dict[str, Any]:
    """What one value of the parameter must fit (a list's items)."""
    if param.kind == "list":
        return {"description": param.schema.get("description", ""), **(param.schema.get("items") or {})}
    return param.schema
