"""Pages show instants on the ledger's clock: the same instant reads the same whatever offset
it was signed at, and the zone is said."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.local_time import local_date, local_time, on_ledger_clock

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    "signed",
    ["2025-03-01T16:30:00+00:00", "2025-03-02T00:30:00+08:00", "2025-03-01T11:30:00-05:00"],
)
def test_one_instant_signed_at_any_offset_reads_alike(signed: str) -> None:
    assert local_date(signed, SHANGHAI) == "2025-03-02"
    assert local_time(signed, SHANGHAI) == "2025-03-02 00:30 (UTC+08:00)"


def test_a_time_without_an_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        local_time("2025-03-01T16:30:00", SHANGHAI)


def test_on_the_ledgers_clock_is_the_same_instant_or_as_given_at_the_ends_of_time() -> None:
    asked = datetime.fromisoformat("2025-03-01T16:30:00+00:00")
    assert on_ledger_clock(asked, SHANGHAI) == asked
    assert on_ledger_clock(asked, SHANGHAI).utcoffset() == timedelta(hours=8)
    last = datetime.fromisoformat("9999-12-31T23:59:59-14:00")  # no such wall time in Shanghai
    assert on_ledger_clock(last, SHANGHAI) is last
