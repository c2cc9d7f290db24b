"""The OpenAPI document's error responses (every operation lists the 4xx/5xx it can answer, in our
shape) and the links from a created org or call to the operations that use its id.

Done once, after the routes are known, instead of a `responses=` map on every route: what a route can
fail with follows from what it declares (credentials, path ids, a body, If-Match), plus any codes the
route documented itself. FastAPI's own 422 schema is replaced, since our handler renders its own shape.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA: dict[str, Any] = {
    "title": "ErrorResponse",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "description": "Stable, machine-readable, e.g. invalid_cursor"},
                "message": {"type": "string"},
                "details": {
                    "description": "Per-field problems for validation errors, else null or an object"
                },
            },
        }
    },
}
_REF = {"$ref": "#/components/schemas/ErrorResponse"}
_DESCRIPTIONS = {
    "400": "Malformed cursor or header",
    "401": "Missing or invalid credentials",
    "403": "The key lacks the route's scope",
    "404": "No such resource (or not the key's organization)",
    "409": "Conflict with the current state",
    "412": "If-Match names another version",
    "413": "The request body is over its size limit",
    "422": "The request is invalid; details name each field",
    "500": "A bug: logged with its type only",
    "502": "An upstream vendor failed",
    "503": "A backing service is unavailable; retry later",
    "504": "An upstream vendor timed out",
}


def _codes_for(path: str, method: str, operation: dict[str, Any]) -> set[str]:
    params = {p.get("name", "").lower() for p in operation.get("parameters", [])}
    codes = {"422", "500", "503"}
    if "authorization" in params:
        codes |= {"401", "403"}
        if path.startswith("/api/admin"):
            codes.add("503")  # admin API disabled
    if "{" in path or "requestBody" in operation:
        codes.add("404")  # a path id, or an id inside the body (call_id ...)
    if "cursor" in params or "if-match" in params:
        codes.add("400")
    if "if-match" in params:
        codes |= {"409", "412"}
    if "requestBody" in operation or method in ("post", "put", "patch", "delete"):
        codes |= {"409", "413"}
    if path.startswith("/api/realtime"):
        codes |= {"502", "503", "504"}
    return codes


# (operation that creates, its success status, body field) -> operations that take that id as a path
# parameter. Clients (and stateful fuzzing) follow these links from a created resource to its uses.
_LINKS: list[tuple[str, str, str, str, str, list[tuple[str, str]]]] = [
    (
        "/api/admin/orgs",
        "post",
        "201",
        "id",
        "org_id",
        [
            ("/api/admin/orgs/{org_id}", "get"),
            ("/api/admin/orgs/{org_id}/api-keys", "post"),
            ("/api/admin/orgs/{org_id}/api-keys", "get"),
            ("/api/admin/orgs/{org_id}/phone-numbers", "post"),
        ],
    ),
    (
        "/api/call/start",
        "post",
        "201",
        "call_id",
        "call_id",
        [
            ("/api/calls/{call_id}/transcript", "post"),
            ("/api/calls/{call_id}/tool-calls", "post"),
            ("/api/calls/{call_id}", "get"),
        ],
    ),
]


def _add_links(paths: dict[str, Any]) -> None:
    for path, method, status, field, parameter, targets in _LINKS:
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        links = response.setdefault("links", {})
        for target_path, target_method in targets:
            target = paths.get(target_path, {}).get(target_method)
            if target is None or "operationId" not in target:
                continue
            links[target["operationId"]] = {
                "operationId": target["operationId"],
                "parameters": {parameter: f"$response.body#/{field}"},
            }


def document_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error responses to every operation of an OpenAPI document (in place) and return it."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorResponse"] = ERROR_SCHEMA
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            for code in sorted(_codes_for(path, method, operation) | {c for c in responses if c[0] in "45"}):
                entry = responses.setdefault(code, {"description": _DESCRIPTIONS.get(code, "Error")})
                entry["content"] = {"application/json": {"schema": _REF}}
    _add_links(schema.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install_openapi(app: FastAPI) -> None:
    build = app.openapi
    documented = False

    def openapi() -> dict[str, Any]:
        nonlocal documented
        schema = build()  # FastAPI builds it once and caches it on the app
        if not documented:
            document_error_responses(schema)
            documented = True
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
