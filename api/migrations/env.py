"""Alembic environment for the API's own tables; run through ledger.migrate.upgrade."""

from __future__ import annotations

from api.auth import metadata
from ledger.migrate import run_environment

run_environment(metadata, "api_alembic_version")
