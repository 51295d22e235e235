"""mailboxes remember the address they have at their host (a change of address reaches the host later)
and the address they were ordered with

Revision ID: 2026_11_25_0100
Revises: 2026_11_25_0200
"""

from alembic import op
import sqlalchemy as sa


revision = '2026_11_25_0100'
down_revision = '2026_11_25_0200'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('host_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('ordered_email', sa.String(length=254), nullable=True))
    # Every mailbox so far has kept the address it was ordered with, and created at its host with.
    op.execute("UPDATE mailboxes SET ordered_email = email")
    op.execute("UPDATE mailboxes SET host_email = email WHERE provider_ref IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.drop_column('ordered_email')
        batch_op.drop_column('host_email')
