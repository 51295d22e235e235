"""Examples in the OpenAPI document: for every operation, a request (path and query parameters,
body) and the answer it gets. Each face keeps its own in api/<face>/examples.py; the suite sends
every one of them to a live server and checks that the answer still has the example's shape
(tests/api/test_examples.py), so they stay true."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JSON = "application/json"
MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class Example:
    method: str
    path: str
    status: int
    response: Any
    path_params: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    # Multipart form fields, for an operation that also takes multipart/form-data.
    form: dict[str, str] | None = None
    # The answer's media type: JSON, or a text type whose example is the text (a CSV file).
    media_type: str = JSON

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


def answers(module_file: str) -> Callable[[str, str], Any]:
    """The recorded answers beside a face's examples module (examples.json: "METHOD path" -> body)."""
    path = Path(module_file).with_name("examples.json")
    recorded = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return lambda method, route: recorded.get(f"{method} {route}")


def all_examples() -> list[Example]:
    from mailwright.api.reseller.examples import EXAMPLES as RESELLER
    from mailwright.api.woodpecker.examples import EXAMPLES as WOODPECKER

    return [*WOODPECKER, *RESELLER]


def apply(schema: dict[str, Any]) -> None:
    """Writes every example into the document, next to what it exemplifies."""
    for example in all_examples():
        operation = schema["paths"][example.path][example.method.lower()]
        given = example.path_params | example.query
        for parameter in operation.get("parameters", []):
            if parameter["name"] in given:
                parameter["example"] = given[parameter["name"]]
        content = operation.get("requestBody", {}).get("content", {})
        if example.body is not None and JSON in content:
            content[JSON]["example"] = example.body
        if example.form is not None and MULTIPART in content:
            content[MULTIPART]["example"] = example.form
        if example.response is not None:
            answer = operation["responses"][str(example.status)]
            answer.setdefault("content", {}).setdefault(example.media_type, {})["example"] = example.response
