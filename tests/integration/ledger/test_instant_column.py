"""An ``Instant`` column holds the instant, on SQLite as on PostgreSQL: what is written at any
offset comes back as the same instant, and SQL compares and sorts instants, not wall times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, Integer, MetaData, Table, delete, insert, select
from sqlalchemy.exc import StatementError

from ledger.instant import Instant

metadata = MetaData()
instants = Table(
    "test_instants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("at", Instant, nullable=True),
)

#: UTC offsets in use on Earth and beyond what RFC 3339 writes: −12:00 … +14:00, to the second.
OFFSETS = st.integers(-12 * 3600, 14 * 3600).map(lambda s: timezone(timedelta(seconds=s)))
#: Instants with microseconds, at any such offset.
AT = st.builds(
    lambda naive, tz: naive.replace(tzinfo=UTC).astimezone(tz),
    st.datetimes(datetime(1971, 1, 1), datetime(2099, 12, 31)),
    OFFSETS,
)
DB_PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def table(engine: Engine) -> Iterator[Engine]:
    metadata.create_all(engine)
    yield engine
    metadata.drop_all(engine)


def _clear(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(instants))


@DB_PROPERTY
@given(at=AT)
@example(at=datetime(2025, 3, 1, 14, 5, tzinfo=timezone(timedelta(hours=8))))
def test_an_instant_comes_back_as_the_same_instant_in_utc(table: Engine, at: datetime) -> None:
    _clear(table)
    with table.begin() as conn:
        conn.execute(insert(instants).values(id=1, at=at))
    with table.connect() as conn:
        back = conn.execute(select(instants.c.at)).scalar_one()
    assert back == at and back.utcoffset() == timedelta(0)


@DB_PROPERTY
@given(values=st.lists(AT, min_size=2, max_size=8), probe=AT)
def test_sql_orders_and_compares_instants_not_wall_times(
    table: Engine, values: list[datetime], probe: datetime
) -> None:
    _clear(table)
    with table.begin() as conn:
        conn.execute(insert(instants), [{"id": i, "at": v} for i, v in enumerate(values)])
    with table.connect() as conn:
        ordered = conn.execute(select(instants.c.at).order_by(instants.c.at)).scalars().all()
        later = conn.execute(select(instants.c.id).where(instants.c.at > probe)).scalars().all()
        same = conn.execute(select(instants.c.id).where(instants.c.at == probe)).scalars().all()
    assert ordered == sorted(values)
    assert sorted(later) == [i for i, v in enumerate(values) if v > probe]
    assert sorted(same) == [i for i, v in enumerate(values) if v == probe]


def test_the_same_instant_at_two_offsets_is_equal_in_sql(table: Engine) -> None:
    shanghai = datetime(2025, 3, 1, 14, 5, tzinfo=timezone(timedelta(hours=8)))
    with table.begin() as conn:
        conn.execute(insert(instants).values(id=1, at=shanghai))
    with table.connect() as conn:
        found = conn.execute(
            select(instants.c.id).where(instants.c.at == datetime(2025, 3, 1, 6, 5, tzinfo=UTC))
        ).scalar_one_or_none()
    assert found == 1


def test_a_naive_datetime_is_refused_and_nothing_is_written(table: Engine) -> None:
    with pytest.raises(StatementError, match="no UTC offset"), table.begin() as conn:
        conn.execute(insert(instants).values(id=1, at=datetime(2025, 3, 1, 14, 5)))
    with table.connect() as conn:
        assert conn.execute(select(instants)).all() == []
