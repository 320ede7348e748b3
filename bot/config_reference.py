"""The configuration reference page (docs/configuration.md), rendered from the pydantic models.

Why generated: a hand-written key list drifts the day someone adds a field. Here the keys, their
types, defaults and bounds come from the models themselves (`bot/config.py` and the options
models of the tools that take a `[tools.<name>]` table), and each key's explanation comes from
the docstring under the field or the comment at the end of its line in the source, so the one
place to document a key is next to its definition. `tests/test_docs.py` regenerates the page
and compares it with the committed one.

Regenerate with `python -m chatops.bot.config_reference --write`.
"""

from __future__ import annotations

import ast
import inspect
import io
import sys
import textwrap
import tokenize
import types
import typing
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from chatops.bot.config import HTTP_TOKEN_PREFIX, SECRET_ENVIRONMENT, SETTING_ENVIRONMENT, Config, ToolsConfig
from chatops.tools.registry import ToolSpec, spec_of

PAGE = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"

# Defaults computed on the machine that runs the bot: rendering them would make the page differ
# from one machine to the next, so the page says what they are instead.
MACHINE_DEFAULTS: dict[tuple[str, str], str] = {
    ("ConsoleConfig", "user"): "your login name (`operator` when there is none)",
}

TOOLS_INTRO = """\
`[tools]` holds the tool options below and one table per tool that takes options
(`[tools.<name>]`), handed to the tool as `ToolContext.config` and checked against the tool's
`options` model: a misspelled option or tool name is an error, with a "did you mean". Plugins
declare their own tables the same way (`@tool(options=...)`)."""

SETTINGS_INTRO = """
## Settings from the environment

A few settings that are not secret can come from the environment too, over the file. `chatops
run --listen HOST:PORT` wins over `CHATOPS_HTTP_LISTEN`. `chatops init` writes a short, commented
starter file ([Install and first five minutes](install.md)).

| environment variable | key |
| --- | --- |
"""

INTRO = """\
<!-- Generated from the pydantic models in bot/config.py by `python -m chatops.bot.config_reference --write`.
     Do not edit by hand: document a key next to its field, then regenerate (tests/test_docs.py compares). -->

# Configuration reference

Where the configuration comes from: `--config FILE`, else `./config.toml` in the working
directory when it exists, else the built-in defaults (the embedded model, `data/chatops.db`, the
web chat on `127.0.0.1:8765` and the terminal). Every key below is optional unless it says
*required*; an unknown key is an error, not a silent default. `chatops check-config` reports
every problem at once, each with its key (`tools.http_chek: there is no tool named 'http_chek'
(did you mean 'http_check'?)`), and every command that starts the bot runs the same check.

`config.example.toml` in the repository shows every key with a comment, and `examples/demo.toml`
is a small configuration to try runbooks with.

## Secrets from the environment

Secrets never have to be written into the file. Each can come from an environment variable
instead, and the environment wins. They are held as `SecretStr`, never printed, and scrubbed
from step results, answers and the audit log.

| environment variable | key |
| --- | --- |
"""


def render() -> str:
    """The whole page, as committed in docs/configuration.md."""
    out = io.StringIO()
    out.write(INTRO)
    for variable, dotted in SECRET_ENVIRONMENT.items():
        out.write(f"| `{variable}` | `{dotted}` |\n")
    out.write(f"| `{HTTP_TOKEN_PREFIX}<USER>` | `http.tokens.<user>` (the user name in lower case) |\n")
    out.write(SETTINGS_INTRO)
    for variable, dotted in SETTING_ENVIRONMENT.items():
        out.write(f"| `{variable}` | `{dotted}` |\n")
    for name, field in Config.model_fields.items():
        if field.exclude:
            continue
        out.write("\n")
        out.write(_top_level(name, field))
    return out.getvalue()


def _top_level(name: str, field: FieldInfo) -> str:
    """One top-level key: a section (`[storage]`), an array of tables (`[[runbooks]]`), a table of
    tables (`[roles.NAME]`) or, for `[tools]`, its options and the tools' own tables."""
    annotation = field.annotation
    if name == "tools":
        text = _section("[tools]", ToolsConfig, level=2, intro=TOOLS_INTRO)
        for spec in _builtin_tools():
            if spec.options is not None:
                summary = spec.description.split("\n", 1)[0]
                intro = f"Options of the built-in tool `{spec.name}` ({spec.risk.value}): {summary}"
                text += "\n" + _section(f"[tools.{spec.name}]", spec.options, level=3, intro=intro)
        return text
    model, shape = _container(annotation)
    if model is None:
        return f"## `{name}`\n\n{_doc_of(Config, name)}\n"
    heading = {"list": f"[[{name}]]", "dict": f"[{name}.NAME]", "one": f"[{name}]"}[shape]
    return _section(heading, model, level=2, intro=_doc_of(Config, name))


