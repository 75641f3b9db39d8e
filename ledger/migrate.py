"""Run a package's Alembic migrations programmatically on an engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Engine, MetaData

from ledger.locks import LockKey

LEDGER_MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(
    engine: Engine,
    script_location: Path = LEDGER_MIGRATIONS,
    version_table: str = "ledger_alembic_version",
) -> None:
    """Bring the schema under ``script_location`` to head (idempotent, safe to race)."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["version_table"] = version_table
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # two processes starting at once
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({int(LockKey.MIGRATIONS)})")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def run_environment(metadata: MetaData, version_table: str) -> None:
    """The body of every package's ``migrations/env.py``, written once: migrate on the connection
    :func:`upgrade` holds (under its lock), in the version table it names (``version_table`` when
    Alembic is run without one), in batch mode on SQLite, which cannot alter tables in place."""
    config = context.config
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=config.attributes.get("version_table", version_table),
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
