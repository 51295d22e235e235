"""What both faces say about a request before reading its fields: the body's media type (JSON
where JSON is documented, 415 otherwise), the methods of a path (OPTIONS and 405 with Allow), and
numbers too large for any page or query."""

from __future__ import annotations

import re

import pytest

from mailwright.api.errors import Faces
from mailwright.api.methods import AllowedMethods, documented_methods
from mailwright.api.woodpecker.errors import WoodpeckerErrors
from mailwright.app import create_app
from tests.api.bodies import assert_invalid, assert_problem
from tests.reseller.conftest import field_errors, reseller  # noqa: F401 - the reseller client fixture

# What the HTTP layer answers before any field is read: the same whatever database is behind it.
pytestmark = pytest.mark.backend_independent

OWNER_PATH = "/rest/v2/domains/owner"
RESELLER = "/api/v1/integration"


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8", "application/merge-patch+json", "application/vnd.api+json"],
)
def test_json_and_json_suffixes_in_utf8_are_read(api, content_type):
    response = api.post(OWNER_PATH, content=b'{"email": "x"}', headers={"content-type": content_type})
    assert response.status_code == 422 and response.json()["code"] == "invalid_fields", response.text


@pytest.mark.parametrize(
    ("content_type", "sent"),
    [
        ("text/plain", "Content-Type text/plain was sent"),
        ("application/xml", "Content-Type application/xml was sent"),
        ("application/x-www-form-urlencoded", "Content-Type application/x-www-form-urlencoded was sent"),
        ("multipart/form-data; boundary=x", "Content-Type multipart/form-data; boundary=x was sent"),
        ("application/json; charset=latin-1", "Content-Type application/json; charset=latin-1 was sent"),
        (None, "no Content-Type was sent"),
    ],
)
def test_other_media_types_are_415_in_each_face(api, reseller, content_type, sent):
    headers = {"content-type": content_type} if content_type else {}
    woodpecker = api.post(OWNER_PATH, content=b'{"email": "x"}', headers=headers)
    assert_problem(woodpecker, 415, "Unsupported Media Type", f"Send the body as application/json ({sent})")
    answer = reseller.post("/users", content=b'{"email": "x"}', headers=headers)
    assert answer.status_code == 415, answer.text
    assert answer.json()["message"] == f"Send the body as application/json ({sent})"
    assert answer.json()["data"]["code"] == "unsupported_media_type"
    assert field_errors(answer) == {"Content-Type": "Must be application/json"}


def test_no_body_at_all_is_still_a_missing_body(api, reseller):
    assert_problem(api.post(OWNER_PATH), 400, "Bad Request", "Request body is required: send a JSON object")
    assert reseller.post("/users").status_code == 400


def test_the_reseller_order_takes_multipart_or_json_only(reseller):
    refused = reseller.post("/orders", data={"domains": "[]"})  # an HTML form's urlencoded body
    assert refused.status_code == 415 and field_errors(refused) == {"Content-Type": "Must be multipart/form-data or application/json"}
    assert reseller.post("/orders", content=b'{"domains": []}', headers={"content-type": "application/json; charset=utf-8"}).status_code == 400


def test_an_optional_body_may_be_absent_but_not_in_another_media_type(reseller):
    # DELETE /mailboxes takes mailboxId from the query or from a JSON body.
    assert field_errors(reseller.delete("/mailboxes", params={"mailboxId": "nothing"})) == {"mailboxId": "No such mailbox of yours"}
    refused = reseller.request("DELETE", "/mailboxes", content=b"mailboxId=x", headers={"content-type": "application/x-www-form-urlencoded"})
    assert refused.status_code == 415 and field_errors(refused) == {"Content-Type": "Must be application/json"}
    wrong = reseller.request("DELETE", "/domains/dns-records", json={"userId": ["x"], "domainId": {}, "recordId": 5, "force": "maybe"})
    assert wrong.status_code == 400
    assert field_errors(wrong) == {
        "force": "Must be true or false",
        "userId": "Must be a string",
        "domainId": "Must be a string",
        "recordId": "Must be a string",
    }


def test_415_and_408_are_documented_wherever_a_body_is_read(anon):
    schema = anon.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            has_body = "requestBody" in operation
            for status in ("408", "415"):
                assert (status in operation["responses"]) == has_body, (status, method, path)
                if has_body:
                    model = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                    assert model == ("ErrorEnvelope" if path.startswith(RESELLER) else "ProblemBody"), path


def test_options_lists_every_documented_method_of_each_path(anon):
    documented = anon.get("/openapi.json").json()["paths"]
    for template, operations in documented.items():
        path = re.sub(r"\{[^}]+\}", "x", template)
        response = anon.options(path)
        assert response.status_code == 204 and response.content == b"", path
        assert response.headers["allow"] == ", ".join(sorted({m.upper() for m in operations} | {"OPTIONS"})), path
    assert anon.options("/api/v1/integration/users").headers["allow"] == "DELETE, GET, OPTIONS, POST, PUT"


def test_the_methods_read_from_the_routes_are_the_documents_in_its_order(runtime):
    # The first template that matches a path is its template: the order matters as much as the sets.
    app = create_app(runtime)
    assert AllowedMethods(app, app, Faces(default=WoodpeckerErrors())).methods_of("/readyz") == {"GET"}
    assert app.openapi_schema is None  # not built for it: that is most of a second of the first request
    from_routes: dict[str, set[str]] = {}
    for template, methods in documented_methods(app):
        from_routes.setdefault(template, set()).update(methods)
    documented = {template: {m.upper() for m in operations} for template, operations in app.openapi()["paths"].items()}
    assert list(from_routes.items()) == list(documented.items())


def test_other_methods_are_405_with_allow_in_each_face(api, reseller):
    # The owner's path is not a domain named "owner": DELETE there is not a domain removal.
    assert_problem(api.delete(OWNER_PATH), 405, "Method Not Allowed", f"DELETE is not allowed on {OWNER_PATH}; allowed: GET, OPTIONS, POST")
    assert api.delete(OWNER_PATH).headers["allow"] == "GET, OPTIONS, POST"
    refused = reseller.get("/orders/mailboxes")
    assert refused.status_code == 405 and refused.headers["allow"] == "OPTIONS, POST"
    assert refused.json()["data"]["code"] == "method_not_allowed"


def test_page_numbers_are_bounded_on_both_faces(api, reseller):
    assert_invalid(
        api.get("/rest/v2/wallet", params={"page": "1716105094882425344"}),
        ("page", "Input should be less than or equal to 1000000", "1716105094882425344"),
    )
    assert api.get("/rest/v2/wallet", params={"page": "1000000"}).json()["entries"] == []
    answer = reseller.get("/users", params={"page": "1716105094882425344", "limit": "10"})
    assert answer.status_code == 400 and set(field_errors(answer)) == {"page"}
    schema = api.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["schema"].get("type") == "integer":
                    assert "maximum" in parameter["schema"] and "minimum" in parameter["schema"], (method, path, parameter["name"])


def test_reseller_business_refusals_are_documented_422s(anon):
    """Any reseller call can meet a business rule (a subscription that ended, a URL already
    subscribed ...): 422 in the envelope is documented on each."""
    schema = anon.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        if path.startswith(RESELLER):
            for method, operation in operations.items():
                answer = operation["responses"].get("422")
                assert answer and answer["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorEnvelope"), (method, path)
