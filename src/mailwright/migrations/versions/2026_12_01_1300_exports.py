"""sending platforms, exports, export items and where mailboxes were exported

Revision ID: 2026_12_01_1300_exports
Revises: 2026_12_01_0300

"""

from alembic import op
import sqlalchemy as sa


revision = '2026_12_01_1300_exports'
down_revision = '2026_12_01_0300'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('export_platforms',
    sa.Column('id', sa.String(length=28), nullable=False),
    sa.Column('account_id', sa.String(length=28), nullable=False),
    sa.Column('user_id', sa.String(length=28), nullable=True),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('base_url', sa.String(length=2048), nullable=True),
    sa.Column('api_key_enc', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_export_platforms_account_id_accounts')),
    sa.ForeignKeyConstraint(['user_id'], ['reseller_users.id'], name=op.f('fk_export_platforms_user_id_reseller_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_platforms'))
    )
    with op.batch_alter_table('export_platforms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_platforms_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_platforms_user_id'), ['user_id'], unique=False)

    op.create_table('exports',
    sa.Column('id', sa.String(length=28), nullable=False),
    sa.Column('account_id', sa.String(length=28), nullable=False),
    sa.Column('user_id', sa.String(length=28), nullable=True),
    sa.Column('platform_id', sa.String(length=28), nullable=False),
    sa.Column('order_id', sa.String(length=28), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_exports_account_id_accounts')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_exports_order_id_orders')),
    sa.ForeignKeyConstraint(['platform_id'], ['export_platforms.id'], name=op.f('fk_exports_platform_id_export_platforms')),
    sa.ForeignKeyConstraint(['user_id'], ['reseller_users.id'], name=op.f('fk_exports_user_id_reseller_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exports')),
    sa.UniqueConstraint('order_id', name=op.f('uq_exports_order_id'))
    )
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exports_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exports_platform_id'), ['platform_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exports_user_id'), ['user_id'], unique=False)

    op.create_table('export_items',
    sa.Column('id', sa.String(length=28), nullable=False),
    sa.Column('export_id', sa.String(length=28), nullable=False),
    sa.Column('mailbox_id', sa.String(length=28), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('remote_id', sa.String(length=200), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['export_id'], ['exports.id'], name=op.f('fk_export_items_export_id_exports')),
    sa.ForeignKeyConstraint(['mailbox_id'], ['mailboxes.id'], name=op.f('fk_export_items_mailbox_id_mailboxes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_items'))
    )
    with op.batch_alter_table('export_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_items_export_id'), ['export_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_items_mailbox_id'), ['mailbox_id'], unique=False)

    op.create_table('exported_mailboxes',
    sa.Column('mailbox_id', sa.String(length=28), nullable=False),
    sa.Column('platform_id', sa.String(length=28), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('remote_id', sa.String(length=200), nullable=True),
    sa.Column('exported_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('withdraw_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['mailbox_id'], ['mailboxes.id'], name=op.f('fk_exported_mailboxes_mailbox_id_mailboxes')),
    sa.ForeignKeyConstraint(['platform_id'], ['export_platforms.id'], name=op.f('fk_exported_mailboxes_platform_id_export_platforms')),
    sa.PrimaryKeyConstraint('mailbox_id', 'platform_id', name=op.f('pk_exported_mailboxes'))
    )


def downgrade() -> None:
    op.drop_table('exported_mailboxes')
    with op.batch_alter_table('export_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_items_mailbox_id'))
        batch_op.drop_index(batch_op.f('ix_export_items_export_id'))

    op.drop_table('export_items')
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exports_user_id'))
        batch_op.drop_index(batch_op.f('ix_exports_platform_id'))
        batch_op.drop_index(batch_op.f('ix_exports_account_id'))

    op.drop_table('exports')
    with op.batch_alter_table('export_platforms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_platforms_user_id'))
        batch_op.drop_index(batch_op.f('ix_export_platforms_account_id'))

    op.drop_table('export_platforms')
