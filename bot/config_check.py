"""Every problem of a configuration in one pass, each as `key: message`, never a traceback.

`chatops check-config` prints these lines, and every command that starts the bot runs the same
check and prints the same lines (then exits 2), so a config either passes both or neither.

The check is driven by the models, not by a list of known sections: each top-level section is
validated on its own against its field type in `Config` (a broken `[agent]` does not hide a
broken `[slack]`), keys pydantic rejects are removed and the section validated again, so what
remains valid is checked further; an unknown key gets a "did you mean" from the fields of the
model it sits in. Then what needs the whole picture: `[tools.<name>]` tables against the named
tool's own `options` model, `tools.disabled` against the registry, roles referenced anywhere (any
list field named `roles`, and the policy's) against `[roles]`, runbook parameters that `argv`
never uses, and an HTTP listener open beyond loopback without tokens. A new section (`[[mcp]]`,
`[storage] retention_days`, …) is covered as soon as it is a field of `Config`.
"""

from __future__ import annotations

import copy
import difflib
import ipaddress
import os
import re
import tomllib
import types
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from chatops.bot.config import Config, ToolsConfig, apply_environment, duplicate_names
from chatops.bot.extras import missing_for
from chatops.bot.schedules import request_text, schedule_problems

MAX_PRUNES = 10
ROLE_LISTS = ("approve_write", "approve_danger")  # policy fields that name roles


@dataclass
class ConfigReport:
    """What the check found; `config` is the usable part (defaults where a section was broken),
    or None when the file could not even be read."""

    path: Path | None
    problems: list[str] = field(default_factory=list)
    config: Config | None = None
    warnings: list[str] = field(default_factory=list)
    """Tools that could not be loaded (a plugin that fails to import, a runbook the registry
    refused): the bot starts without them, as it always has; check-config still reports them."""

    @property
    def ok(self) -> bool:
        return not self.problems


def _unserved_channels(config: Config) -> list[str]:
    """A route or schedule that names a Slack or Discord channel needs that platform's adapter
    (its token): otherwise no thread can be opened there, and with `web = false` its alerts or
    notifications would have nowhere to go but the web chat's fallback thread."""
    problems = []
    slack = getattr(getattr(config, "slack", None), "bot_token", None) is not None
    discord = getattr(getattr(config, "discord", None), "token", None) is not None
    routes = list(getattr(getattr(config, "alerts", None), "routes", []) or [])
    places = [(f"alerts.routes[{i}]", r) for i, r in enumerate(routes)] + \
        [(f"schedules[{s.name}]", s) for s in getattr(config, "schedules", []) or []]
    for where, entry in places:
        if getattr(entry, "slack_channel", None) and not slack:
            problems.append(f"{where}.slack_channel: Slack is not configured ([slack] bot_token or "
                            "CHATOPS_SLACK_BOT_TOKEN), so no Slack thread can be opened there")
        if getattr(entry, "discord_channel", None) and not discord:
            problems.append(f"{where}.discord_channel: Discord is not configured ([discord] token or "
                            "CHATOPS_DISCORD_TOKEN), so no Discord thread can be opened there")
        if getattr(entry, "discord_channel", None) and not str(entry.discord_channel).isdigit():
            problems.append(f"{where}.discord_channel: a Discord channel id is a number (e.g. \"112233445566\"), "
                            f"not {entry.discord_channel!r}")
    return problems


