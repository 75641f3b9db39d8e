"""An entry's ``recorded_at``: what format_time writes, parse_time reads back exactly, and
parse_time reads any text as ``strptime`` with the entry format does (same value, or a
ValueError)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from ledger.entry import format_time, parse_time

FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
instants = st.datetimes(
    min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
)


def _by_strptime(text: str) -> datetime | type[ValueError]:
    try:
        return datetime.strptime(text, FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return ValueError


def _by_parse_time(text: str) -> datetime | type[ValueError]:
    try:
        return parse_time(text)
    except ValueError:
        return ValueError


@given(instants)
def test_what_format_time_writes_parse_time_reads_back(at: datetime) -> None:
    assert parse_time(format_time(at)) == at


digits = st.text(alphabet="0123456789", min_size=1, max_size=7)


@given(st.lists(digits, min_size=7, max_size=7), st.sampled_from(["Z", "z", "", "+00:00"]))
def test_any_text_of_the_shape_reads_as_strptime_reads_it(parts: list[str], zone: str) -> None:
    """Out-of-range fields (month 13, second 60, hour 24) and other widths included."""
    y, mo, d, h, mi, s, f = parts
    text = f"{y}-{mo}-{d}T{h}:{mi}:{s}.{f}{zone}"
    assert _by_parse_time(text) == _by_strptime(text)


@given(st.text(max_size=40))
def test_any_text_at_all_reads_as_strptime_reads_it(text: str) -> None:
    assert _by_parse_time(text) == _by_strptime(text)


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


@given(_digits(4), st.lists(_digits(2), min_size=5, max_size=5), _digits(6))
def test_text_as_format_time_writes_it_reads_as_strptime_reads_it(
    year: str, fields: list[str], micro: str
) -> None:
    """The shape parse_time reads straight from the digits, values in range or not."""
    mo, d, h, mi, s = fields
    text = f"{year}-{mo}-{d}T{h}:{mi}:{s}.{micro}Z"
    assert _by_parse_time(text) == _by_strptime(text)
