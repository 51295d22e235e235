"""/openapi.json documents every endpoint, body and error; a schemathesis run against the live
server finds no server error and no response that contradicts the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

FAMILY = "/rest/v2/domains"
ERRORS = {"400": "ProblemBody", "401": "ProblemBody", "413": "ProblemBody", "422": "ValidationErrorBody", "429": "ProblemBody", "500": "ProblemBody", "503": "ProblemBody"}
ENDPOINTS = {
    ("get", f"{FAMILY}/providers"): (None, "200", "ProvidersResponse"),
    ("get", f"{FAMILY}/availability"): (None, "200", "AvailabilitySearchResponse"),
    ("post", f"{FAMILY}/availability"): ("AvailabilityListRequest", "200", "AvailabilityListResponse"),
    ("get", f"{FAMILY}/owner"): (None, "200", "Owner"),
    ("post", f"{FAMILY}/owner"): ("OwnerRequest", "200", "Owner"),
    ("post", f"{FAMILY}/order"): ("OrderDomainsRequest", "202", "OrderAccepted"),
    ("post", f"{FAMILY}/mailboxes/order"): ("OrderMailboxesRequest", "202", "OrderAccepted"),
    ("get", f"{FAMILY}/orders/{{order_id}}"): (None, "200", "OrderStatusResponse"),
    ("get", FAMILY): (None, "200", "DomainList"),
    ("get", f"{FAMILY}/{{domain_name}}"): (None, "200", "DomainDetail"),
    ("get", f"{FAMILY}/{{domain_name}}/mailboxes"): (None, "200", "MailboxList"),
    ("get", f"{FAMILY}/{{domain_name}}/mailboxes/{{mailbox_email}}"): (None, "200", "MailboxDetail"),
    ("patch", f"{FAMILY}/{{domain_name}}/set_redirect_url"): ("RedirectRequest", "202", "Accepted"),
    ("patch", f"{FAMILY}/{{domain_name}}/set_email_forwarding"): ("ForwardingRequest", "202", "Accepted"),
    ("patch", f"{FAMILY}/{{domain_name}}/mailboxes/{{mailbox_email}}/profile_picture"): ("AvatarRequest", "200", "Success"),
}
SERVICE = {("get", "/healthz"), ("get", "/readyz"), ("get", "/media/profile-pictures/{picture_id}")}
WITH_PATH_ITEM = {path for _, path in ENDPOINTS if "{domain_name}" in path or "{order_id}" in path}


def ref(content: dict) -> str:
    return content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]


def test_every_endpoint_its_body_and_errors_are_documented(anon):
    response = anon.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    operations = {(m, p): op for p, ops in schema["paths"].items() for m, op in ops.items()}
    assert set(ENDPOINTS) | set(SERVICE) <= set(operations)
    family = {key for key in operations if key[1] == FAMILY or key[1].startswith(FAMILY + "/")}
    for key in family:  # later additions to the family (e.g. DNS) too: the key, and every error
        responses = {code: ref(r["content"]) for code, r in operations[key]["responses"].items() if code in ERRORS}
        assert (operations[key]["security"], responses) == ([{"WoodpeckerApiKey": []}], ERRORS), key
    for (method, path), (request, success, answer) in ENDPOINTS.items():
        operation = operations[method, path]
        assert operation.get("summary"), path
        assert operation["security"] == [{"WoodpeckerApiKey": []}], path
        responses = {code: ref(r["content"]) for code, r in operation["responses"].items()}
        expected = ERRORS | {success: answer} | ({"404": "ProblemBody"} if path in WITH_PATH_ITEM else {})
        assert responses == expected, path
        if request:
            assert operation["requestBody"]["required"] is True
            assert ref(operation["requestBody"]["content"]) == request
            assert request in schema["components"]["schemas"]
        else:
            assert "requestBody" not in operation, path
    components = schema["components"]["schemas"]
    assert list(components["OrderDomainsRequest"]["required"]) == ["provider", "domains", "mailboxes"]
    assert components["OrderDomainsRequest"]["properties"]["provider"]["enum"] == ["MAILDOSO", "MAILFORGE", "GOOGLE", "MICROSOFT"]
    assert set(components["ValidationErrorBody"]["properties"]) == {"type", "message", "code", "request_id", "fields"}
    # The seed's four members, and the request's id that every error body carries.
    assert set(components["ProblemBody"]["properties"]) == {"title", "status", "details", "timestamp", "request_id"}
    assert set(components["ErrorData"]["properties"]) == {"code", "errors", "requestId"}
    assert schema["components"]["securitySchemes"]["WoodpeckerApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "Your Mailwright API key",
    }
    order = operations["post", f"{FAMILY}/order"]
    assert [p["name"] for p in order["parameters"]] == ["Idempotency-Key"]


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.mark.timeout(600)
def test_the_schema_holds_for_generated_requests(server, shop):
    """A modest, reproducible run per operation of this face (derandomized), with a key that has
    a ready domain."""
    api_schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi.json")
    headers = {"x-api-key": shop.account.api_key}
    mine = set(ENDPOINTS) | SERVICE
    operations = [op for op in (r.ok() for r in api_schema.get_all_operations()) if (op.method.lower(), op.path) in mine]
    assert len(operations) == len(mine)
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def conforms(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        conforms()