def check_config(path: Path | None, *, environ: dict[str, str] | None = None,
                 with_tools: bool = True, installed_plugins: bool = True) -> ConfigReport:
    """Read, overlay environment secrets, and report every problem (see the module docstring).
    `installed_plugins=False` skips looking for entry-point plugins when nothing in the config
    names a tool: they could only add loading warnings, which `chatops run` prints anyway once
    its tools have loaded (the scan of every installed distribution costs a twentieth of a
    second at start)."""
    report = ConfigReport(path)
    try:
        data = _read(path)
    except ValueError as exc:
        report.problems.append(str(exc))
        return report
    data = apply_environment(data, dict(os.environ) if environ is None else environ)
    problems: list[str] = []
    values: dict[str, Any] = {}
    fields = {name: info for name, info in Config.model_fields.items() if name != "source"}
    for name, value in data.items():
        if name not in fields:
            problems.append(f"{name}: unknown section{_did_you_mean(name, fields)}")
            continue
        checked, found = validate_part(fields[name].annotation, value, prefix=[name], data=data)
        problems += found
        if checked is not _BROKEN:
            values[name] = checked
    config = Config.model_construct(**values)
    config.source = path
    # names as written, before broken entries were set aside
    problems += duplicate_names("runbooks", _names(data.get("runbooks")))
    problems += duplicate_names("mcp", _names(data.get("mcp")), "server names")
    problems += duplicate_names("schedules", _names(data.get("schedules")))
    tool_options, found = _tool_options(config)
    problems += found
    config.tools = {**{k: v for k, v in config.tools.items() if isinstance(v, dict)}, **tool_options}
    problems += _undefined_roles(config)
    problems += _unused_parameters(config)
    problems += _diagnosis_problems(config, path)
    problems += _unserved_channels(config)
    exposure = http_exposure_problem(config)
    if exposure:
        problems.append(exposure)
    if config.llm.provider == "local" and config.llm.local.path \
            and not Path(config.llm.local.path).expanduser().is_file():  # said before listening, not after
        problems.append(f"llm.local.path: there is no model file at {config.llm.local.path}")
    # a configured adapter or database whose extra is not installed
    problems += [missing.line() for missing in missing_for(config) if missing.fatal]
    if with_tools:
        found, report.warnings = _tool_problems(config, installed_plugins=installed_plugins)
        problems += found
    report.problems = list(dict.fromkeys(problems))  # in order, each once
    report.config = config
    return report


# --- reading and validating ---------------------------------------------------------------------

def _names(entries: Any) -> list[str]:
    return [str(item.get("name")) for item in entries if isinstance(item, dict)] if isinstance(entries, list) else []


