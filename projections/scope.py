"""A regulator's scope as SQL: which rows of a read model lie in the districts it covers.

The one SQL form of :func:`domain.model.jurisdiction.within`, so that a list never shows what a
page of one elevator (``StaffUser.sees``) would refuse, nor hides what it would show."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import false, or_
from sqlalchemy.sql.elements import ColumnElement


def scope_clause(column: Any, scopes: Iterable[str]) -> ColumnElement[bool]:
    """SQL for "``column`` (a district code) is covered by one of ``scopes``": a code ending
    ``0000`` covers its province, ``00`` its city, any other only itself; no scope covers
    nothing, and no scope covers a NULL district."""
    terms: list[ColumnElement[bool]] = []
    for scope in scopes:
        if scope.endswith("0000"):
            terms.append(column.startswith(scope[:2], autoescape=True))
        elif scope.endswith("00"):
            terms.append(column.startswith(scope[:4], autoescape=True))
        else:
            terms.append(column == scope)
    return or_(*terms) if terms else false()
