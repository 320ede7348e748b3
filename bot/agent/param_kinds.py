"""What kind of value each parameter of a tool takes (a URL, a host, a port, a path, an enum, a
number, free text), read from its JSON schema, its name and its description, for
`bot.agent.arguments` to fill. The schema has the last word: a name suggests a kind only where the
parameter's pattern takes a value of that kind, and values written only in prose ("one of: a, b")
are the enum they describe."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chatops.bot.agent.entities import (
    DOMAIN_NAMES,
    HOST_NAMES,
    PATH_NAMES,
    PORT_NAMES,
    TIMEZONE_NAMES,
    URL_NAMES,
    identifier_words,
)
from chatops.tools.registry import ToolSpec


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # url, host, domain, port, timezone, path, enum, int, number, bool, string
    schema: dict[str, Any]
    required: bool

    @property
    def enum(self) -> list[Any]:
        return list(self.schema.get("enum") or [])


def _flat(schema: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [X, null]` (an optional value) read as X."""
    options = [option for option in schema.get("anyOf", []) if option.get("type") != "null"]
    if len(options) == 1:
        return {**{k: v for k, v in schema.items() if k != "anyOf"}, **options[0]}
    return schema


def parameters(spec: ToolSpec) -> list[Param]:
    """The tool's parameters as the planner reads them, read once per spec (a spec is frozen; a
    reload builds new ones): every stage of ranking asks for them, for every tool, per request."""
    cached = spec.__dict__.get("_planner_parameters")
    if cached is None:
        cached = tuple(_read_parameters(spec))
        object.__setattr__(spec, "_planner_parameters", cached)  # not a field: no effect on eq or replace
    return list(cached)


def _read_parameters(spec: ToolSpec) -> list[Param]:
    schema = spec.parameters_schema
    required = set(schema.get("required", []))
    found = []
    for name, raw in schema.get("properties", {}).items():
        prop = _flat(raw)
        if prop.get("type") in (None, "string") and not prop.get("enum"):
            listed = listed_values(name, str(prop.get("description", "")), spec.description)
            if listed:  # the values are only written out in prose: read them as the enum they are
                prop = {**prop, "enum": listed}
        found.append(Param(name, _kind(name, prop), prop, name in required))
    return found


_ONE_OF = r"\bone\s+of\s*:?\s*((?:[\w.-]+\s*(?:,|\bor\b|/|\|)\s*(?:or\s+)?)+[\w.-]+)"


@functools.lru_cache(maxsize=1024)
def listed_values(name: str, described: str, tool_description: str) -> list[str]:
    """The values a text parameter takes when its author wrote them only in prose: "one of: draft,
    open, approved" in its own description, or "state is one of: ..." in the tool's (as a
    docstring-generated MCP schema says it). Empty when nothing lists them."""
    found = re.search(_ONE_OF, described, re.IGNORECASE)
    if found is None:
        words = r"\W+".join(re.escape(word) for word in identifier_words(name))
        found = re.search(rf"\b{words}\b[^.\n]{{0,40}}?{_ONE_OF}", tool_description, re.IGNORECASE)
    if found is None:
        return []
    values = [value.rstrip(".") for value in re.split(r"\s*(?:,|\bor\b|/|\|)\s*", found.group(1)) if value.rstrip(".")]
    return values if 2 <= len(values) <= 12 else []


