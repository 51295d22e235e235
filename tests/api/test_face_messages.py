"""Each face's messages name only its own paths: a client of one face is never told to call the
other. The core's messages (shared by both faces, stored failure reasons included) name no face's
path at all; each face words the advice that needs one (api/*/errors.py MESSAGES)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import mailwright
from tests.conftest import client_for, unique

# The wording of each face's messages: the same whatever database is behind it.
pytestmark = pytest.mark.backend_independent

SOURCE = Path(mailwright.__file__).parent
WOODPECKER, RESELLER = "/rest/", "/api/v1/"
FACES = {"woodpecker": (WOODPECKER, RESELLER, "x-api-key"), "reseller": ("/api/v1/integration", WOODPECKER, "cmr-x-api-key")}
# An order a fresh account (no domain owner, no default registrant) is refused.
ORDER = {
    "woodpecker": ("/rest/v2/domains/order", lambda name: {"provider": "GOOGLE", "domains": [name], "mailboxes": [
        {"first_name": "Ann", "last_name": "Lee", "email": f"ann@{name}"}]}),
    "reseller": ("/api/v1/integration/orders", lambda name: {"domains": [{"domain": name}], "confirm": True}),
}
# Operator-facing text about both faces (the served API's description, the command line's hints).
BOTH_FACES = {"app.py", "cli.py"}


def _strings(path: Path) -> Iterator[tuple[int, str]]:
    """Every string literal of a module (f-string parts too) but docstrings and bare expressions."""
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            yield node.lineno, node.value


def _forbidden(relative: str) -> tuple[str, ...]:
    if relative.startswith("api/woodpecker/"):
        return (RESELLER,)
    if relative.startswith("api/reseller/"):
        return (WOODPECKER,)
    return (WOODPECKER, RESELLER)


def test_no_module_names_a_path_of_a_face_it_does_not_belong_to():
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        if relative in BOTH_FACES or relative.startswith("migrations/"):
            continue
        for line, text in _strings(path):
            found += [f"{relative}:{line}: {text!r}" for prefix in _forbidden(relative) if prefix in text]
    assert found == []


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def _operations(spec: dict[str, Any], prefix: str) -> Iterator[tuple[str, str]]:
    for path, item in spec["paths"].items():
        if path.startswith(prefix):
            for method in item:
                if method in ("get", "post", "put", "patch", "delete"):
                    yield method.upper(), re.sub(r"\{[^}]+\}", "x", path)


@pytest.mark.parametrize("face", sorted(FACES))
def test_every_error_a_face_answers_names_none_of_the_other_faces_paths(server, account, default_registrant, face):
    prefix, other, header = FACES[face]
    default_registrant(None)  # a fresh account then cannot order: the refusal's advice is checked too
    walked = 0
    with client_for(server) as http:
        operations = list(_operations(http.get("/openapi.json").json(), prefix))
        assert len(operations) > 10
        bad = []
        for method, path in operations:
            for headers in ({}, {header: account.api_key}):
                response = http.request(method, path, headers=headers, json={} if method != "GET" else None)
                if response.status_code < 400:
                    continue
                walked += 1
                bad += [f"{method} {path} {response.status_code}: {text}" for text in _texts(response.json()) if other in text]
        name = f"{unique()}.com"
        path, body = ORDER[face]
        refused = http.post(path, headers={header: account.api_key}, json=body(name))
        assert refused.status_code == 422 and "domain_owner_required" in list(_texts(refused.json())), refused.text
        bad += [f"order {refused.status_code}: {text}" for text in _texts(refused.json()) if other in text]
    assert walked > len(operations)
    assert bad == []
