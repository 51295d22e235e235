"""mailboxes remember the address they have at their host (a change of address reaches the host later)

Revision ID: 2026_11_25_0100
Revises: 2026_11_24_0400
"""

from alembic import op
import sqlalchemy as sa


revision = '2026_11_25_0100'
down_revision = '2026_11_24_0400'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('host_email', sa.String(length=254), nullable=True))
    # Every mailbox created at its host so far has kept the address it was created with.
    op.execute("UPDATE mailboxes SET host_email = email WHERE provider_ref IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.drop_column('host_email')
