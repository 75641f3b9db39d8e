"""Which area a regulator's scope covers (GB/T 2260 codes), pure.

A bureau supervises its own area: a city's code (ending in ``00``, e.g. ``430900`` 益阳市)
covers every district and county under it (``430903`` 赫山区, ``430923`` 安化县); a province's
(ending in ``0000``) covers the province; any other code only itself. Read models, the
regulator API and the console all ask this one function."""

from __future__ import annotations

from collections.abc import Iterable


def covers(scope: str, district: str | None) -> bool:
    """Whether the area code ``scope`` covers ``district`` (``None``, an elevator whose district
    is not known yet, is covered by no scope)."""
    if district is None:
        return False
    if scope.endswith("0000"):
        return district.startswith(scope[:2])
    if scope.endswith("00"):
        return district.startswith(scope[:4])
    return district == scope


def within(scopes: Iterable[str], district: str | None) -> bool:
    """Whether any of ``scopes`` covers ``district``."""
    return any(covers(scope, district) for scope in scopes)
