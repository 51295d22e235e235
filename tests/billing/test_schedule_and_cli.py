"""The durable schedule and the operator command run the same renewals."""

from __future__ import annotations

import dataclasses
import datetime as dt

from dbos import DBOS

from mailwright import clock
from mailwright.billing import workflows
from tests.billing.conftest import utc
from tests.billing.story import Story
from tests.conftest import OWNER, client_for, unique


def _subscribed_account(runtime, server, make_account, ordered_at: dt.datetime, credit: str = "100.00"):
    account = make_account(credit=credit)
    domain = f"{unique('sched')}.com"
    api = client_for(server, account)
    story = Story(runtime, api, account.id)
    story.at(ordered_at)
    assert api.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
    story.order("/rest/v2/domains/order", {
        "provider": "MAILDOSO", "domains": [domain], "mailboxes": [{"first_name": "Jian", "last_name": "Yang", "email": f"jian@{domain}"}],
    })
    return account, api, story, domain


def test_the_schedule_fires_a_durable_run_due_workflow(runtime, server, make_account, moving_clock):
    # A month and an hour ago: the period ended an hour ago, well within grace.
    ordered_at = clock.now() - dt.timedelta(days=31, hours=1)
    account, api, story, domain = _subscribed_account(runtime, server, make_account, ordered_at)
    moving_clock.release()
    story.new_entries()
    hourly = dataclasses.replace(runtime, settings=runtime.settings.model_copy(update={"billing_schedule": "0 0 * * * *"}))
    try:
        workflows.install_schedule(hourly)
        schedule = DBOS.get_schedule(workflows.SCHEDULE_NAME)
        assert schedule is not None and schedule["schedule"] == "0 0 * * * *"
        report = DBOS.trigger_schedule(workflows.SCHEDULE_NAME).get_result()
    finally:
        workflows.install_schedule(runtime)  # billing_schedule "" in tests: removes it
    assert DBOS.get_schedule(workflows.SCHEDULE_NAME) is None
    sub = story.subscriptions()[domain]
    assert sub["subscription_id"] in report["subscriptions_renewed"]
    assert [a for a, _ in story.new_entries()] == ["-4.00"]
    assert sub["status"] == "ACTIVE"
    api.close()


def test_cli_run_due_at_a_time_charges_a_period_once_however_often_run(runtime, server, make_account, moving_clock, cli):
    account, api, story, domain = _subscribed_account(runtime, server, make_account, utc(2033, 3, 31, 9))
    moving_clock.release()
    story.new_entries()
    sub_id = story.subscriptions()[domain]["subscription_id"]

    early = cli.json("billing", "run-due", "--at", "2033-04-30T08:59:59Z", "--account", account.id)
    assert early["at"] == "2033-04-30T08:59:59Z" and early["subscriptions_renewed"] == []
    for _ in range(2):
        later = cli.json("billing", "run-due", "--at", "2033-04-30T09:00:00+00:00", "--account", account.id)
    assert later["subscriptions_renewed"] == []  # the first of the two did it
    assert [a for a, _ in story.new_entries()] == ["-4.00"]

    listed = cli.json("subscriptions", "list", "--account", account.id)["subscriptions"]
    assert [(s["subscription_id"], s["account_id"], s["period_end"]) for s in listed] == [
        (sub_id, account.id, "2033-05-31T09:00:00Z")  # 31 March, 30 April (clamped), 31 May
    ]
    bad = cli("billing", "run-due", "--at", "next tuesday")
    assert bad.returncode == 2 and "ISO 8601" in bad.stderr and "Traceback" not in bad.stderr
    api.close()
