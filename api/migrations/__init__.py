"""Alembic migrations of the API's own operator state (regulator access tokens)."""
