"""provider_slots: the calls holding a provider role's slots, and those started within its rate
window (provisioning/slots.py)

Revision ID: 2026_12_01_0300
Revises: 2026_12_01_0200
"""

from alembic import op
import sqlalchemy as sa


revision = '2026_12_01_0300'
down_revision = '2026_12_01_0200'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('provider_slots',
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('executor_id', sa.String(length=100), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('released_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('holder', name=op.f('pk_provider_slots'))
    )
    with op.batch_alter_table('provider_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_slots_role'), ['role'], unique=False)
        batch_op.create_index(batch_op.f('ix_provider_slots_executor_id'), ['executor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_provider_slots_started_at'), ['started_at'], unique=False)


def downgrade() -> None:
    op.drop_table('provider_slots')