def _builtin_tools() -> list[ToolSpec]:
    """The tools that ship with the bot, including those it adds only when configured
    (`prometheus_query` with `[tools.prometheus_query]`, `silence_alert` with `[alerts]`)."""
    from chatops.tools.builtin import BUILTIN_TOOLS
    from chatops.tools.monitoring.prometheus_query import prometheus_query
    from chatops.tools.monitoring.silence_alert import silence_alert

    return [spec_of(item) for item in [*BUILTIN_TOOLS, prometheus_query, silence_alert]]


def _section(heading: str, model: type[BaseModel], *, level: int, intro: str = "") -> str:
    """A heading, the model's docstring, a table of its plain keys, then its nested sections."""
    lines = [f"{'#' * level} `{heading}`", ""]
    for paragraph in (intro, _class_doc(model)):
        paragraph = paragraph.removeprefix(f"`{heading}`").lstrip(".: ")  # the heading says it already
        if paragraph:
            lines += [_sentence(paragraph), ""]
    rows, nested = [], []
    for name, field in model.model_fields.items():
        inner, shape = _container(field.annotation)
        if inner is not None:
            nested.append((name, inner, shape))
            continue
        rows.append(f"| `{name}` | {_type(field)} | {_default(model, name, field)} | {_cell(_doc_of(model, name))} |")
    if rows:
        lines += ["| key | type | default | what it does |", "| --- | --- | --- | --- |", *rows, ""]
    text = "\n".join(lines)
    base = heading.strip("[]")
    for name, inner, shape in nested:
        sub = {"list": f"[[{base}.{name}]]", "dict": f"[{base}.{name}.NAME]", "one": f"[{base}.{name}]"}[shape]
        text += "\n" + _section(sub, inner, level=min(level + 1, 4), intro=_doc_of(model, name))
    return text


def _container(annotation: Any) -> tuple[type[BaseModel] | None, str]:
    """The model a field holds, and how: one table, a list of tables, or a table of tables."""
    annotation = _strip_optional(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, "one"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0], "list"
    if origin is dict and len(args) == 2 and isinstance(args[1], type) and issubclass(args[1], BaseModel):
        return args[1], "dict"
    return None, ""


def _strip_optional(annotation: Any) -> Any:
    args = typing.get_args(annotation)
    if _is_union(annotation) and type(None) in args:
        rest = [arg for arg in args if arg is not type(None)]
        return rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
    return annotation


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _type(field: FieldInfo) -> str:
    """The field's type in words, with its bounds (`integer, 1–200`)."""
    annotation = field.annotation
    optional = _is_union(annotation) and type(None) in typing.get_args(annotation)
    words = _words(_strip_optional(annotation))
    bounds = _bounds(field)
    if field.is_required():
        bounds.append("*required*")
    if optional:
        bounds.append("optional")
    return ", ".join([words, *bounds])


def _words(annotation: Any) -> str:
    if annotation is SecretStr:
        return "string (secret)"
    if annotation is Any:
        return "any"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " \\| ".join(f'`"{member.value}"`' for member in annotation)
    simple = {str: "string", int: "integer", float: "number", bool: "boolean", Path: "path"}
    if annotation in simple:
        return simple[annotation]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return " \\| ".join(f"`{_toml(value)}`" for value in args)
    if origin is list:
        return f"list of {_plural(_words(args[0]))}"
    if origin is dict:
        return f"table of {_plural(_words(args[1]))}"
    if _is_union(annotation):
        return " or ".join(_words(arg) for arg in args)
    return f"`{annotation}`"


def _plural(words: str) -> str:
    return {"string": "strings", "integer": "integers", "number": "numbers", "boolean": "booleans",
            "string (secret)": "strings (secret)", "any": "values"}.get(words, words)


