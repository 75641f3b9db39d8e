"""The ledger's calendar: "today" is the date in the ledger's time zone at the instant asked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from api.settings import Settings
from projections.clock import day_start, local_date, today_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
INSTANTS = st.datetimes(datetime(1971, 1, 1), datetime(2099, 12, 31)).map(
    lambda naive: naive.replace(tzinfo=UTC)
)
OFFSETS = st.integers(-12 * 3600, 14 * 3600).map(lambda s: timezone(timedelta(seconds=s)))


@given(now=INSTANTS, written_at=OFFSETS)
@example(now=datetime(2025, 3, 1, 15, 59, 59, 999_999, tzinfo=UTC), written_at=UTC)
@example(now=datetime(2025, 3, 1, 16, 0, tzinfo=UTC), written_at=UTC)
def test_today_is_the_date_in_shanghai_whatever_offset_now_is_written_at(
    now: datetime, written_at: timezone
) -> None:
    """China has kept UTC+8 all year since 1991: today there is the UTC date 8 hours on."""
    expected = (now + timedelta(hours=8)).date()
    if now.year >= 1992:
        assert today_in(SHANGHAI, now.astimezone(written_at)) == expected
    assert today_in(SHANGHAI, now) == local_date(now, SHANGHAI)


def test_midnight_in_shanghai_is_four_pm_utc_the_day_before() -> None:
    midnight = day_start(date(2025, 3, 2), SHANGHAI)
    assert midnight == datetime(2025, 3, 1, 16, 0, tzinfo=UTC)
    assert today_in(SHANGHAI, midnight - timedelta(microseconds=1)) == date(2025, 3, 1)
    assert today_in(SHANGHAI, midnight) == date(2025, 3, 2)
    assert today_in(UTC, midnight) == date(2025, 3, 1)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        today_in(SHANGHAI, datetime(2025, 3, 1, 12, 0))


def test_the_ledgers_time_zone_defaults_to_shanghai_and_must_be_known(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LEDGER_TIME_ZONE", raising=False)
    assert Settings().zone == SHANGHAI
    assert Settings(time_zone="UTC").zone == ZoneInfo("UTC")
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        Settings(time_zone="Mars/Olympus")
    monkeypatch.setenv("LEDGER_TIME_ZONE", "America/New_York")
    assert Settings().zone == ZoneInfo("America/New_York")
