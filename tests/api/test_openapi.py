"""/openapi.json documents every endpoint, body and error; schemathesis over both faces against
the live server (its coverage phase on each backend, its fuzzing phase once: see PHASES) finds no
server error and no answer that contradicts the schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis import engine
from schemathesis.engine import events

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
    ("patch", f"{FAMILY}/{{domain_name}}/set_dkim"): ("DkimRequest", "200", "Success"),
    ("patch", f"{FAMILY}/{{domain_name}}/confirm_dkim"): (None, "200", "Success"),
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
        expected = ERRORS | {success: answer} | ({"404": "ProblemBody"} if path in WITH_PATH_ITEM else {}) | ({"408": "ProblemBody", "415": "ProblemBody"} if request else {})
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


# The checks that hold the server to its document: no 5xx; status codes, content types, headers
# and bodies as documented; Allow as documented; keys really required. (Schemathesis's
# positive_data_acceptance and negative_data_rejection judge how strict the schema is, not
# whether the server keeps to it.)
FUZZ_CONFIG = {
    "seed": 20261201,
    "suppress-health-check": ["all"],
    "generation": {"max-examples": 2, "mode": "all"},
    "checks": {"positive_data_acceptance": {"enabled": False}, "negative_data_rejection": {"enabled": False}},
    "phases": {
        # The documented examples are sent, with real ids, by tests/api/test_examples.py.
        "examples": {"enabled": False},
        # Every boundary of every parameter and body; OPTIONS on each path for the Allow check.
        "coverage": {"enabled": True, "unexpected-methods": ["options"], "generation": {"mode": "positive"}},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
}
# Two passes. The coverage phase, on every backend: each boundary of each parameter and body is
# valid input that reaches the database (the longest text, the largest number a column must
# hold), where backends differ. The fuzzing phase (positive and negative generated requests)
# once, on SQLite: most of its requests stop at validation, before any database. What that gives
# up: a random value valid by the schema that only PostgreSQL refuses (a NUL character in a
# text) is no longer sent there by this test; the coverage pass's boundaries are.
PHASES = ("coverage", "fuzzing")


def config_of(phase: str) -> dict[str, Any]:
    """FUZZ_CONFIG with only `phase` on."""
    phases = FUZZ_CONFIG["phases"] | {other: FUZZ_CONFIG["phases"][other] | {"enabled": other == phase} for other in PHASES}
    return FUZZ_CONFIG | {"phases": phases}


# URLs Mailwright itself calls (webhook targets, profile pictures fetched while provisioning)
# point at a closed local port whatever was generated: the run never reaches another machine.
CALLED_BACK = {"target_url", "url", "profilePicture"}
CLOSED_LOCAL_URL = "http://127.0.0.1:9/generated"


def _local_urls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: CLOSED_LOCAL_URL if k in CALLED_BACK and isinstance(v, str) and "://" in v else _local_urls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_local_urls(v) for v in value]
    return value


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if isinstance(case.body, (dict, list)):
        case.body = _local_urls(case.body)


@pytest.mark.timeout(600)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # schemathesis's own strategies
def test_every_boundary_of_every_operation_keeps_to_the_schema(server, shop):
    """Schemathesis's coverage phase over every operation of both faces, on each backend."""
    keeps_to_the_schema(server, shop, "coverage")


@pytest.mark.backend_independent
@pytest.mark.timeout(600)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_both_faces_keep_to_the_schema_under_generated_requests(server, shop):
    """Schemathesis's fuzzing phase over every operation of both faces (see PHASES)."""
    keeps_to_the_schema(server, shop, "fuzzing")


def keeps_to_the_schema(server, shop, phase: str) -> None:
    """One schemathesis phase over every operation of both faces, bounded and reproducible (fixed
    seed), authenticated as an account with credit, a ready domain (`m0@` its mailbox) and a
    reseller user, so that requests get past 401 and the lookups."""
    user = shop.api.post(
        "/api/v1/integration/users",
        headers={"cmr-x-api-key": shop.account.api_key},
        json={"email": f"{phase}@{shop.domain}", "firstName": "Fuzz", "lastName": "Tester"},
    )
    assert user.status_code == 201, user.text
    key = shop.account.api_key
    config = config_of(phase) | {
        "headers": {"x-api-key": key, "cmr-x-api-key": key},
        "parameters": {"path.domain_name": shop.domain, "path.mailbox_email": f"m0@{shop.domain}", "query.userId": user.json()["data"]["userId"]},
    }
    api_schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi.json", config=schemathesis.Config.from_dict(config))
    failures: dict[tuple[str, str], set[str]] = {}
    answered: dict[str, set[int]] = {}
    errors: list[str] = []
    for event in engine.from_schema(api_schema).execute():
        if isinstance(event, (events.ScenarioFinished, events.FuzzScenarioFinished)):
            recorder = event.recorder
            for interaction in recorder.interactions.values():
                if interaction.response is not None:
                    answered.setdefault(recorder.label, set()).add(interaction.response.status_code)
            for case_id, nodes in recorder.checks.items():
                for node in nodes:
                    if node.status.name == "FAILURE" and node.failure_info is not None:
                        failures.setdefault((recorder.label, node.failure_info.failure.title), set()).add(_shown(recorder.interactions.get(case_id)))
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            errors.append(f"{getattr(event, 'label', '')}: {getattr(event, 'info', event)}")
    report = [f"{label}: {title}\n    " + "\n    ".join(sorted(seen)[:2]) for (label, title), seen in sorted(failures.items())]
    assert not errors and not report, "\n".join(errors + report)
    operations = {f"{method.upper()} {path}" for path, ops in shop.api.get("/openapi.json").json()["paths"].items() for method in ops}
    assert operations <= set(answered), sorted(operations - set(answered))
    # Past authentication everywhere; and the coverage pass, whose ids and names are real (the
    # generated ones of the fuzzing pass mostly find nothing: 404), reaches a success on half.
    unauthenticated = {label for label, statuses in answered.items() if statuses <= {401}}
    assert not unauthenticated, sorted(unauthenticated)
    if phase == "coverage":
        succeeded = {label for label, statuses in answered.items() if any(200 <= s < 300 for s in statuses)}
        assert len(succeeded) >= len(operations) // 2, sorted(operations - succeeded)


def _shown(interaction: Any) -> str:
    if interaction is None:
        return "(no request)"
    request, response = interaction.request, interaction.response
    sent = f"{request.method} {request.uri} {(request.body or b'')[:200]!r}"
    return sent + (f" -> {response.status_code} {(response.content or b'')[:300]!r}" if response is not None else "")
