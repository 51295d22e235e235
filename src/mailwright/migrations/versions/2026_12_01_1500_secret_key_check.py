"""secret key check: a known text encrypted with the database's secret key, which every process checks at start

Revision ID: 2026_12_01_1500_secret_key_check
Revises: 2026_12_01_1300_dashboard
"""

from alembic import op
import sqlalchemy as sa


revision = '2026_12_01_1500_secret_key_check'
down_revision = '2026_12_01_1300_dashboard'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table: nothing to rebuild, so no batch mode is needed on SQLite.
    op.create_table('secret_key_check',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('token', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('rotated_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_secret_key_check_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_secret_key_check'))
    )


def downgrade() -> None:
    op.drop_table('secret_key_check')
