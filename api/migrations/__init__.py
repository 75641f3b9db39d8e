"""Alembic migrations of the API's own operator state (regulator access tokens, the record of
reads of personal data)."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent
VERSION_TABLE = "api_alembic_version"
