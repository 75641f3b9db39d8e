"""The names of the administrative areas the ledger serves (GB/T 2260 codes), as reference data.

Pages name a district beside its code (``资阳区（430902）``); a code not listed here is shown as
the code alone, never guessed. 益阳高新区 and 大通湖区 are coded with the city's own code, 430900,
by the ledger's organizations and elevators (domain/model/scoring.py says why), so 430900 is
named 益阳市 here: the city, not those two areas."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

AREA_NAMES_ZH: Mapping[str, str] = MappingProxyType(
    {
        "430000": "湖南省",
        "430900": "益阳市",
        "430902": "资阳区",
        "430903": "赫山区",
        "430921": "南县",
        "430922": "桃江县",
        "430923": "安化县",
        "430971": "大通湖区",
        "430972": "益阳高新区",
        "430981": "沅江市",
    }
)


def area_name(code: str | None) -> str | None:
    """The area's name, if the ledger knows it."""
    return AREA_NAMES_ZH.get(code) if code else None
