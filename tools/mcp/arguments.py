"""Arguments checked against an MCP tool's `inputSchema` (JSON Schema) before a plan is proposed,
so a step the server would refuse is caught while a person can still see why, not mid-run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jsonschema import exceptions as schema_errors
from jsonschema.validators import validator_for

from tools.registry import ToolArgumentError

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

    def validate(args: dict[str, Any]) -> dict[str, Any]:
        problems = [_describe(error) for error in sorted(validator.iter_errors(args), key=lambda e: list(e.path))]
        if problems:
            raise ToolArgumentError("; ".join(problems))
        return args

    return validate


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
