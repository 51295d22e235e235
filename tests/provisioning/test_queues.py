"""MAILWRIGHT_QUEUE_LIMITS: defaults, overrides and the errors a typo gets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mailwright.config import Settings
from mailwright.provisioning.queues import DEFAULTS, ORDERS_QUEUE, RETIRED_QUEUES, QueueLimits, parse_queue_limits


def test_overrides_replace_a_roles_defaults_and_keep_the_others():
    limits = parse_queue_limits('{"registrar": {"concurrency": 1, "limit": 1, "period": 10}, "GOOGLE": {"worker_concurrency": 2}}')
    assert limits["registrar"] == QueueLimits(concurrency=1, limit=1, period=10.0)
    assert limits["GOOGLE"] == QueueLimits(worker_concurrency=2)
    assert limits["dns"] == DEFAULTS["dns"]


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
        ('{"dns": {"poll_seconds": 0}}', "dns.poll_seconds must be a positive number"),
    ],
)
def test_invalid_limits_are_refused_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_queue_limits(text)
    with pytest.raises(ValidationError, match=message):
        Settings(queue_limits=text)


NAMECHEAP = {
    "namecheap_api_user": "mw", "namecheap_api_key": "k" * 32, "namecheap_username": "mw",
    "namecheap_client_ip": "203.0.113.7",
}
CLOUDFLARE = {"cloudflare_api_token": "t" * 40, "cloudflare_account_id": "0" * 32}


@pytest.mark.parametrize(
    ("settings", "registrar", "dns"),
    [
        # Namecheap in both roles: its budget of 5 steps a minute shared between the two queues.
        ({"registrar": "namecheap", "dns_host": "namecheap"} | NAMECHEAP, (2, 60.0), (2, 60.0)),
        ({"dns_host": "cloudflare"} | CLOUDFLARE, None, (60, 300.0)),
        ({"registrar": "namecheap", "dns_host": "cloudflare"} | NAMECHEAP | CLOUDFLARE, (5, 60.0), (60, 300.0)),
        ({}, None, None),  # the sandbox declares no pace
    ],
)
def test_a_providers_documented_rate_paces_its_queue_unless_the_operator_says_otherwise(tmp_path, settings, registrar, dns):
    from mailwright.providers.registry import build_providers
    from mailwright.provisioning.queues import paced_by_providers

    providers = build_providers(Settings(data_dir=tmp_path, **settings))
    try:
        paced = paced_by_providers(providers)
    finally:
        providers.close()
    limits = parse_queue_limits("", paced)
    for role, rate in (("registrar", registrar), ("dns", dns)):
        expected = DEFAULTS[role] if rate is None else QueueLimits(DEFAULTS[role].concurrency, None, *rate)
        assert limits[role] == expected, role
    # What the operator sets for a role replaces the pace.
    assert parse_queue_limits('{"dns": {"concurrency": 2}}', paced)["dns"] == QueueLimits(concurrency=2)


def test_only_the_orders_queue_is_polled_and_provider_roles_hold_their_limits_as_slots(runtime):
    """The session's workers: one queue for the order workflows (the provider queues of earlier
    versions are gone, nothing polls them); each provider role's limits are its slots'."""
    from dbos import DBOS

    from mailwright.provisioning import slots

    assert parse_queue_limits('{"MAILFORGE": {"poll_seconds": 5}}')["MAILFORGE"] == QueueLimits(poll_seconds=5.0)
    names = {queue.name for queue in DBOS.list_queues()}
    assert ORDERS_QUEUE in names and not names & set(RETIRED_QUEUES)
    assert DBOS.retrieve_queue(ORDERS_QUEUE)._polling_interval_sec == 0.15
    held = slots.installed()
    assert held.limits["registrar"] == DEFAULTS["registrar"] and held.limits["MAILFORGE"] == DEFAULTS["MAILFORGE"]
    assert held.poll_seconds == 0.15


def test_a_mailbox_hosts_documented_rate_paces_its_providers_queue(tmp_path):
    """Microsoft 365 declares 60 steps a minute (docs/decisions/1106): the MICROSOFT queue keeps
    to it; the sandbox's GOOGLE declares none."""
    from mailwright.providers.registry import build_providers
    from mailwright.provisioning.queues import paced_by_providers

    settings = Settings(
        data_dir=tmp_path,
        mailbox_hosts='{"MICROSOFT": "microsoft365"}',
        microsoft_tenant_id="contoso.onmicrosoft.com",
        microsoft_client_id="00000000-0000-4000-8000-000000000001",
        microsoft_client_secret="s" * 40,
    )
    providers = build_providers(settings)
    try:
        limits = parse_queue_limits("", paced_by_providers(providers))
    finally:
        providers.close()
    assert limits["MICROSOFT"] == QueueLimits(DEFAULTS["MICROSOFT"].concurrency, None, 60, 60.0)
    assert limits["GOOGLE"] == DEFAULTS["GOOGLE"]


