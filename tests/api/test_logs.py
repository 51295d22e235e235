"""Structured logs: the access-log line of a request carries its request id."""

from __future__ import annotations

import json
import logging

from mailwright.logs import JsonFormatter
from tests.api.bodies import request_id
from tests.conftest import wait_until


def test_access_log_carries_the_request_id(api, caplog):
    caplog.set_level(logging.INFO, logger="mailwright.access")
    response = api.get("/rest/v2/domains/providers", headers={"x-request-id": "log-test-request-0001"})
    assert request_id(response) == "log-test-request-0001"

    def logged():
        return [r for r in caplog.records if r.name == "mailwright.access" and getattr(r, "request_id", None) == "log-test-request-0001"]

    record = wait_until(logged, timeout=10)[0]
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request_id"] == "log-test-request-0001"
    assert entry["message"] == "GET /rest/v2/domains/providers 200"
    assert entry["status"] == 200 and entry["level"] == "info" and entry["logger"] == "mailwright.access"
    assert isinstance(entry["duration_ms"], float)
