"""The OpenAPI document made true to what the server answers (issue 15).

- Every operation lists the error statuses it can answer, each naming its error codes
  (`x-error-codes`) with the one error shape (ErrorBody). The codes are read from the code
  itself (hall_server/error_map.py: the endpoint, its dependencies and what they call), plus
  what every route may answer: 422 E-API-02 when it takes input, 404 when a path parameter
  names nothing the router knows, 500 and 503 (database). No 4XX/5XX wildcards: schemathesis
  (tests/server/test_schemathesis.py) fails on a status the document does not list.
- A route whose code picks an error at run time names it in its decorator: `responses=
  errors(CODE, …)`.
- Idempotency-Key is required where the route requires it (deps.IdempotencyKey), optional on
  the transitions that merely accept it (deps.TransitionKey).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from common import errors as codes
from common.errors import ErrorCode
from common.wire import API_PREFIX, ErrorBody

_REF = "#/components/schemas/{model}"
EVERY_ROUTE = (codes.SERVER_ERROR, codes.DATABASE_UNAVAILABLE)


def errors(*raised: ErrorCode) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: error codes it answers that error_map cannot see."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in raised:
        entry = out.setdefault(code.http_status, {"description": "", "x-error-codes": []})
        entry["x-error-codes"].append(code.code)
        entry["description"] = _describe(entry["x-error-codes"])
    return out


def _describe(names: list[str]) -> str:
    return "; ".join(f"{n} {codes.REGISTRY[n].en}" if n in codes.REGISTRY else n
                     for n in sorted(names))


def _error(names: list[str], description: str = "", *, page: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {
        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
    }
    if page:  # pages for browsers (/t/…, /admin/…) answer their errors as HTML
        content["text/html"] = {"schema": {"type": "string"}}
    names = sorted(set(names))
    return {"description": description or _describe(names), "content": content,
            "x-error-codes": names}


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router (FastAPI ≥ 0.16x)
            yield from _api_routes(route.original_router.routes)


def _route_for(routes: list[APIRoute], path: str, method: str) -> APIRoute | None:
    for route in routes:
        if method.upper() in route.methods and path in (route.path, API_PREFIX + route.path):
            return route
    return None


def _required_key_description() -> str:
    from hall_server.api.deps import IdempotencyKey

    return IdempotencyKey.__metadata__[0].description


def _operation_errors(route: APIRoute | None, operation: dict[str, Any],
                      path: str) -> dict[int, set[str]]:
    """Status → error codes this operation can answer."""
    from hall_server.error_map import route_codes

    found = set(EVERY_ROUTE) | (route_codes(route) if route is not None else set())
    if operation.get("parameters") or operation.get("requestBody"):
        found.add(codes.VALIDATION)
    if "{" in path:
        found.add(codes.NOT_FOUND)  # a value the router cannot place answers "no such route"
    by_status: dict[int, set[str]] = {}
    for code in found:
        by_status.setdefault(code.http_status, set()).add(code.code)
    return by_status


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version,
                             description=app.description, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        body = ErrorBody.model_json_schema(ref_template=_REF)
        components.update(body.pop("$defs", {}))
        components["ErrorBody"] = body
        routes = list(_api_routes(app.routes))
        required_key = _required_key_description()
        for path, operations in schema.get("paths", {}).items():
            page = not path.startswith(API_PREFIX)
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                responses.pop("4XX", None)
                responses.pop("5XX", None)
                route = _route_for(routes, path, method)
                found = _operation_errors(route, operation, path)
                for status in (int(s) for s in responses if s.isdigit() and int(s) >= 400):
                    found.setdefault(status, set())  # declared by the route (errors(…))
                for status, names in found.items():
                    declared = responses.get(str(status), {})
                    names |= set(declared.get("x-error-codes", []))
                    text = declared.get("description", "")
                    if text and names and text != _describe(sorted(names)):
                        text = f"{text}; {_describe(sorted(names))}"
                    responses[str(status)] = _error(sorted(names), text, page=page)
                for param in operation.get("parameters", []):
                    if param.get("name") == "Idempotency-Key":
                        param["required"] = param.get("description") == required_key
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
