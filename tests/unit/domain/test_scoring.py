"""Scoring policy data: a scheme is in force only in its jurisdiction and period, arrival limits
follow the district, bands follow the points, and a year not over is labelled partial."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from domain.model.scoring import (
    ARRIVAL_LIMITS,
    FUJIAN_2024,
    SCHEMES,
    Period,
    adopted_scheme,
    arrival_limit,
    limit_by_code_shape,
)

HALF_HOUR, HOUR = timedelta(minutes=30), timedelta(hours=1)


@pytest.mark.parametrize(
    ("district", "limit"),
    [
        ("430902", HALF_HOUR),  # 资阳区
        ("430903", HALF_HOUR),  # 赫山区
        ("430900", HALF_HOUR),  # 益阳高新区 / 大通湖区 (no county code of their own)
        ("430921", HOUR),  # 南县
        ("430922", HOUR),  # 桃江县
        ("430923", HOUR),  # 安化县
        ("430981", HOUR),  # 沅江市 (county-level city)
    ],
)
def test_yiyangs_districts_have_their_arrival_limit(district: str, limit: timedelta) -> None:
    assert arrival_limit(district) == limit


def test_every_yiyang_district_is_listed_and_the_table_agrees_with_the_code_shape() -> None:
    assert {a.jurisdiction for a in ARRIVAL_LIMITS} == {
        "430900",
        "430902",
        "430903",
        "430921",
        "430922",
        "430923",
        "430981",
    }
    for listed in ARRIVAL_LIMITS:
        assert limit_by_code_shape(listed.jurisdiction) == listed.limit, listed


@pytest.mark.parametrize(
    ("district", "limit"),
    [
        ("350102", HALF_HOUR),  # 福州市鼓楼区: a 市辖区 (01-20)
        ("350100", HALF_HOUR),  # a prefecture's own code
        ("350121", HOUR),  # 闽侯县: a county (21-80)
        ("350181", HOUR),  # 福清市: a county-level city (81-99)
    ],
)
def test_an_unlisted_district_takes_the_limit_its_code_shape_says(
    district: str, limit: timedelta
) -> None:
    assert arrival_limit(district) == limit


def test_a_scheme_is_in_force_only_within_its_jurisdiction() -> None:
    on = date(2025, 6, 1)
    assert FUJIAN_2024.in_force("350102", on)
    assert not FUJIAN_2024.in_force("430902", on)
    assert not FUJIAN_2024.in_force(None, on)


def test_a_scheme_is_in_force_only_within_its_effective_period() -> None:
    scheme = replace(FUJIAN_2024, effective_to=date(2026, 1, 1))
    assert not scheme.in_force("350102", date(2023, 12, 31))
    assert scheme.in_force("350102", date(2024, 1, 1))
    assert scheme.in_force("350102", date(2025, 12, 31))
    assert not scheme.in_force("350102", date(2026, 1, 1))  # effective_to is the first day out


def test_a_yiyang_ledger_has_no_adopted_scheme() -> None:
    assert adopted_scheme("430902", date(2026, 6, 1)) is None
    assert adopted_scheme(None, date(2026, 6, 1)) is None
    assert adopted_scheme("350102", date(2026, 6, 1)) is FUJIAN_2024
    assert adopted_scheme("350102", date(2023, 6, 1)) is None
    assert set(SCHEMES) == {"fujian-2024"}


def test_the_most_local_scheme_in_force_is_the_adopted_one() -> None:
    fuzhou = replace(FUJIAN_2024, id="fuzhou", jurisdiction="3501")
    schemes = (FUJIAN_2024, fuzhou)
    assert adopted_scheme("350102", date(2025, 1, 1), schemes) is fuzhou
    assert adopted_scheme("350203", date(2025, 1, 1), schemes) is FUJIAN_2024


@pytest.mark.parametrize(
    ("total", "band"), [(0, "A"), (10, "A"), (11, "B"), (25, "B"), (26, "C"), (40, "C"), (41, "D")]
)
def test_fujians_bands_follow_the_points(total: int, band: str) -> None:
    assert FUJIAN_2024.band(total) == band


def test_a_year_not_over_is_partial_and_labelled_so() -> None:
    partial = Period.of(2026, date(2026, 12, 7))
    assert not partial.complete and partial.through == date(2026, 12, 7)
    assert partial.label_zh == "2026 年截至 12 月 7 日（年度未结束）"
    whole = Period.of(2025, date(2026, 12, 7))
    assert whole.complete and whole.through == date(2025, 12, 31)
    assert whole.label_zh == "2025 年度"
