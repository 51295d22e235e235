"""Alembic environment: runs on the connection mailwright.db.migrate hands it."""

from alembic import context

from mailwright.db.models import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
