"""billing: subscriptions, notices, domain auto-renew, mailbox deletion, sandbox renew and suspend

Revision ID: 2026_11_24_0600
Revises: 2026_11_24_0750
Create Date: 2026-11-24 22:41:52
"""

from alembic import op
import sqlalchemy as sa


revision = '2026_11_24_0600'
down_revision = '2026_11_24_0750'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('billing_notices',
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('account_id', sa.String(length=28), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_billing_notices_account_id_accounts')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_billing_notices'))
    )
    with op.batch_alter_table('billing_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_notices_account_id'), ['account_id'], unique=False)

    op.create_table('subscriptions',
    sa.Column('id', sa.String(length=28), nullable=False),
    sa.Column('account_id', sa.String(length=28), nullable=False),
    sa.Column('domain_id', sa.String(length=28), nullable=False),
    sa.Column('domain_claim', sa.String(length=28), nullable=True),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('billing_cycle', sa.String(length=10), nullable=False),
    sa.Column('price_per_mailbox_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('anchor_at', sa.DateTime(), nullable=False),
    sa.Column('period_start', sa.DateTime(), nullable=False),
    sa.Column('period_end', sa.DateTime(), nullable=False),
    sa.Column('auto_renew', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('renewal_failed_at', sa.DateTime(), nullable=True),
    sa.Column('suspended_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('end_reason', sa.String(length=30), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_subscriptions_account_id_accounts')),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_subscriptions_domain_id_domains')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('domain_claim', name=op.f('uq_subscriptions_domain_claim'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_domain_id'), ['domain_id'], unique=False)
        batch_op.create_index('ix_subscriptions_status_period_end', ['status', 'period_end'], unique=False)

    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_renew', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('renewal_failed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('released_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subscription_id', sa.String(length=28), nullable=True))
        batch_op.create_index(batch_op.f('ix_ledger_entries_subscription_id'), ['subscription_id'], unique=False)

    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('sandbox_domains', schema=None) as batch_op:
        batch_op.add_column(sa.Column('renew_key', sa.String(length=160), nullable=True))

    with op.batch_alter_table('sandbox_mailboxes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='active', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('sandbox_mailboxes', schema=None) as batch_op:
        batch_op.drop_column('status')

    with op.batch_alter_table('sandbox_domains', schema=None) as batch_op:
        batch_op.drop_column('renew_key')

    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_subscription_id'))
        batch_op.drop_column('subscription_id')

    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.drop_column('released_at')
        batch_op.drop_column('renewal_failed_at')
        batch_op.drop_column('auto_renew')

    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_subscriptions_status_period_end')
        batch_op.drop_index(batch_op.f('ix_subscriptions_domain_id'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_account_id'))

    op.drop_table('subscriptions')
    with op.batch_alter_table('billing_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_notices_account_id'))

    op.drop_table('billing_notices')
