"""events and signed webhooks: events, endpoints, deliveries, attempts

Revision ID: 2026_11_24_0500
Revises: 2026_11_22_0001
Create Date: 2026-11-24 22:40:05.119812
"""

from alembic import op
import sqlalchemy as sa


revision = '2026_11_24_0500'
down_revision = '2026_11_22_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=28), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=True),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('secret_data_enc', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_events_account_id_accounts')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_events')),
    sa.UniqueConstraint('id', name=op.f('uq_events_id'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_account_seq', ['account_id', 'seq'], unique=False)

    op.create_table('webhook_endpoints',
    sa.Column('id', sa.String(length=28), nullable=False),
    sa.Column('account_id', sa.String(length=28), nullable=False),
    sa.Column('target_url', sa.String(length=2048), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('secret_enc', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('unsubscribed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_webhook_endpoints_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints'))
    )
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoints_account_id'), ['account_id'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.String(length=28), nullable=False),
    sa.Column('endpoint_id', sa.String(length=28), nullable=False),
    sa.Column('event_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], name=op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints')),
    sa.ForeignKeyConstraint(['event_seq'], ['events.seq'], name=op.f('fk_webhook_deliveries_event_seq_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_endpoint_status_seq', ['endpoint_id', 'status', 'event_seq'], unique=False)
        batch_op.create_index('uq_webhook_deliveries_endpoint_event', ['endpoint_id', 'event_seq'], unique=True)

    op.create_table('webhook_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('delivery_id', sa.String(length=28), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('duration_ms', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_deliveries.id'], name=op.f('fk_webhook_attempts_delivery_id_webhook_deliveries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempts'))
    )
    with op.batch_alter_table('webhook_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_attempts_delivery_id'), ['delivery_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('webhook_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_attempts_delivery_id'))

    op.drop_table('webhook_attempts')
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('uq_webhook_deliveries_endpoint_event')
        batch_op.drop_index('ix_webhook_deliveries_endpoint_status_seq')

    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoints_account_id'))

    op.drop_table('webhook_endpoints')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_account_seq')

    op.drop_table('events')
