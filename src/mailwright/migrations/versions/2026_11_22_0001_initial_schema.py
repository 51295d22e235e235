"""initial schema

Revision ID: 2026_11_22_0001
Revises: 
Create Date: 2026-11-22 13:56:15.000227
"""

from alembic import op
import sqlalchemy as sa


revision = '2026_11_22_0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('id', sa.String(length=28), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('wallet_frozen', sa.Boolean(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts'))
    )
    op.create_table('sandbox_attempts',
    sa.Column('operation', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=254), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('operation', 'subject', name=op.f('pk_sandbox_attempts'))
    )
    op.create_table('sandbox_calls',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('operation', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=254), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_calls'))
    )
    with op.batch_alter_table('sandbox_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_calls_operation'), ['operation'], unique=False)
        batch_op.create_index(batch_op.f('ix_sandbox_calls_subject'), ['subject'], unique=False)

    op.create_table('sandbox_dns_records',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('zone', sa.String(length=253), nullable=False),
    sa.Column('name', sa.String(length=253), nullable=False),
    sa.Column('type', sa.String(length=10), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('ttl', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_dns_records'))
    )
    with op.batch_alter_table('sandbox_dns_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_dns_records_zone'), ['zone'], unique=False)

    op.create_table('sandbox_domains',
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('registrar_ref', sa.String(length=64), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('nameservers', sa.Text(), nullable=False),
    sa.Column('web_redirect', sa.Text(), nullable=True),
    sa.Column('forward_to', sa.String(length=254), nullable=True),
    sa.PrimaryKeyConstraint('domain', name=op.f('pk_sandbox_domains'))
    )
    op.create_table('sandbox_host_keys',
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('private_key_pem', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('domain', 'provider', name=op.f('pk_sandbox_host_keys'))
    )
    op.create_table('sandbox_mailboxes',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('provider_ref', sa.String(length=64), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('picture_sha256', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_sandbox_mailboxes'))
    )
    op.create_table('sandbox_zones',
    sa.Column('zone', sa.String(length=253), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('zone', name=op.f('pk_sandbox_zones'))
    )
    op.create_table('api_keys',
    sa.Column('id', sa.String(length=28), nullable=False),
    sa.Column('account_id', sa.String(length=28), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_api_keys_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_account_id'), ['account_id'], unique=False)

    op.create_table('domain_owners',
    sa.Column('account_id', sa.String(length=28), nullable=False),
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
    sa.Column('default_domain_redirect_url', sa.String(length=2048), nullable=True),
    sa.Column('default_email_forward_address', sa.String(length=254), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_domain_owners_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_domain_owners'))
    )
    op.create_table('idempotency_records',
    sa.Column('account_id', sa.String(length=28), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('endpoint', sa.String(length=100), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response_body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_idempotency_records_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'key', name=op.f('pk_idempotency_records'))
    )
    op.create_table('ledger_entries',
    sa.Column('id', sa.String(length=28), nullable=False),
    sa.Column('account_id', sa.String(length=28), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('order_id', sa.String(length=28), nullable=True),
    sa.Column('domain_id', sa.String(length=28), nullable=True),
    sa.Column('mailbox_id', sa.String(length=28), nullable=True),
    sa.Column('dedupe_key', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_ledger_entries_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_ledger_entries_dedupe_key'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_account_created', ['account_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_order_id'), ['order_id'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.String(length=28), nullable=False),
    sa.Column('account_id', sa.String(length=28), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_orders_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_account_id'), ['account_id'], unique=False)

    op.create_table('domains',
    sa.Column('id', sa.String(length=28), nullable=False),
    sa.Column('account_id', sa.String(length=28), nullable=False),
    sa.Column('order_id', sa.String(length=28), nullable=True),
    sa.Column('name', sa.String(length=253), nullable=False),
    sa.Column('name_claim', sa.String(length=253), nullable=True),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.Column('is_custom_domain', sa.Boolean(), nullable=False),
    sa.Column('price_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('max_mailboxes', sa.Integer(), nullable=False),
    sa.Column('owner_snapshot', sa.Text(), nullable=False),
    sa.Column('domain_redirect_url', sa.String(length=2048), nullable=True),
    sa.Column('email_forward_address', sa.String(length=254), nullable=True),
    sa.Column('settings_version', sa.Integer(), nullable=False),
    sa.Column('settings_applied_version', sa.Integer(), nullable=False),
    sa.Column('dkim_selector', sa.String(length=63), nullable=True),
    sa.Column('dkim_private_key_enc', sa.Text(), nullable=True),
    sa.Column('registered_at', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('ready_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_domains_account_id_accounts')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_domains_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_domains')),
    sa.UniqueConstraint('name_claim', name=op.f('uq_domains_name_claim'))
    )
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_domains_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_domains_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_domains_order_id'), ['order_id'], unique=False)

    op.create_table('dns_records',
    sa.Column('id', sa.String(length=28), nullable=False),
    sa.Column('domain_id', sa.String(length=28), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('type', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=253), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('ttl', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=True),
    sa.Column('managed', sa.Boolean(), nullable=False),
    sa.Column('observed_value', sa.Text(), nullable=True),
    sa.Column('valid', sa.Boolean(), nullable=True),
    sa.Column('last_checked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_dns_records_domain_id_domains')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dns_records'))
    )
    with op.batch_alter_table('dns_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dns_records_domain_id'), ['domain_id'], unique=False)

    op.create_table('mailboxes',
    sa.Column('id', sa.String(length=28), nullable=False),
    sa.Column('account_id', sa.String(length=28), nullable=False),
    sa.Column('domain_id', sa.String(length=28), nullable=False),
    sa.Column('order_id', sa.String(length=28), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_claim', sa.String(length=254), nullable=True),
    sa.Column('local_part', sa.String(length=64), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.Column('price_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('password_enc', sa.Text(), nullable=False),
    sa.Column('totp_secret_enc', sa.Text(), nullable=False),
    sa.Column('provider_ref', sa.String(length=200), nullable=True),
    sa.Column('smtp_host', sa.String(length=253), nullable=True),
    sa.Column('smtp_port', sa.Integer(), nullable=True),
    sa.Column('imap_host', sa.String(length=253), nullable=True),
    sa.Column('imap_port', sa.Integer(), nullable=True),
    sa.Column('profile_picture_id', sa.String(length=43), nullable=True),
    sa.Column('settings_version', sa.Integer(), nullable=False),
    sa.Column('settings_applied_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('live_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_mailboxes_account_id_accounts')),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_mailboxes_domain_id_domains')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_mailboxes_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailboxes')),
    sa.UniqueConstraint('email_claim', name=op.f('uq_mailboxes_email_claim'))
    )
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mailboxes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailboxes_domain_id'), ['domain_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailboxes_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailboxes_order_id'), ['order_id'], unique=False)

    op.create_table('profile_pictures',
    sa.Column('id', sa.String(length=43), nullable=False),
    sa.Column('mailbox_id', sa.String(length=28), nullable=False),
    sa.Column('content_type', sa.String(length=20), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['mailbox_id'], ['mailboxes.id'], name=op.f('fk_profile_pictures_mailbox_id_mailboxes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_pictures'))
    )
    with op.batch_alter_table('profile_pictures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_profile_pictures_mailbox_id'), ['mailbox_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('profile_pictures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_profile_pictures_mailbox_id'))

    op.drop_table('profile_pictures')
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailboxes_order_id'))
        batch_op.drop_index(batch_op.f('ix_mailboxes_email'))
        batch_op.drop_index(batch_op.f('ix_mailboxes_domain_id'))
        batch_op.drop_index(batch_op.f('ix_mailboxes_account_id'))

    op.drop_table('mailboxes')
    with op.batch_alter_table('dns_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dns_records_domain_id'))

    op.drop_table('dns_records')
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_domains_order_id'))
        batch_op.drop_index(batch_op.f('ix_domains_name'))
        batch_op.drop_index(batch_op.f('ix_domains_account_id'))

    op.drop_table('domains')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_account_id'))

    op.drop_table('orders')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_order_id'))
        batch_op.drop_index('ix_ledger_entries_account_created')

    op.drop_table('ledger_entries')
    op.drop_table('idempotency_records')
    op.drop_table('domain_owners')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_account_id'))

    op.drop_table('api_keys')
    op.drop_table('sandbox_zones')
    op.drop_table('sandbox_mailboxes')
    op.drop_table('sandbox_host_keys')
    op.drop_table('sandbox_domains')
    with op.batch_alter_table('sandbox_dns_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_dns_records_zone'))

    op.drop_table('sandbox_dns_records')
    with op.batch_alter_table('sandbox_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_calls_subject'))
        batch_op.drop_index(batch_op.f('ix_sandbox_calls_operation'))

    op.drop_table('sandbox_calls')
    op.drop_table('sandbox_attempts')
    op.drop_table('accounts')
