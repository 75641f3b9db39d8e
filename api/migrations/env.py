"""Alembic environment for the API's own tables; run through ledger.migrate.upgrade."""

from __future__ import annotations

from alembic import context

from api.auth import metadata

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=config.attributes.get("version_table", "api_alembic_version"),
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
