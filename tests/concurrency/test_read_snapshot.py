"""A read transaction sees one snapshot: a write committed while it runs is not half seen."""

from __future__ import annotations

import sqlalchemy as sa

from mailwright.accounts import service as accounts
from mailwright.money import Money
from mailwright.wallet import service as wallet
from mailwright.wallet.models import LedgerEntry
from tests.conftest import unique


def test_a_read_does_not_see_a_write_committed_after_its_first_query(runtime):
    with runtime.db.write() as session:
        account, _ = accounts.create_account(session, f"Snapshot {unique()}", "USD", credit=Money(1_000, "USD"))
    count = sa.select(sa.func.count()).select_from(LedgerEntry).where(LedgerEntry.account_id == account.id)
    with runtime.db.read() as reader:
        before = reader.scalar(count)
        with runtime.db.write() as writer:
            wallet.credit(writer, writer.merge(account), Money(500, "USD"), "Top-up while a read runs")
        assert reader.scalar(count) == before
        assert wallet.balance(reader, account).minor == 1_000
    with runtime.db.read() as reader:
        assert reader.scalar(count) == before + 1
        assert wallet.balance(reader, account).minor == 1_500
