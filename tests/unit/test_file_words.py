"""The elevator file's words and its replay form's instant: every flag the status raises has
Chinese words (a flag added later without them fails here), a self-test overdue says 检测, and
the form's instant is read on the ledger's clock or with the offset it carries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.console.file_words import FLAG_ZH, flags_zh
from api.console.replay_page import BadInstant, form_value, parse_as_of
from domain.replay import parse_instant
from projections.status import ElevatorStatus, flags

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_every_flag_has_words() -> None:
    raised = flags(ElevatorStatus(equipment_code="311023010201500098"), date(2026, 1, 1))
    assert set(raised) <= set(FLAG_ZH), sorted(set(raised) - set(FLAG_ZH))


def test_an_overdue_self_test_is_检测_not_检验() -> None:
    assert flags_zh({"inspection_overdue": True}, "self_test") == ["检测逾期"]
    assert flags_zh({"inspection_overdue": True}, "periodic") == ["检验逾期"]
    assert flags_zh({"inspection_overdue": False, "uninsured": True}, None) == [
        "在用未投保责任保险"
    ]


def test_the_forms_instant_is_on_the_ledgers_clock() -> None:
    at = parse_as_of("2026-03-01T14:05", SHANGHAI)
    assert at == datetime(2026, 3, 1, 6, 5, tzinfo=UTC)
    assert at.utcoffset() == timedelta(hours=8) and form_value(at) == "2026-03-01T14:05"


def test_an_instant_with_an_offset_keeps_it_and_is_shown_on_the_ledgers_clock() -> None:
    at = parse_as_of("2026-03-01T06:05:00Z", SHANGHAI)
    assert at == parse_instant("2026-03-01T14:05:00+08:00") and form_value(at) == "2026-03-01T14:05"


@pytest.mark.parametrize("text", ["", "  ", "tomorrow", "2026-02-30T10:00", "9" * 80])
def test_what_is_no_instant_is_refused_in_words(text: str) -> None:
    with pytest.raises(BadInstant) as refused:
        parse_as_of(text, SHANGHAI)
    assert str(refused.value)
