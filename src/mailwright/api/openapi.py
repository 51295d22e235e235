"""The OpenAPI document. Routes describe themselves; this module adds what FastAPI cannot infer
from hand-parsed requests: the bodies (and the 415 that refuses a body in another media type, the
408 that answers one arriving too slowly),
query parameters checked by hand that are nonetheless required, each face's own error bodies,
and the examples (api/examples.py)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Query
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.models import Schema
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from mailwright.api import examples

# Marks a parameter the route checks by hand (so its problems are named with all the others)
# but that the server requires; the document says so (see `required_query`).
_REQUIRED_MARK = "x-mailwright-required"
# The models of the answers documented with `answer`, by name: `build` adds their schemas.
_ANSWER_MODELS: dict[str, type[BaseModel]] = {}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def answer(model: type[BaseModel], description: str) -> dict[str, Any]:
    """A route's documented answer with `model`'s JSON body, for `responses=`: what FastAPI writes
    for `{"model": model, "description": description}`, without the validator FastAPI would build
    for it in every route (answers are never validated against these; the error answers every
    route lists took about a second of each start)."""
    _ANSWER_MODELS[model.__name__] = model
    return {"description": description, "content": {"application/json": {"schema": ref(model.__name__)}}}


def request_body(
    error_model: str, content: dict[str, type[BaseModel]], *, required: bool = True
) -> dict[str, Any]:
    """`openapi_extra` of a route that reads its body by hand: the body's media types and models
    (each listed among the documented models), the 415 answered for any other media type, and
    the 408 answered to a body that has not all arrived in time (api.middleware.BodyLimit)."""
    error = {"application/json": {"schema": ref(error_model)}}
    return {
        "requestBody": {"required": required, "content": {media: {"schema": ref(model.__name__)} for media, model in content.items()}},
        "responses": {
            "408": {
                "description": "The body did not all arrive in time (MAILWRIGHT_REQUEST_BODY_TIMEOUT_SECONDS); the connection is closed",
                "content": error,
            },
            "415": {
                "description": "The body is not sent as " + " or ".join(content) + " (Content-Type names what is sent)",
                "content": error,
            },
        },
    }


def required_query(description: str, *, alias: str | None = None, enum: tuple[str, ...] = ()) -> Any:
    """A query parameter the route checks itself (so its problems are named with the others'),
    documented as required and non-empty (one of `enum`, when given)."""
    return Query(alias=alias, description=description, json_schema_extra={_REQUIRED_MARK: list(enum)})


def build(
    app: FastAPI, documented_models: tuple[type[BaseModel], ...], validation_bodies: dict[str, str | None], default: str
) -> dict[str, Any]:
    """The whole document. `validation_bodies` maps a face's path prefix to the schema of its 422
    answer to invalid parameters (None: the face answers them 400, documented already); other
    paths answer with `default`."""
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = _with_answer_models(schema.setdefault("components", {}))
    for model in documented_models:
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(model_schema.pop("$defs", {}))
        components[model.__name__] = model_schema
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            face = next((body for prefix, body in validation_bodies.items() if path.startswith(prefix)), default)
            _own_validation_errors(operation, face)
            _required_parameters(operation)
    for default in ("HTTPValidationError", "ValidationError"):
        components.pop(default, None)
    examples.apply(schema)
    return schema


def _with_answer_models(components: dict[str, Any]) -> dict[str, Any]:
    """components/schemas with the models of `answer`'s answers, among FastAPI's own in name order
    and written as FastAPI writes its own (as it lists those of `{"model": ...}` answers)."""
    schemas = dict(components.get("schemas", {}))
    for name, model in _ANSWER_MODELS.items():
        if name not in schemas:
            model_schema = model.model_json_schema(mode="serialization", ref_template="#/components/schemas/{model}")
            for nested, nested_schema in [*model_schema.pop("$defs", {}).items(), (name, model_schema)]:
                if nested not in schemas:
                    schemas[nested] = jsonable_encoder(Schema.model_validate(nested_schema), by_alias=True, exclude_none=True)
    components["schemas"] = {name: schemas[name] for name in sorted(schemas)}
    return components["schemas"]


def _own_validation_errors(operation: dict[str, Any], validation_model: str | None) -> None:
    """Parameter errors are answered in the face's body: the Woodpecker-style 422, or the
    reseller face's 400 (already documented there), not FastAPI's default 422."""
    responses = operation.get("responses", {})
    unprocessable = responses.get("422", {})
    content = unprocessable.get("content", {}).get("application/json", {})
    if not content.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
        return
    if validation_model is None:
        del responses["422"]
        return
    unprocessable["description"] = "Invalid fields"
    content["schema"] = ref(validation_model)


def _required_parameters(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if _REQUIRED_MARK in schema:
            enum = schema.pop(_REQUIRED_MARK)
            parameter["required"] = True
            parameter["schema"] = {"type": "string", "minLength": 1, "title": schema.get("title", parameter["name"])}
            if enum:
                parameter["schema"]["enum"] = enum
