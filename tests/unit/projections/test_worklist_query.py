"""The console's query layer over a list's rows, and the SQL form of a regulator's scope (pure,
or over an in-memory table): sorting, filtering, paging checks, scoping."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Column, MetaData, String, Table, create_engine, insert, select

from domain.model.jurisdiction import within
from projections.scope import scope_clause
from projections.worklists import (
    MAX_PAGE_SIZE,
    NAMES,
    SORT_KEYS,
    SORTABLE,
    InvalidQuery,
    Query,
    filter_rows,
    sort_rows,
)

ROWS: list[dict[str, Any]] = [
    {
        "equipment_code": "A",
        "district": "430902",
        "use_unit": "U1",
        "use_unit_name": "乙物业",
        "maintenance_unit": "M1",
        "maintenance_unit_name": "甲维保",
        "next_maintenance_due": "2026-03-01",
    },
    {
        "equipment_code": "B",
        "district": "430903",
        "use_unit": "U2",
        "use_unit_name": "甲物业",
        "maintenance_unit": None,
        "maintenance_unit_name": None,
        "next_maintenance_due": None,
    },
    {
        "equipment_code": "C",
        "district": "430902",
        "use_unit": "U1",
        "use_unit_name": "乙物业",
        "maintenance_unit": "M2",
        "maintenance_unit_name": "丙维保",
        "next_maintenance_due": "2026-01-15",
    },
]


def codes(rows: list[dict[str, Any]]) -> list[str]:
    return [r["equipment_code"] for r in rows]


def test_no_sort_keeps_the_lists_own_order() -> None:
    assert codes(sort_rows(ROWS, Query())) == ["A", "B", "C"]


def test_ascending_and_descending_with_the_missing_last_either_way() -> None:
    assert codes(sort_rows(ROWS, Query(sort="next_maintenance_due"))) == ["C", "A", "B"]
    due_desc = Query(sort="next_maintenance_due", descending=True)
    assert codes(sort_rows(ROWS, due_desc)) == ["A", "C", "B"]
    # names compare by code point (the ideographs' radical-stroke order: 丙 < 乙 < 甲)
    assert codes(sort_rows(ROWS, Query(sort="maintenance_unit", descending=True))) == [
        "A",  # 甲维保
        "C",  # 丙维保
        "B",  # no maintainer: last
    ]


def test_ties_keep_the_lists_order() -> None:
    assert codes(sort_rows(ROWS, Query(sort="district"))) == ["A", "C", "B"]
    assert codes(sort_rows(ROWS, Query(sort="district", descending=True))) == ["B", "A", "C"]


def test_organizations_sort_by_name_not_code() -> None:
    assert codes(sort_rows(ROWS, Query(sort="use_unit"))) == ["A", "C", "B"]  # 乙物业 < 甲物业
    unnamed = [{**r, "use_unit_name": None} for r in ROWS]  # no name: its code decides
    assert codes(sort_rows(unnamed, Query(sort="use_unit", descending=True))) == ["B", "A", "C"]


def test_filters_by_maintainer_and_use_unit_together() -> None:
    assert codes(filter_rows(ROWS, Query(maintainer="M1"))) == ["A"]
    assert codes(filter_rows(ROWS, Query(use_unit="U1"))) == ["A", "C"]
    assert codes(filter_rows(ROWS, Query(use_unit="U1", maintainer="M2"))) == ["C"]
    assert codes(filter_rows(ROWS, Query(use_unit="U2", maintainer="M2"))) == []


def test_only_whitelisted_columns_sort_and_pages_are_bounded() -> None:
    for name in NAMES:
        assert set(SORTABLE[name]) <= set(SORT_KEYS)
        Query(sort=SORTABLE[name][0], page_size=MAX_PAGE_SIZE).check(name)
    with pytest.raises(InvalidQuery, match="cannot be sorted"):
        Query(sort="status").check("uninsured")
    with pytest.raises(InvalidQuery, match="cannot be sorted"):
        Query(sort="log_index").check("uninsured")  # a column of another list
    with pytest.raises(InvalidQuery, match="page size"):
        Query(page_size=MAX_PAGE_SIZE + 1).check("uninsured")
    with pytest.raises(InvalidQuery, match="page size"):
        Query(page_size=0).check("uninsured")
    with pytest.raises(InvalidQuery, match="pages start"):
        Query(page=0).check("uninsured")


DISTRICTS = ["430902", "430903", "430981", "431102", "110101", "4309%_", None]
SCOPES = [("430900",), ("430903",), ("430000",), ("430902", "110101"), (), ("4309%0",)]


@pytest.mark.parametrize("scopes", SCOPES)
def test_the_sql_scope_is_the_jurisdictions(scopes: tuple[str, ...]) -> None:
    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("district", String, nullable=True))
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"district": d} for d in DISTRICTS])
        found = conn.execute(select(table.c.district).where(scope_clause(table.c.district, scopes)))
        got = sorted(found.scalars())
    assert got == sorted(d for d in DISTRICTS if d is not None and within(scopes, d))
