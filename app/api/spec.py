"""The OpenAPI document as generated clients read it (issue 19).

FastAPI writes each operation's declared answers; this finishes them by one rule, so that a client
generated from `/openapi.json` (openapi-python-client, datamodel-code-generator) keeps every error's
message and demands no token in local mode:

- every error an operation can answer is declared, with the one `ErrorBody` schema, and only there:
  401 and 503 everywhere (team mode looks the token up in the database), 403 where the route needs
  more than reading, 404 where the path names something, 413 where there is a body, 422 where there
  is a body or a parameter; 409 and other answers only where the route declares them;
- `security`, the document's and no operation's own, allows both no token (local mode) and the bearer
  `apiToken` (team mode): openapi-python-client then takes a plain or an authenticated client for
  every call (an operation's own `security` makes it demand a token).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts
from pydantic.json_schema import models_json_schema
from starlette.routing import BaseRoute, compile_path

from app.api.errors import ErrorBody
from app.auth.policy import API, rule
from app.auth.roles import Permission

ERROR_SCHEMA = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
GENERIC: dict[int, str] = {
    401: "Sign-in required (team mode): send `Authorization: Bearer <token>`.",
    403: "Your role or your token's scope does not allow this, or a CSRF check failed.",
    404: "No such item: the message says which (and, for an unknown id, the closest ones).",
    413: "The request body is larger than MAX_BODY_BYTES.",
    422: "A bad field or parameter: each with its path and message.",
    503: "The database is unavailable: try again after the Retry-After seconds.",
}
"""The errors the rule declares, with the description used where the route gives none of its own."""


def errors_of(operation: dict[str, Any], permission: Permission | None) -> set[int]:
    """The error statuses an /api/v1 operation can answer, given the permission its route needs."""
    params = operation.get("parameters", [])
    body = "requestBody" in operation
    statuses = {401, 503}
    if permission is not Permission.READ:
        statuses.add(403)
    if any(p.get("in") == "path" for p in params):
        statuses.add(404)
    if body:
        statuses.add(413)
    if body or params:
        statuses.add(422)
    return statuses


def finish(spec: dict[str, Any], routes: list[BaseRoute]) -> dict[str, Any]:
    """`spec` with each /api/v1 operation's errors and security set by the rule above (in place)."""
    permissions = {
        (compile_path(str(context.path))[1], method.lower()): rule(method, str(context.path))
        for context in iter_route_contexts(routes)
        for method in context.methods or ()
    }
    for path, operations in spec["paths"].items():
        if not path.startswith(API):
            continue
        for method, operation in operations.items():
            responses: dict[str, Any] = operation["responses"]
            wanted = errors_of(operation, permissions.get((path, method)))
            for status in [s for s in responses if s.isdigit() and int(s) in GENERIC and int(s) not in wanted]:
                del responses[status]
            for status in wanted:
                responses.setdefault(str(status), {"description": GENERIC[status]})
            for status, answer in responses.items():
                if status.isdigit() and int(status) >= 400:
                    answer["content"] = ERROR_SCHEMA
            operation.pop("security", None)  # the document's: an operation's own makes generators demand a token
    spec["security"] = [{}, {"apiToken": []}]
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    _, defs = models_json_schema([(ErrorBody, "serialization")], ref_template="#/components/schemas/{model}")
    schemas.update(defs["$defs"])
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 (the first refers to the second)
        if f'"#/components/schemas/{unused}"' not in json.dumps(spec):
            schemas.pop(unused, None)
    return spec


def install(app: FastAPI) -> None:
    """Serve the finished document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = finish(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    summary=app.summary,
                    description=app.description,
                    routes=app.routes,
                ),
                app.routes,
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
