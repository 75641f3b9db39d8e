"""The application's event store follows from the database URL alone, so the server, the
projection child, the audit and the benchmarks that build it for one URL share its tables."""

from __future__ import annotations

import pytest

from domain.application.ledger_factory import UnsupportedDatabase, eventsourcing_env


def test_an_sqlite_url_names_the_same_file_as_the_ledger_tables() -> None:
    env = eventsourcing_env("sqlite:////var/lib/ledger/ledger%20db.sqlite")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["SQLITE_DBNAME"] == "/var/lib/ledger/ledger db.sqlite"
    assert env["CREATE_TABLE"] == "y"


def test_a_postgres_url_keeps_its_credentials_and_search_path() -> None:
    env = eventsourcing_env(
        "postgresql://writer:s%40cret@db.example:6543/ledger?options=-csearch_path%3Dcity"
    )
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.example",
        "6543",
        "ledger",
    )
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("writer", "s@cret")
    assert env["POSTGRES_SCHEMA"] == "city"


def test_a_postgres_url_without_a_search_path_uses_public() -> None:
    env = eventsourcing_env("postgresql+psycopg://postgres@127.0.0.1/test")
    assert (env["POSTGRES_SCHEMA"], env["POSTGRES_PORT"]) == ("public", "5432")


def test_a_database_without_a_recorder_is_refused() -> None:
    with pytest.raises(UnsupportedDatabase, match="mysql"):
        eventsourcing_env("mysql://root@localhost/ledger")
