"""default registrant: the operator's registrant contact, the last resort of reseller-style orders

Revision ID: 2026_11_26_0100
Revises: 2026_11_25_0100
"""

from alembic import op
import sqlalchemy as sa


revision = '2026_11_26_0100'
down_revision = '2026_11_25_0100'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table: nothing to rebuild, so no batch mode is needed on SQLite.
    op.create_table('default_registrant',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sandbox', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('company_name', sa.String(length=200), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=100), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('zip_code', sa.String(length=20), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_default_registrant_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_default_registrant'))
    )


def downgrade() -> None:
    op.drop_table('default_registrant')
