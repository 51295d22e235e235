"""dashboard: operator keys (stored hashed, as API keys are) and signed-in dashboard sessions

Revision ID: 2026_12_01_1300_dashboard
Revises: 2026_12_01_1300_exports
"""

from alembic import op
import sqlalchemy as sa


revision = '2026_12_01_1300_dashboard'
down_revision = '2026_12_01_1300_exports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # New tables: nothing to rebuild, so no batch mode is needed on SQLite.
    op.create_table('operator_keys',
    sa.Column('id', sa.String(length=28), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_operator_keys_key_hash'))
    )
    op.create_table('dashboard_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=28), nullable=True),
    sa.Column('api_key_id', sa.String(length=28), nullable=True),
    sa.Column('operator_key_id', sa.String(length=28), nullable=True),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_dashboard_sessions_account_id_accounts')),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], name=op.f('fk_dashboard_sessions_api_key_id_api_keys')),
    sa.ForeignKeyConstraint(['operator_key_id'], ['operator_keys.id'], name=op.f('fk_dashboard_sessions_operator_key_id_operator_keys')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_dashboard_sessions'))
    )
    op.create_index(op.f('ix_dashboard_sessions_account_id'), 'dashboard_sessions', ['account_id'], unique=False)
    op.create_index(op.f('ix_dashboard_sessions_expires_at'), 'dashboard_sessions', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_dashboard_sessions_expires_at'), table_name='dashboard_sessions')
    op.drop_index(op.f('ix_dashboard_sessions_account_id'), table_name='dashboard_sessions')
    op.drop_table('dashboard_sessions')
    op.drop_table('operator_keys')
