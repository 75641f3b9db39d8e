"""Shared fixtures: the third-party vectors' path, one database URL per backend, and one small
planned city for the read-only tests of the whole API.

PostgreSQL tests run whenever a server answers (``LEDGER_TEST_POSTGRES_URL`` or
the local default). Each test run creates its own database and drops it at the
end; each test gets its own schema in it. With ``LEDGER_REQUIRE_POSTGRES=1``
(set by CI) an unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql

if TYPE_CHECKING:
    from tests.support.seeded import PlannedCity

#: Third-party vectors, vendored (tests/vectors/merkle/SOURCE.md says where they come from) so a
#: clean clone tests on its own; test_vectors_match_the_shared_copy guards against drift.
VECTORS = Path(__file__).resolve().parent / "vectors"
SHARED_VECTORS = Path(__file__).resolve().parents[2] / "shared" / "vectors"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def _admin_url() -> str:
    return os.environ.get("LEDGER_TEST_POSTGRES_URL", DEFAULT_PG)


def _pg_reachable(url: str) -> str | None:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {url} unreachable: {str(exc).strip().splitlines()[0]}"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of this test run's own, dropped when the run ends."""
    admin = _admin_url()
    problem = _pg_reachable(admin)
    if problem:
        if os.environ.get("LEDGER_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"LEDGER_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(problem)
    name = f"ledger_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = admin.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """A fresh schema per test, selected through the connection's search_path."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    yield f"{postgres_database}?options={quote(f'-csearch_path={schema}')}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Run the test once per backend: the same suite must pass on both."""
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
        return str(request.getfixturevalue("postgres_url"))
    return str(request.getfixturevalue("sqlite_url"))


@pytest.fixture(scope="session")
def planned_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlannedCity]:
    """Two lifts and two years of the demo's planned city on SQLite, seeded once for every test
    that only reads through the API (the fuzz test, the QR page in a browser): they must not
    write to its log. (Imported here, not at the top: a unit-test run need not load the node.)"""
    from demo import plan_city
    from tests.support.city import NOW, City
    from tests.support.seeded import seed_plan

    tmp = tmp_path_factory.mktemp("planned-city")
    city = City.open(tmp / "home", f"sqlite:///{tmp}/ledger.db")
    try:
        yield seed_plan(city, plan_city(2, years=2, seed=5, now=NOW))
    finally:
        city.node.close()
