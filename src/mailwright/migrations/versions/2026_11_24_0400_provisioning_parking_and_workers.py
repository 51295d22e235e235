"""provisioning: parked items (needs_action), order retries, worker heartbeats

Revision ID: 2026_11_24_0400
Revises: 2026_11_24_0700
"""

from alembic import op
import sqlalchemy as sa


revision = '2026_11_24_0400'
down_revision = '2026_11_24_0700'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('domains') as batch:
        batch.add_column(sa.Column('resume_status', sa.String(length=20), nullable=True))
    with op.batch_alter_table('mailboxes') as batch:
        batch.add_column(sa.Column('resume_status', sa.String(length=20), nullable=True))
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('retries', sa.Integer(), nullable=False, server_default='0'))
    op.create_table('provisioning_workers',
    sa.Column('executor_id', sa.String(length=100), nullable=False),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('executor_id', name=op.f('pk_provisioning_workers'))
    )


def downgrade() -> None:
    op.drop_table('provisioning_workers')
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('retries')
    with op.batch_alter_table('mailboxes') as batch:
        batch.drop_column('resume_status')
    with op.batch_alter_table('domains') as batch:
        batch.drop_column('resume_status')
