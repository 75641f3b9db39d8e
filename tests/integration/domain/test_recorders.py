"""The ledger's own queries on the event store's table, on each backend: where in the feed an
aggregate's events are, and which notification ids of some topics follow a position."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic

from domain.application.elevator_ledger import ElevatorLedger
from domain.application.ledger_factory import eventsourcing_env
from domain.application.postgres_recorder import PostgresLedgerRecorder
from domain.application.recorders import (
    POSTGRES_RECORDER_TOPIC,
    LedgerQueries,
    SQLiteLedgerRecorder,
)
from domain.model.trust import TrustAnchor
from ledger.keys import SigningKey

RECORDER = {"sqlite": SQLiteLedgerRecorder, "postgres": PostgresLedgerRecorder}


class Thing(Aggregate):
    """Any aggregate will do: the queries are about rows, not about what events mean."""

    @event("Made")
    def __init__(self, name: str) -> None:
        self.name = name

    @event("Noted")
    def note(self) -> None:
        pass


MADE, NOTED = get_topic(Thing.Made), get_topic(Thing.Noted)  # type: ignore[attr-defined]


class Store(Application[UUID]):
    name = "RecorderSpec"


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
    return str(request.param)


@pytest.fixture
def url(backend: str, request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{backend}_url"))


@pytest.fixture
def store(url: str, backend: str) -> Iterator[Store]:
    topic = get_topic(RECORDER[backend])
    app = Store(env={**eventsourcing_env(url), "APPLICATION_RECORDER_TOPIC": topic})
    try:
        yield app
    finally:
        app.close()


def queries(app: Application[UUID]) -> LedgerQueries:
    assert isinstance(app.recorder, LedgerQueries)
    return app.recorder


def saved(app: Store, name: str, notes: int) -> Thing:
    thing = Thing(name)
    for _ in range(notes):
        thing.note()
    app.save(thing)
    return thing


def feed(app: Store) -> list[tuple[UUID, int, int, str]]:
    """(aggregate, version, notification id, topic) of every stored event, in feed order."""
    return [
        (UUID(str(n.originator_id)), n.originator_version, n.id, n.topic)
        for n in app.recorder.select_notifications(start=None, limit=1000)
    ]


class TestLedgerRecorder:
    def test_chain_positions_are_the_notification_ids_of_one_aggregates_versions(
        self, store: Store
    ) -> None:
        a, b = saved(store, "a", 2), saved(store, "b", 1)
        saved(store, "a2", 0)
        a.note()
        store.save(a)
        stored = feed(store)
        expected = {v: nid for (ident, v, nid, _) in stored if ident == a.id}
        assert sorted(expected) == [1, 2, 3, 4]
        assert queries(store).chain_positions(a.id) == expected
        assert queries(store).chain_positions(b.id) == {
            v: nid for (ident, v, nid, _) in stored if ident == b.id
        }

    def test_chain_positions_of_one_version_is_that_version_alone(self, store: Store) -> None:
        a = saved(store, "a", 3)
        saved(store, "b", 3)
        everything = queries(store).chain_positions(a.id)
        assert queries(store).chain_positions(a.id, 3) == {3: everything[3]}
        assert queries(store).chain_positions(a.id, 9) == {}
        assert queries(store).chain_positions(Thing("never saved").id) == {}

    def test_notification_ids_follow_a_position_with_the_topics_asked_for_in_order(
        self, store: Store
    ) -> None:
        for name in "abc":
            saved(store, name, 2)
        stored = feed(store)
        noted = [nid for (_, _, nid, topic) in stored if topic == NOTED]
        after = stored[2][2]
        assert queries(store).notification_ids(after, 100, [NOTED]) == [
            n for n in noted if n > after
        ]
        assert queries(store).notification_ids(0, 100, [MADE, NOTED]) == [s[2] for s in stored]
        assert queries(store).notification_ids(0, 3, [NOTED]) == noted[:3]
        assert queries(store).notification_ids(stored[-1][2], 100, [MADE, NOTED]) == []
        assert queries(store).notification_ids(0, 100, ["no.such:Topic"]) == []

    def test_every_ledger_application_gets_the_backends_ledger_recorder(
        self, url: str, backend: str
    ) -> None:
        """Whoever builds the ledger, from settings that name no recorder."""
        anchor = TrustAnchor("11430900MB1C2D3E45", SigningKey.generate().verifying_key)
        app = ElevatorLedger(anchor, env=eventsourcing_env(url))
        try:
            assert type(app.recorder) is RECORDER[backend]
            assert app.chain_positions(Thing("nothing").id) == {}
        finally:
            app.close()


def test_an_in_memory_ledger_says_it_has_no_feed_positions() -> None:
    """The audit's in-memory replay never asks; if something did, it is told why not."""
    anchor = TrustAnchor("11430900MB1C2D3E45", SigningKey.generate().verifying_key)
    app = ElevatorLedger(anchor, env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    with pytest.raises(TypeError, match="SQLite or PostgreSQL"):
        app.chain_positions(Thing("nothing").id)


def test_the_postgres_recorder_is_named_by_its_topic() -> None:
    """The application names the PostgreSQL recorder by topic, so that a process on SQLite
    need not import psycopg; the name must be the class's."""
    assert get_topic(PostgresLedgerRecorder) == POSTGRES_RECORDER_TOPIC


def test_a_process_on_sqlite_does_not_load_psycopg() -> None:
    """Building and using the application on SQLite or in memory imports no PostgreSQL
    driver (a new interpreter: this one may have imported it for other tests)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from domain.application.elevator_ledger import ElevatorLedger\n"
        "from domain.application.audit_shards import ShardedReplay\n"
        "assert 'psycopg' not in sys.modules, 'psycopg loaded'\n"
        "assert 'eventsourcing.postgres' not in sys.modules, 'eventsourcing.postgres loaded'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
