"""The OpenAPI 3.1 document, generated from the route table and the pydantic models the handlers
use: nothing in it is written by hand, so it describes exactly what the server does."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chatops.adapters.http.schemas import ErrorBody

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
REF = "#/components/schemas/{model}"

ERROR_TEXT = {400: "Malformed request", 401: "No token, or a bad one", 403: "Not allowed",
              404: "No such thing (or not yours)", 409: "Conflict: already decided or expired",
              408: "The body arrived too slowly (http.body_timeout)", 413: "Too large",
              415: "Unsupported media type", 500: "Server error",
              503: "Not healthy, or the database is read-only (`storage_read_only`)",
              507: "The disk is full (`storage_full`): nothing was stored"}


@dataclass(frozen=True)
class Param:
    name: str
    schema: dict[str, Any]
    where: str = "query"
    description: str = ""


@dataclass(frozen=True)
class Endpoint:
    """One route: how aiohttp serves it and how the OpenAPI document describes it."""

    method: str
    path: str
    handler: Handler
    operation_id: str
    summary: str
    body: type[BaseModel] | None = None
    multipart: type[BaseModel] | None = None
    form: type[BaseModel] | None = None
    params: Sequence[Param] = ()
    ok: tuple[int, type[BaseModel] | str] = (200, "application/json")
    errors: Sequence[int] = ()
    secured: bool = True
    other: dict[int, type[BaseModel]] = field(default_factory=dict)  # non-error answers besides `ok`


def _path_params(path: str) -> list[Param]:
    return [Param(name, {"type": "string"}, "path") for name in re.findall(r"{(\w+)}", path)]


def build_document(endpoints: Sequence[Endpoint], *, title: str, version: str, token_auth: bool) -> dict[str, Any]:
    models: set[type[BaseModel]] = {ErrorBody}
    for endpoint in endpoints:
        for model in (endpoint.body, endpoint.multipart, endpoint.form, endpoint.ok[1], *endpoint.other.values()):
            if isinstance(model, type) and issubclass(model, BaseModel):
                models.add(model)
    ordered = sorted(models, key=lambda m: m.__name__)
    keys, definitions = models_json_schema([(m, "serialization") for m in ordered], ref_template=REF)
    refs = {model: keys[(model, "serialization")] for model in ordered}
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        operation: dict[str, Any] = {"operationId": endpoint.operation_id, "summary": endpoint.summary}
        explicit = {(p.name, p.where) for p in endpoint.params}
        params = [p for p in _path_params(endpoint.path) if (p.name, p.where) not in explicit] + list(endpoint.params)
        if params:
            operation["parameters"] = [
                {"name": p.name, "in": p.where, "required": p.where == "path", "schema": p.schema,
                 **({"description": p.description} if p.description else {})} for p in params]
        content: dict[str, Any] = {}
        if endpoint.body is not None:
            content["application/json"] = {"schema": refs[endpoint.body]}
        if endpoint.multipart is not None:
            content["multipart/form-data"] = {"schema": refs[endpoint.multipart]}
        if endpoint.form is not None:
            content["application/x-www-form-urlencoded"] = {"schema": refs[endpoint.form]}
        if content:
            operation["requestBody"] = {"required": True, "content": content}
        status, kind = endpoint.ok
        if isinstance(kind, str):
            ok_content = {kind: {"schema": {"type": "string"}}}
        else:
            ok_content = {"application/json": {"schema": refs[kind]}}
        responses: dict[str, Any] = {str(status): {"description": "OK", "content": ok_content}}
        for code, model in endpoint.other.items():
            responses[str(code)] = {"description": ERROR_TEXT.get(code, "See the body"),
                                    "content": {"application/json": {"schema": refs[model]}}}
        errors = set(endpoint.errors) | {500}
        if endpoint.secured and token_auth:
            errors.add(401)
        for code in sorted(errors):
            responses[str(code)] = {"description": ERROR_TEXT.get(code, "Error"),
                                    "content": {"application/json": {"schema": refs[ErrorBody]}}}
        operation["responses"] = responses
        if endpoint.secured and token_auth:
            operation["security"] = [{"bearer": []}]
        # aiohttp and OpenAPI both write path parameters as {name}
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = operation
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": definitions.get("$defs", {})},
    }
    if token_auth:
        document["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    return document

