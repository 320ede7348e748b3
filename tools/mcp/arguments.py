"""Arguments checked against an MCP tool's `inputSchema` (JSON Schema) before a plan is proposed,
so a step the server would refuse is caught while a person can still see why, not mid-run."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from jsonschema import exceptions as schema_errors
from jsonschema.validators import validator_for

from chatops.tools.registry import ToolArgumentError

EMPTY_OBJECT: dict[str, Any] = {"type": "object", "properties": {}}


def argument_validator(schema: dict[str, Any] | None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A `validate_args` for `ToolSpec`: the arguments unchanged when they fit, else
    `ToolArgumentError` naming every bad field. Raises `ValueError` for a schema that is not
    valid JSON Schema (the tool is then reported and left out)."""
    schema = schema or EMPTY_OBJECT
    cls = validator_for(schema)
    try:
        cls.check_schema(schema)
    except schema_errors.SchemaError as exc:
        raise ValueError(f"its inputSchema is not valid JSON Schema: {exc.message}") from None
    validator = cls(schema)

    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}

    def validate(args: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(args, dict):
            raise ToolArgumentError(f"arguments must be an object, not {type(args).__name__}")
        args = {name: _coerce(value, properties.get(name)) for name, value in args.items()}
        problems = [_describe(error) for error in sorted(validator.iter_errors(args), key=lambda e: list(e.path))]
        if problems:
            raise ToolArgumentError("; ".join(problems))
        return args

    return validate


def _coerce(value: Any, schema: Any) -> Any:
    """Text where the schema wants a number, a boolean or a list is converted when it reads as one:
    `!git_log max_count=5` gives "5", as pydantic's lax mode accepts for the other tools. Anything
    else is left for the schema to refuse."""
    if not isinstance(value, str) or not isinstance(schema, dict):
        return value
    kinds = schema.get("type")
    kinds = set(kinds) if isinstance(kinds, list) else {kinds}
    if "string" in kinds:
        return value
    text = value.strip()
    if "integer" in kinds and re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    if "number" in kinds and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        return float(text)
    if "boolean" in kinds and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if "array" in kinds:
        try:
            parsed = json.loads(text)
        except ValueError:
            return [value]
        return parsed if isinstance(parsed, list) else [value]
    return value


def _describe(error: schema_errors.ValidationError) -> str:
    """`field: message`, in the same field-first shape as the other tools' refusals."""
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        prefix = ".".join(str(part) for part in error.path)
        return "; ".join(f"{prefix + '.' if prefix else ''}{name}: Field required" for name in missing)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        return f"{'.'.join(str(part) for part in error.path) or 'arguments'}: {error.message}"
    location = ".".join(str(part) for part in error.path) or "arguments"
    return f"{location}: {error.message}"
