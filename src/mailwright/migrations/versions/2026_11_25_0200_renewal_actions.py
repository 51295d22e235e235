"""renewal actions: each renewal on request, recorded with what it charged and extended

Revision ID: 2026_11_25_0200
Revises: 2026_11_24_0400
"""

from alembic import op
import sqlalchemy as sa


revision = '2026_11_25_0200'
down_revision = '2026_11_24_0400'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('renewal_actions',
    sa.Column('id', sa.String(length=28), nullable=False),
    sa.Column('account_id', sa.String(length=28), nullable=False),
    sa.Column('user_id', sa.String(length=28), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('items_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_renewal_actions_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_renewal_actions'))
    )
    with op.batch_alter_table('renewal_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_renewal_actions_account_id'), ['account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('renewal_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_renewal_actions_account_id'))
    op.drop_table('renewal_actions')