def _bounds(field: FieldInfo) -> list[str]:
    low = high = ""
    found: list[str] = []
    for item in field.metadata:
        if isinstance(item, Ge):
            low = f"≥ {_number(item.ge)}"
        elif isinstance(item, Gt):
            low = f"> {_number(item.gt)}"
        elif isinstance(item, Le):
            high = f"≤ {_number(item.le)}"
        elif isinstance(item, Lt):
            high = f"< {_number(item.lt)}"
        elif isinstance(item, MinLen):
            found.append(f"at least {item.min_length} long")
        elif isinstance(item, MaxLen):
            found.append(f"at most {item.max_length} long")
        elif getattr(item, "pattern", None):
            found.append(f"matches `{item.pattern}`")
    return [bound for bound in (low, high) if bound] + found


def _number(value: Any) -> str:
    return f"{value:,}".replace(",", " ") if isinstance(value, int) and abs(value) >= 100_000 else str(value)


def _default(model: type[BaseModel], name: str, field: FieldInfo) -> str:
    if (model.__name__, name) in MACHINE_DEFAULTS and field.default_factory is not None:
        return MACHINE_DEFAULTS[(model.__name__, name)]  # (a constant default would be rendered as it is)
    if field.is_required():
        return "—"
    value = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
    if value is None or value is PydanticUndefined:
        return "unset"
    if isinstance(value, BaseModel):
        return "—"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1024 * 1024 and value % (1024 * 1024) == 0:
        return f"`{value}` ({value // (1024 * 1024)} MiB)"
    return f"`{_toml(value)}`"


def _toml(value: Any) -> str:
    """A default as it would be written in the TOML file (sizes in bytes get their MiB too)."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Path):
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {_toml(item)}" for key, item in value.items()) + "}" if value else "{}"
    return repr(value)


def _cell(text: str) -> str:
    """Markdown table cells hold one line, and a `|` would end the cell."""
    return _sentence(" ".join(text.split()).replace("|", "\\|"))


def _sentence(text: str) -> str:
    """Source comments are lower-case fragments; the page reads as sentences."""
    return text[:1].upper() + text[1:] if text else text


def _class_doc(model: type[BaseModel]) -> str:
    doc = model.__doc__ or ""
    inherited = any(doc == (base.__doc__ or "") for base in model.__mro__[1:])
    return "" if inherited or not doc else inspect.cleandoc(doc)


def _doc_of(model: type[BaseModel], name: str) -> str:
    """A field's explanation: its `description`, else the docstring under it, else the comment at
    the end of its line. Inherited fields are looked up where they are defined."""
    field = model.model_fields[name]
    if field.description:
        return field.description
    for klass in model.__mro__:
        notes = _source_notes(klass)
        if name in notes:
            return notes[name]
    return ""


_NOTES: dict[type, dict[str, str]] = {}


def _source_notes(klass: type) -> dict[str, str]:
    """Field name → docstring under it or, failing that, its end-of-line comment, read from the
    class's source (pydantic keeps neither)."""
    if klass in _NOTES:
        return _NOTES[klass]
    notes: dict[str, str] = {}
    try:
        source = textwrap.dedent(inspect.getsource(klass))
    except (OSError, TypeError):
        _NOTES[klass] = notes
        return notes
    comments = dict(_end_of_line_comments(source))
    tree = ast.parse(source)
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    for index, node in enumerate(body):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        following = body[index + 1] if index + 1 < len(body) else None
        if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant) \
                and isinstance(following.value.value, str):
            notes[node.target.id] = inspect.cleandoc(following.value.value)
        elif (node.end_lineno or node.lineno) in comments:
            notes[node.target.id] = comments[node.end_lineno or node.lineno]
    _NOTES[klass] = notes
    return notes


def _end_of_line_comments(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of each comment that follows code on its line."""
    code_lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            if token.start[0] in code_lines:
                text = token.string.lstrip("#").strip()
                if not text.startswith(("type:", "noqa")):
                    yield token.start[0], text
        elif token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            code_lines.add(token.start[0])


def main(argv: list[str] | None = None) -> int:
    """`--write` rewrites docs/configuration.md; `--check` exits 1 when it is stale; else print."""
    args = sys.argv[1:] if argv is None else argv
    page = render()
    if "--write" in args:
        PAGE.write_text(page, encoding="utf-8")
        print(f"wrote {PAGE}")
        return 0
    if "--check" in args:
        current = PAGE.read_text(encoding="utf-8") if PAGE.is_file() else ""
        if current != page:
            print(f"{PAGE} is stale: run python -m chatops.bot.config_reference --write", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
