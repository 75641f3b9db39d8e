"""The offset an instant was written with, kept in whole seconds, gives back the same text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.instant import at_offset, offset_seconds

OFFSETS = st.integers(-12 * 3600, 14 * 3600).map(lambda s: timezone(timedelta(seconds=s)))
AT = st.builds(
    lambda naive, tz: naive.replace(tzinfo=UTC).astimezone(tz),
    st.datetimes(datetime(1971, 1, 1), datetime(2099, 12, 31)),
    OFFSETS,
)


@given(at=AT)
def test_the_instant_at_its_offset_is_the_text_it_was_written_as(at: datetime) -> None:
    shown = at_offset(at.astimezone(UTC), offset_seconds(at))
    assert shown == at and shown.isoformat() == at.isoformat()


def test_an_offset_with_a_fraction_of_a_second_is_refused() -> None:
    odd = datetime(2025, 3, 1, tzinfo=timezone(timedelta(seconds=1, microseconds=5)))
    with pytest.raises(ValueError, match="fraction of a second"):
        offset_seconds(odd)


def test_a_naive_datetime_has_no_offset() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        offset_seconds(datetime(2025, 3, 1))
