"""The OpenAPI document made true to what the server answers: every error is the one error
shape (ErrorBody), 4XX/5XX are listed on every operation, 422 is our body (not FastAPI's
HTTPValidationError), and Idempotency-Key is required where the route requires it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from common.wire import API_PREFIX, ErrorBody

_REF = "#/components/schemas/{model}"


def _error(description: str, *, page: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {
        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
    }
    if page:  # pages for browsers (/t/…, /admin/…) answer their errors as HTML
        content["text/html"] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


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
        for path, operations in schema.get("paths", {}).items():
            page = not path.startswith(API_PREFIX)
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = _error("Request is invalid: E-API-02 names the fields",
                                              page=page)
                responses.setdefault(
                    "4XX", _error('An error: {"error": {"code", "message"}}', page=page))
                responses.setdefault("5XX", _error("Server or database error (E-SRV-*)",
                                                   page=page))
                for param in operation.get("parameters", []):
                    if param.get("name") == "Idempotency-Key":
                        param["required"] = True
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