def _read(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None


_BROKEN = object()


def validate_part(annotation: Any, value: Any, *, prefix: list[str], data: Any = None) -> tuple[Any, list[str]]:
    """Validate `value` against `annotation`, reporting every error under `prefix`; rejected keys
    are removed and the rest validated again, so the valid part is returned (or `_BROKEN`)."""
    adapter = TypeAdapter(annotation)
    current = copy.deepcopy(value)
    problems: list[str] = []
    for _ in range(MAX_PRUNES):
        try:
            return adapter.validate_python(current), problems
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
        for error in errors:
            described = _describe(error, annotation, current, prefix)
            if error.get("type") == "missing" and any(p.startswith(described.split(": ", 1)[0] + ": ")
                                                       for p in problems):
                continue  # the key was set aside for its own error just before: say that once
            problems.append(described)
        if not _prune(current, [tuple(error.get("loc", ())) for error in errors]):
            break
    return _BROKEN, problems


def _describe(error: dict[str, Any], annotation: Any, value: Any, prefix: list[str]) -> str:
    loc = list(error.get("loc", ()))
    parts, walked = _key_parts(loc, value)
    key = _key(prefix + parts)
    kind = error.get("type", "")
    message = re.sub(r" for <class '[^']+'>", "", str(error.get("msg", "invalid")).removeprefix("Value error, "))
    if kind == "extra_forbidden":
        message = "unknown key" + _did_you_mean(str(loc[-1]), _fields_at(annotation, walked[:-1]))
    elif kind == "literal_error":
        choices = [str(c) for c in _literal_choices(_annotation_at(annotation, walked))]
        message += _did_you_mean(str(error.get("input")), choices, cutoff=0.75)
    return f"{key}: {message}"


def _key_parts(loc: list[Any], value: Any) -> tuple[list[str], list[Any]]:
    """The TOML key of an error location: list items by their `name` when they have one
    (`runbooks[restart_service]`), union-member tags pydantic adds (`.str`, `.int`) dropped."""
    parts: list[str] = []
    walked: list[Any] = []
    node = value
    for part in loc:
        if isinstance(node, list) and isinstance(part, int):
            item = node[part] if part < len(node) and isinstance(node[part], dict) else {}
            name = item.get("name") or item.get("id")  # runbooks and servers by name, diagnoses by id
            label = f"[{name}]" if isinstance(name, str) else f"[{part}]"
            parts[-1:] = [(parts[-1] if parts else "") + label]
            node = node[part] if part < len(node) else None
        elif isinstance(node, dict):
            parts.append(str(part))
            node = node.get(part)
        else:
            break  # a scalar: what follows names union members, not keys
        walked.append(part)
    return parts, walked


def _key(parts: list[str]) -> str:
    key = ".".join(part for part in parts if part)
    return re.sub(r"\.\[", "[", key) or "(top level)"


def _prune(value: Any, locations: list[tuple[Any, ...]]) -> bool:
    """Remove what each error points at (deepest first, later list items first)."""
    removed = False
    order = sorted({loc for loc in locations if loc}, key=lambda loc: (len(loc), [_sortable(p) for p in loc]),
                   reverse=True)
    for loc in order:
        node = value
        for part in loc[:-1]:
            node = _child(node, part)
            if node is None:
                break
        else:
            last = loc[-1]
            in_dict = isinstance(node, dict) and last in node
            in_list = isinstance(node, list) and isinstance(last, int) and last < len(node)
            if in_dict or in_list:
                del node[last]
                removed = True
            elif node is not None and len(loc) > 1:  # a union tag under a scalar: remove the scalar
                removed = _prune(value, [loc[:-1]]) or removed
    return removed


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and part < len(node):
        return node[part]
    return None


def _sortable(part: Any) -> tuple[int, Any]:
    return (0, part) if isinstance(part, int) else (1, str(part))


# --- reading the models ---------------------------------------------------------------------------

def _plain(annotation: Any) -> Any:
    """`X | None` → `X`."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _annotation_at(annotation: Any, parts: Iterable[Any]) -> Any:
    node = annotation
    for part in parts:
        node = _plain(node)
        origin = get_origin(node)
        if origin in (list, tuple, set):
            node = get_args(node)[0]
        elif origin is dict:
            node = get_args(node)[1]
        elif isinstance(node, type) and issubclass(node, BaseModel):
            info = node.model_fields.get(str(part))
            if info is None:
                return None
            node = info.annotation
        else:
            return None
    return _plain(node)


def _fields_at(annotation: Any, parts: list[Any]) -> list[str]:
    node = _annotation_at(annotation, parts)
    return list(node.model_fields) if isinstance(node, type) and issubclass(node, BaseModel) else []


def _literal_choices(annotation: Any) -> tuple[Any, ...]:
    return get_args(annotation) if get_origin(annotation) is Literal else ()


def _did_you_mean(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str:
    match = difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
    return f" (did you mean {match[0]!r}?)" if match else ""


# --- what needs the whole configuration -------------------------------------------------------------

def _tool_options(config: Config) -> tuple[dict[str, Any], list[str]]:
    """The `[tools]` options (everything that is not a `[tools.<name>]` table)."""
    options = {k: v for k, v in config.tools.items() if not isinstance(v, dict)}
    checked, problems = validate_part(ToolsConfig, options, prefix=["tools"])
    valid = checked.model_dump() if isinstance(checked, ToolsConfig) else {}
    return valid, problems


def _diagnosis_problems(config: Config, path: Path | None) -> list[str]:
    """The team's knowledge base: each folder's files load (a bad regex is named with its file and
    entry), and every entry's examples match its own signatures. Relative folders are read from
    the config file's folder, as at run time they are from the working directory."""
    from chatops.bot.agent.diagnosis import DiagnosisError, example_problems, load_folder

    problems: list[str] = []
    agent = config.__dict__.get("agent")
    entries = list(config.__dict__.get("diagnoses") or [])
    for folder in getattr(agent, "diagnosis_folders", None) or []:
        where = Path(folder).expanduser()
        if not where.is_absolute() and path is not None and not where.exists():
            where = path.parent / where
        try:
            entries += load_folder(where)
        except DiagnosisError as exc:
            problems.append(f"agent.diagnosis_folders: {exc}")
    return problems + example_problems(entries)


def _undefined_roles(config: Config) -> list[str]:
    """Every role named anywhere (a `roles` list in any section, the policy's approver lists)
    must be defined under `[roles]`. With no `[roles]` at all, the policy's defaults are fine."""
    defined = list(config.roles)
    problems = []
    for key, role in _role_references(config, []):
        if key[0] == "policy" and not defined:
            continue
        if role not in defined:
            problems.append(f"{_key(key)}: role {role!r} is not defined under [roles]{_did_you_mean(role, defined)}")
    return problems


def _role_references(node: Any, key: list[str]) -> Iterable[tuple[list[str], str]]:
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            if not key and name == "roles":
                continue  # the definitions themselves
            value = getattr(node, name, None)
            if name == "roles" or name in ROLE_LISTS:
                if isinstance(value, list | tuple):
                    yield from (([*key, name], role) for role in value if isinstance(role, str))
                continue
            yield from _role_references(value, [*key, name])
    elif isinstance(node, list):
        for index, item in enumerate(node):
            label = f"[{getattr(item, 'name', index)}]"
            yield from _role_references(item, [*key[:-1], key[-1] + label] if key else [label])
    elif isinstance(node, dict):
        for name, item in node.items():
            if isinstance(item, BaseModel):
                yield from _role_references(item, [*key, str(name)])


def _unused_parameters(config: Config) -> list[str]:
    problems = []
    for runbook in config.runbooks:
        used = {name for element in runbook.argv for name in re.findall(r"\{([^{}]*)\}", element)}
        for name in runbook.params:
            if name not in used:
                problems.append(f"runbooks[{runbook.name}].params.{name}: argv never uses {{{name}}}, so the value "
                                "would be asked for and then ignored")
    return problems


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def http_exposure_problem(config: Config) -> str | None:
    """Without tokens, whoever reaches the web chat is the operator: allowed on loopback only."""
    http = config.http
    if not http.enabled or http.tokens or is_loopback(http.listen.rsplit(":", 1)[0]):
        return None
    return (f"http.listen: {http.listen!r} is not a loopback address and no [http] tokens are configured: "
            "anyone who can reach it would act as the operator. Add [http] tokens (or CHATOPS_HTTP_TOKEN_<USER>) "
            "or listen on 127.0.0.1.")


def _names_tools(config: Config, *, installed_plugins: bool = True) -> bool:
    """Whether anything in the config must be checked against the tools: a `[tools.<name>]`
    table, `tools.disabled`, a runbook (its name must not clash), a `!tool` schedule, a plugin
    folder or an installed plugin. When nothing does, the tools are not built: that imports
    every built-in tool and pydantic-ai, most of a second, and `check-config` answers in a
    fraction of that."""
    if any(isinstance(table, dict) for table in config.tools.values()) or config.tool_options.disabled \
            or config.runbooks or config.tool_options.paths:
        return True
    if any(request_text(schedule).startswith("!") for schedule in getattr(config, "schedules", [])):
        return True
    if config.tool_options.plugins and installed_plugins:
        from importlib.metadata import entry_points

        from chatops.tools.plugins import GROUP

        return bool(entry_points(group=GROUP))
    return False


def _tool_problems(config: Config, *, installed_plugins: bool = True) -> tuple[list[str], list[str]]:
    """`[tools.<name>]` tables and `tools.disabled` against the tools that really exist; and,
    apart, what could not be loaded."""
    if not _names_tools(config, installed_plugins=installed_plugins):
        return [], []
    from chatops.bot.runtime import build_registry

    try:
        registry, loading = build_registry(config)
    except Exception as exc:  # a plugin that cannot even be listed: say so, never a traceback
        return [], [f"tools: the tools could not be loaded: {type(exc).__name__}: {exc}"]
    problems: list[str] = []
    names = list(registry.names())
    # MCP servers' tools are known only once the servers run (`--connect`): names under a server's
    # prefix are not judged here
    prefixes = [server.tool_prefix for server in getattr(config, "mcp", [])]

    def unknown(name: str) -> bool:
        return name not in names and not any(p == "" or name.startswith(f"{p}_") for p in prefixes)

    for index, name in enumerate(config.tool_options.disabled):
        if unknown(name):
            problems.append(f"tools.disabled[{index}]: there is no tool named {name!r}{_did_you_mean(name, names)}")
    for name, table in config.tools.items():
        if not isinstance(table, dict):
            continue
        spec = registry.get(name)
        if spec is None and unknown(name):
            problems.append(f"tools.{name}: there is no tool named {name!r}{_did_you_mean(name, names)}")
        elif spec is not None and spec.options is not None:
            _, found = validate_part(spec.options, table, prefix=["tools", name])
            problems += found
    problems += schedule_problems(list(getattr(config, "schedules", [])), registry)
    return problems, loading
