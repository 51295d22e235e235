"""reseller users

Revision ID: 2026_11_24_0700
Revises: 2026_11_24_0600
Create Date: 2026-11-24 22:39:36
"""

from alembic import op
import sqlalchemy as sa


revision = '2026_11_24_0700'
down_revision = '2026_11_24_0600'
branch_labels = None
depends_on = None

USER_OWNED = ('domains', 'mailboxes', 'orders')


def upgrade() -> None:
    op.create_table('reseller_users',
    sa.Column('id', sa.String(length=28), nullable=False),
    sa.Column('account_id', sa.String(length=28), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_claim', sa.String(length=254), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('company_name', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('state', sa.String(length=100), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('zip_code', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_reseller_users_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reseller_users')),
    sa.UniqueConstraint('account_id', 'email_claim', name='uq_reseller_users_account_email')
    )
    with op.batch_alter_table('reseller_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reseller_users_account_id'), ['account_id'], unique=False)

    # A plain ADD COLUMN with its reference: rebuilding these tables on SQLite (batch mode) would
    # trip the foreign keys of the rows that point at them, and Alembic cannot add a reference
    # to an existing SQLite table, so SQLite gets the statement directly.
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in USER_OWNED:
        fk_name = f'fk_{table}_user_id_reseller_users'
        if sqlite:
            op.execute(
                f'ALTER TABLE {table} ADD COLUMN user_id VARCHAR(28) '
                f'CONSTRAINT {fk_name} REFERENCES reseller_users (id)'
            )
        else:
            op.add_column(table, sa.Column('user_id', sa.String(length=28), nullable=True))
            op.create_foreign_key(fk_name, table, 'reseller_users', ['user_id'], ['id'])
        op.create_index(f'ix_{table}_user_id', table, ['user_id'], unique=False)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        # The tables are rebuilt without the column (references checked once, at commit). With rows
        # in them SQLite still refuses; downgrade a copy with PRAGMA foreign_keys=OFF in that case.
        op.execute('PRAGMA defer_foreign_keys = ON')
    for table in reversed(USER_OWNED):
        op.drop_index(f'ix_{table}_user_id', table_name=table)
        if not sqlite:
            op.drop_constraint(f'fk_{table}_user_id_reseller_users', table, type_='foreignkey')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('user_id')

    with op.batch_alter_table('reseller_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reseller_users_account_id'))

    op.drop_table('reseller_users')