def _kind(name: str, prop: dict[str, Any]) -> str:
    lowered = "_".join(identifier_words(name))  # "podName" reads as "pod_name"
    described = str(prop.get("description", "")).lower()
    if prop.get("enum"):
        # `amps` one of 0, 16, 32, 63: a figure as numbers are read ("32 amps"), bounded by its values
        numeric = all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in prop["enum"])
        return ("int" if prop.get("type") == "integer" else "number") if numeric else "enum"
    kind = prop.get("type")
    if kind == "integer":
        return "port" if lowered in PORT_NAMES or lowered.endswith("_port") else "int"
    if kind == "number":
        return "number"
    if kind == "boolean":
        return "bool"
    if kind == "array" and (prop.get("items") or {}).get("enum"):
        return "enum_list"  # "affecting payments and login": every listed value the request names
    if kind == "array" and (prop.get("items") or {}).get("type") in (None, "string"):
        return "list"  # "stage config/nginx.conf": a list of words of the request
    if kind not in (None, "string"):
        return "other"
    by_name = _kind_by_name(lowered, described, prop)
    pattern = prop.get("pattern")
    if by_name != "string" and pattern and not _takes_its_kind(by_name, pattern):
        return "string"  # a `target` whose pattern takes "latest" or "4.13" is no host, whatever its name
    return by_name


def _takes_its_kind(kind: str, pattern: str) -> bool:
    """Whether a pattern takes a value of the kind its parameter's name suggests; an address only
    counts where a version does not fit too (`^[0-9]+(\\.[0-9]+){0,3}$` takes "10.0.0.1")."""
    fits = [fits_string(sample, {"pattern": pattern}) for sample in _KIND_SAMPLES.get(kind, ())]
    if kind == "host" and fits[-1] and not any(fits[:-1]):
        return not fits_string("4.13", {"pattern": pattern})
    return any(fits)


# What a value of each kind guessed from a parameter's name looks like: its pattern must take one.
_KIND_SAMPLES = {
    "url": ("https://example.com/health", "http://10.0.0.1:8080/"),
    "host": ("web-1.example.com", "web-1", "db01", "10.0.0.1"),  # the address last (see `_takes_its_kind`)
    "domain": ("example.com", "api.example.com"),
    "timezone": ("Europe/Berlin", "UTC"),
    "path": ("/var/log/syslog", "/srv/app", "config/app.yaml"),
}


_ID_WORDS = r"\b(?:id|ids|identifier|name|key|slug)\b"


def _kind_by_name(lowered: str, described: str, prop: dict[str, Any]) -> str:
    if lowered in URL_NAMES or lowered.endswith("_url"):
        if not re.search(r"\burl\b|\buri\b", lowered.replace("_", " ")) and re.search(_ID_WORDS, described):
            return "string"  # an `endpoint` "id (we_...) or its URL": a name first, the URL only one of its forms
        return "url"
    if lowered in HOST_NAMES or lowered.endswith("_host"):
        return "host"
    if lowered in DOMAIN_NAMES or (lowered == "name" and ("domain" in described or "host" in described)):
        return "domain"
    if lowered in TIMEZONE_NAMES:
        return "timezone"
    if lowered in PATH_NAMES or str(prop.get("pattern", "")).startswith("^/") or any(
            part in PATH_NAMES for part in lowered.split("_")[-1:]):
        return "path"  # "repo_path", "config_file", "log_dir"
    return "string"


def fits_string(value: str, prop: dict[str, Any]) -> bool:
    if len(value) > int(prop.get("maxLength", 10_000)):
        return False
    pattern = prop.get("pattern")
    if pattern:
        try:
            return re.search(pattern, value) is not None
        except re.error:
            return True
    return True


def shared_parameters(spec: ToolSpec, tools: Iterable[ToolSpec]) -> frozenset[str]:
    """The tool's parameters that another of `tools` takes alike (`same_values`): what names the
    thing (`screen`, `venue`), not the value only this change sets (`level`, `peal`)."""
    others = [param for other in tools if other.name != spec.name for param in parameters(other)]
    return frozenset(param.name for param in parameters(spec)
                     if any(other.name == param.name and same_values(other.schema, param.schema) for other in others))


def same_values(one: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether two parameters' schemas take the same values, whatever their words: two tools'
    `screen` of 1 to 14 name the same screens; a `minutes` of 0 to 240 and one of 0 to 600 are
    each their own change's."""
    def shape(schema: dict[str, Any]) -> list[tuple[str, str]]:
        return sorted((key, repr(value)) for key, value in schema.items()
                      if key not in ("description", "title", "default", "examples"))
    return shape(one) == shape(other)
