"""Alembic environment for the ledger's tables; always run through ledger.migrate."""

from __future__ import annotations

from alembic import context

from ledger.schema import metadata

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=config.attributes.get("version_table", "ledger_alembic_version"),
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
