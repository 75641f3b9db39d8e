"""Alembic migrations of the API's own operator state (regulator access tokens)."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent
VERSION_TABLE = "api_alembic_version"
