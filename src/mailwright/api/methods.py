"""Which methods a path has, answered the same way for every path: OPTIONS gets 204 with an
`Allow` header listing them, and any other method not among them gets 405 with the same header,
in the face's error body."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from mailwright.api.errors import Faces


class AllowedMethods:
    """The methods of a path are those the OpenAPI document lists for it, plus
    those of the undocumented pages (/docs ...). They are read from the routes the document is
    made of, in its order, not from the document: building it takes most of a second, which
    the first request would otherwise wait for (tests/api checks that both agree). A path
    belongs to the first template, in routing order, that matches it: /rest/v2/domains/owner is the owner's path, never a domain named
    "owner", so DELETE there is 405 rather than a search for that domain."""

    def __init__(self, app: ASGIApp, api: FastAPI, faces: Faces) -> None:
        self.app = app
        self.api = api
        self.faces = faces
        self._templates: list[tuple[re.Pattern[str], frozenset[str]]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        methods = self.methods_of(scope["path"])
        if methods is None or scope["method"] in methods:
            await self.app(scope, receive, send)
            return
        allow = ", ".join(sorted(methods | {"OPTIONS"}))
        if scope["method"] == "OPTIONS":
            response = Response(status_code=204, headers={"Allow": allow})
        else:
            request = Request(scope)
            details = f"{scope['method']} is not allowed on {scope['path']}; allowed: {allow}"
            response = self.faces.for_request(request).problem(request, 405, details, {"Allow": allow})
        await response(scope, receive, send)

    def methods_of(self, path: str) -> frozenset[str] | None:
        """The methods of the path's template, or None for a path no route has."""
        for pattern, methods in self._by_template():
            if pattern.match(path):
                return methods
        return None

    def _by_template(self) -> list[tuple[re.Pattern[str], frozenset[str]]]:
        if self._templates is None:
            methods: dict[str, set[str]] = {}
            for template, found in documented_methods(self.api):
                methods.setdefault(template, set()).update(found)
            for route in self.api.routes:
                if isinstance(route, Route) and not route.include_in_schema and route.methods:
                    methods.setdefault(route.path, set()).update(route.methods)
            self._templates = [(compile_path(template)[0], frozenset(found)) for template, found in methods.items()]
        return self._templates


def documented_methods(api: FastAPI) -> list[tuple[str, set[str]]]:
    """Each documented route's template and methods, in the order FastAPI's OpenAPI document
    lists them (fastapi.openapi.utils.get_openapi: every APIRoute in the schema, all its methods)."""
    return [
        (route.path_format, set(route.methods))
        for route in iter_route_contexts(api.routes)
        if isinstance(route.original_route, APIRoute) and route.include_in_schema and route.methods
    ]
