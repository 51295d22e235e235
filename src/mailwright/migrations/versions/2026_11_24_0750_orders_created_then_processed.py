"""orders created then processed; domain years and masked forwarding; pictures by upload or URL

Revision ID: 2026_11_24_0750
Revises: 2026_11_24_0500
"""

from alembic import op
import sqlalchemy as sa


revision = '2026_11_24_0750'
down_revision = '2026_11_24_0500'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_json', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('auto_renew', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('billing_cycle', sa.String(length=20), nullable=False, server_default='MONTHLY'))
        batch_op.add_column(sa.Column('export_settings', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('processed_at', sa.DateTime(), nullable=True))
    op.create_table('order_pictures',
    sa.Column('order_id', sa.String(length=28), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('content_type', sa.String(length=20), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_pictures_order_id_orders')),
    sa.PrimaryKeyConstraint('order_id', 'email', name=op.f('pk_order_pictures'))
    )
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mask_forwarding', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('years', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('profile_picture_source_url', sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column('profile_picture_error', sa.String(length=300), nullable=True))
    with op.batch_alter_table('sandbox_domains', schema=None) as batch_op:
        batch_op.add_column(sa.Column('web_redirect_masked', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('sandbox_domains', schema=None) as batch_op:
        batch_op.drop_column('web_redirect_masked')
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.drop_column('profile_picture_error')
        batch_op.drop_column('profile_picture_source_url')
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.drop_column('years')
        batch_op.drop_column('mask_forwarding')
    op.drop_table('order_pictures')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('processed_at')
        batch_op.drop_column('export_settings')
        batch_op.drop_column('billing_cycle')
        batch_op.drop_column('auto_renew')
        batch_op.drop_column('plan_json')
