"""price book: the operator's selling prices (domains per TLD, mailboxes per provider) and exchange rates

Filled with the sandbox's figures of the day (written out here, not imported: a migration keeps
what it did even when the sandbox changes), so an existing install sells at the prices it sold at.

Revision ID: 2026_12_01_0100
Revises: 2026_11_26_0100
"""

import datetime as dt

from alembic import op
import sqlalchemy as sa


revision = '2026_12_01_0100'
down_revision = '2026_11_26_0100'
branch_labels = None
depends_on = None

# Yearly registration (= renewal) and monthly mailbox prices, in minor units, the same figures in
# every currency sold (USD, EUR): the sandbox's table when the price book was introduced.
SEED_CURRENCIES = ("USD", "EUR")
SEED_DOMAINS = {"com": 1300, "net": 1500, "org": 1200, "io": 4500, "co": 2800, "ai": 8000}
SEED_MAILBOXES = {"GOOGLE": 600, "MICROSOFT": 600, "MAILDOSO": 400, "MAILFORGE": 400}


def upgrade() -> None:
    # New tables: nothing to rebuild, so no batch mode is needed on SQLite.
    domains = op.create_table('price_book_domains',
    sa.Column('tld', sa.String(length=63), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('registration_minor', sa.BigInteger(), nullable=False),
    sa.Column('renewal_minor', sa.BigInteger(), nullable=False),
    sa.Column('premium_max_minor', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('premium_max_minor IS NULL OR premium_max_minor > 0', name=op.f('ck_price_book_domains_premium_max_positive')),
    sa.CheckConstraint('registration_minor > 0 AND renewal_minor > 0', name=op.f('ck_price_book_domains_positive')),
    sa.PrimaryKeyConstraint('tld', 'currency', name=op.f('pk_price_book_domains'))
    )
    mailboxes = op.create_table('price_book_mailboxes',
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('monthly_minor', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('monthly_minor > 0', name=op.f('ck_price_book_mailboxes_positive')),
    sa.PrimaryKeyConstraint('provider', 'currency', name=op.f('pk_price_book_mailboxes'))
    )
    op.create_table('price_book_rates',
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('per_usd_millionths', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('per_usd_millionths > 0', name=op.f('ck_price_book_rates_positive')),
    sa.PrimaryKeyConstraint('currency', name=op.f('pk_price_book_rates'))
    )
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)  # stored as naive UTC, as UTCDateTime does
    op.bulk_insert(domains, [
        {'tld': tld, 'currency': currency, 'registration_minor': minor, 'renewal_minor': minor,
         'premium_max_minor': None, 'updated_at': now}
        for currency in SEED_CURRENCIES for tld, minor in SEED_DOMAINS.items()
    ])
    op.bulk_insert(mailboxes, [
        {'provider': provider, 'currency': currency, 'monthly_minor': minor, 'updated_at': now}
        for currency in SEED_CURRENCIES for provider, minor in SEED_MAILBOXES.items()
    ])


def downgrade() -> None:
    op.drop_table('price_book_rates')
    op.drop_table('price_book_mailboxes')
    op.drop_table('price_book_domains')