def test_a_slot_given_back_in_this_process_lets_a_waiting_call_in_at_once(runtime):
    """A call waiting for a role's only slot starts when another call of this process gives it
    back, not at its next look: with a look every hour, only the wake-up can let it in."""
    import threading
    import uuid

    from mailwright.provisioning.slots import Slots

    role = f"wake-{uuid.uuid4().hex[:8]}"
    held = Slots(runtime.db, f"executor-{role}", {role: QueueLimits(concurrency=1)}, poll_seconds=3600)
    held.acquire(role, f"{role}-first/1")
    started = threading.Event()
    waiter = threading.Thread(target=lambda: (held.acquire(role, f"{role}-second/1"), started.set()), daemon=True)
    waiter.start()
    assert not started.wait(0.5)  # the only slot is the first call's
    held.release(f"{role}-first/1", role)
    assert started.wait(30)
    waiter.join(5)
    held.release(f"{role}-second/1", role)


def test_of_many_calls_waiting_for_a_role_one_looks_every_poll_and_all_get_their_turn(runtime, monkeypatch):
    """Twenty calls wait for a role's only slot, held by another worker: one of them looks again
    every poll (a look is a write transaction), not all twenty; once the slot is free they all
    get it in turn without waiting for the long safety net."""
    import threading
    import time
    import uuid

    from mailwright.provisioning import slots as slots_module
    from mailwright.provisioning.slots import Slots

    role = f"many-{uuid.uuid4().hex[:8]}"
    limits = {role: QueueLimits(concurrency=1)}
    other_worker = Slots(runtime.db, f"other-{role}", limits, poll_seconds=3600)
    other_worker.acquire(role, f"{role}-held/1")
    here = Slots(runtime.db, f"here-{role}", limits, poll_seconds=0.1)
    looks = []
    real_try = here.try_acquire
    monkeypatch.setattr(here, "try_acquire", lambda r, h: looks.append(h) or real_try(r, h))
    monkeypatch.setattr(slots_module, "LONG_WAIT_SECONDS", 3600.0)
    done = []

    def call(number: int) -> None:
        here.acquire(role, f"{role}-call{number}/1")
        done.append(number)
        here.release(f"{role}-call{number}/1", role)

    waiters = [threading.Thread(target=call, args=(n,), daemon=True) for n in range(20)]
    for thread in waiters:
        thread.start()
    time.sleep(0.3)
    before = len(looks)
    time.sleep(1.0)
    during = len(looks) - before
    # One looker at 0.1 s: about 10 looks in that second (all twenty looking: about 200).
    assert 3 <= during <= 30, during
    assert not done
    # Given back by the other worker: seen at the looker's next look, then the turn goes round.
    other_worker.release(f"{role}-held/1", role)
    for thread in waiters:
        thread.join(30)
    assert sorted(done) == list(range(20))
