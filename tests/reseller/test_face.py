"""The face itself: authentication from cmr-x-api-key, the envelope on every answer, and errors
(from services, request validation and HTTP) in this face's shape, never the other face's."""

from __future__ import annotations

from tests.conftest import client_for
from tests.reseller.conftest import field_errors


def test_missing_key_is_401_naming_the_header(reseller_anon):
    response = reseller_anon.get("/wallet")
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "message": "Missing cmr-x-api-key header",
        "data": {
            "code": "unauthorized",
            "errors": [{"field": "cmr-x-api-key", "message": "Header is required"}],
            "requestId": response.headers["x-request-id"],
        },
    }


def test_unknown_key_is_401(reseller_anon):
    response = reseller_anon.get("/users", headers={"cmr-x-api-key": "mw_not_a_real_key"})
    assert response.status_code == 401
    assert field_errors(response) == {"cmr-x-api-key": "Invalid or revoked API key"}
    assert response.json()["message"] == "Invalid or revoked API key"


def test_the_other_faces_header_does_not_authenticate_here(reseller_anon, account):
    response = reseller_anon.get("/wallet", headers={"x-api-key": account.api_key})
    assert response.status_code == 401
    assert field_errors(response) == {"cmr-x-api-key": "Header is required"}


def test_same_key_works_on_both_faces(reseller, server, account):
    assert reseller.get("/wallet").status_code == 200
    with client_for(server, account) as woodpecker:
        assert woodpecker.get("/rest/v2/domains").status_code == 200


def test_unknown_path_under_the_prefix_is_404_in_the_envelope(reseller):
    response = reseller.get("/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "message": "No endpoint at GET /api/v1/integration/no-such-thing",
        "data": {"code": "not_found", "errors": [], "requestId": response.headers["x-request-id"]},
    }


def test_wrong_method_is_405_in_the_envelope(reseller):
    response = reseller.patch("/wallet")
    assert response.status_code == 405
    assert response.json()["status"] == 405
    assert response.json()["data"] == {"code": "method_not_allowed", "errors": [], "requestId": response.headers["x-request-id"]}


def test_malformed_json_names_the_body(reseller):
    response = reseller.post("/users", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    errors = field_errors(response)
    assert list(errors) == ["body"]
    assert errors["body"].startswith("Request body is not valid JSON")


def test_a_json_array_body_is_refused(reseller):
    response = reseller.post("/users", json=[1, 2])
    assert response.status_code == 400
    assert field_errors(response) == {"body": "Request body must be a JSON object"}


def test_bad_query_parameters_are_all_named(reseller):
    response = reseller.get("/users", params={"limit": "0", "page": "first"})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Invalid field(s)"
    assert body["data"]["code"] == "invalid_fields"
    assert set(field_errors(response)) == {"limit", "page"}


def test_oversized_body_is_413_in_the_envelope(make_server, account):
    from tests.reseller.conftest import reseller_client

    small = make_server(max_body_bytes=2048)
    json = {"content-type": "application/json"}

    def endless():  # chunked: no Content-Length to refuse it by, so it is cut off while read
        yield b'{"domains": ['
        for _ in range(64):
            yield b'"a.com", ' * 16

    with reseller_client(small, account) as client:
        answers = [
            client.post("/users", content=b"{" + b" " * 4096 + b"}", headers=json),
            client.request("DELETE", "/domains", content=endless(), headers=json),
            client.request("DELETE", "/mailboxes", content=endless(), headers=json),
        ]
    for response in answers:
        assert response.status_code == 413, response.text
        assert response.json()["status"] == 413
        assert response.json()["data"]["code"] in ("content_too_large", "request_entity_too_large")


def test_the_woodpecker_face_keeps_its_own_error_shape(anon):
    response = anon.get("/rest/v2/domains")
    assert response.status_code == 401
    assert set(response.json()) == {"title", "status", "details", "timestamp", "request_id"}


def test_every_error_names_its_request(reseller, reseller_anon, make_server, account):
    """The id a caller sends in X-Request-Id comes back in data.requestId, whatever the error."""
    from tests.reseller.conftest import reseller_client

    sent = {"x-request-id": "support-ticket-4711"}
    slow = make_server(rate_limit_burst=1, rate_limit_per_minute=1)
    with reseller_client(slow, account) as limited:
        limited.get("/wallet")
        throttled = limited.get("/wallet", headers=sent)
    answers = {
        401: reseller_anon.get("/wallet", headers=sent),
        400: reseller.post("/users", json=[1], headers=sent),
        404: reseller.get("/users/details", params={"userId": "0" * 28}, headers=sent),
        405: reseller.patch("/wallet", headers=sent),
        429: throttled,
    }
    for status, response in answers.items():
        assert response.status_code == status, response.text
        assert response.headers["x-request-id"] == "support-ticket-4711"
        assert response.json()["data"]["requestId"] == "support-ticket-4711", status


def test_openapi_documents_the_face(anon):
    schema = anon.get("/openapi.json").json()
    paths = [p for p in schema["paths"] if p.startswith("/api/v1/integration")]
    assert "/api/v1/integration/users" in paths
    assert "UserRequest" in schema["components"]["schemas"]
    listing = schema["paths"]["/api/v1/integration/users"]["get"]
    assert "401" in listing["responses"] and "400" in listing["responses"]
