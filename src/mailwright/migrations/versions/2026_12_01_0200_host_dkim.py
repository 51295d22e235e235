"""domains remember the DKIM a person handles at a mailbox host whose API cannot: the value the
operator supplied (Google Workspace) and when signing was confirmed on (Microsoft 365); mailboxes
their host's word on signing in (sign_in_note)

Revision ID: 2026_12_01_0200
Revises: 2026_12_01_0100
"""

from alembic import op
import sqlalchemy as sa


revision = '2026_12_01_0200'
down_revision = '2026_12_01_0100'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_in_note', sa.String(length=300), nullable=True))
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.add_column(sa.Column('host_dkim_kind', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('host_dkim_selector', sa.String(length=63), nullable=True))
        batch_op.add_column(sa.Column('host_dkim_value', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('host_dkim_confirmed_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.drop_column('host_dkim_confirmed_at')
        batch_op.drop_column('host_dkim_value')
        batch_op.drop_column('host_dkim_selector')
        batch_op.drop_column('host_dkim_kind')
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.drop_column('sign_in_note')
