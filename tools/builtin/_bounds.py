"""Bounded number types for tool parameters.

Why classes instead of `Annotated[int, Field(ge=1)]`: `tools.registry._without_context` reads
hints with `get_type_hints(fn)` (no `include_extras=True`), which strips `Annotated` metadata
from chatops.tools that take a `ToolContext`, so such bounds silently vanish from both the JSON schema
and validation. A type carrying its own core schema survives, and stays inline in the schema.
Validated values are plain `int`/`float`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema


class _Bounded:
    schema: ClassVar[CoreSchema]

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return cls.schema


class Port(int, _Bounded):
    """A TCP port number, 1-65535."""

    schema = core_schema.int_schema(ge=1, le=65535)


class HttpStatusCode(int, _Bounded):
    """An HTTP status code, 100-599."""

    schema = core_schema.int_schema(ge=100, le=599)


class CheckSeconds(float, _Bounded):
    """A network wait in seconds: positive and at most 30 (the tools' own time limit)."""

    schema = core_schema.float_schema(gt=0, le=30)
