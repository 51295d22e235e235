"""MAILWRIGHT_QUEUE_LIMITS: defaults, overrides and the errors a typo gets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mailwright.config import Settings
from mailwright.provisioning.queues import DEFAULTS, QueueLimits, parse_queue_limits, queue_name


def test_overrides_replace_a_roles_defaults_and_keep_the_others():
    limits = parse_queue_limits('{"registrar": {"concurrency": 1, "limit": 1, "period": 10}, "GOOGLE": {"worker_concurrency": 2}}')
    assert limits["registrar"] == QueueLimits(concurrency=1, limit=1, period=10.0)
    assert limits["GOOGLE"] == QueueLimits(worker_concurrency=2)
    assert limits["dns"] == DEFAULTS["dns"]
    assert queue_name("orders") == "provisioning" and queue_name("registrar") == "provider-registrar"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", "JSON object"),
        ("{nope", "must be JSON"),
        ('{"registrat": {}}', "unknown queue role 'registrat'"),
        ('{"dns": {"concurrency": 0}}', "dns.concurrency must be a positive integer"),
        ('{"dns": {"limit": 1}}', "limit and period go together"),
        ('{"dns": {"limit": 1, "period": -1}}', "dns.period must be a positive number"),
        ('{"dns": {"concurrency": 1, "worker_concurrency": 2}}', "must not exceed"),
        ('{"dns": {"burst": 1}}', "must be an object with"),
    ],
)
def test_invalid_limits_are_refused_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_queue_limits(text)
    with pytest.raises(ValidationError, match=message):
        Settings(queue_limits=text)
