"""Settings refused at start name the variable, before anything runs (cli.main prints the line)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mailwright.config import Settings


@pytest.mark.parametrize("schedule", ["false", "*/10 * * * *x", "0 61 * * * *"])
def test_a_billing_schedule_that_is_not_cron_is_refused(schedule):
    with pytest.raises(ValidationError, match="billing_schedule") as refused:
        Settings(billing_schedule=schedule)
    assert "cron schedule with seconds first" in str(refused.value)


@pytest.mark.parametrize("schedule", ["", "0 */10 * * * *", "30 0 3 * * *"])
def test_cron_schedules_and_none_are_accepted(schedule):
    assert Settings(billing_schedule=schedule).billing_schedule == schedule
