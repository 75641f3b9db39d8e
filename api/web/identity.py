"""Who is signed in to the console or the desk, and what they may see (pure).

A staff account belongs to one organization. A regulator's account (the console) is scoped to
districts: GB/T 2260 codes, where a code ending in ``00`` covers its subdivisions (``430900``,
益阳市, covers ``430903``, 赫山区; ``430000`` covers the province) and any other code only
itself. An enterprise's account (the desk) sees what names its organization."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from domain.model.jurisdiction import covers as district_covers
from domain.model.jurisdiction import within

__all__ = ["Desk", "StaffUser", "district_covers"]

Desk = Literal["console", "desk"]


@dataclass(frozen=True)
class StaffUser:
    """A signed-in member of staff, as every console or desk page is given it."""

    account_id: str
    login: str
    name: str
    organization: str  # USCC
    organization_name: str | None
    desk: Desk
    districts: tuple[str, ...]  # the console's scope; empty for a desk account
    csrf_token: str  # the session's; every form posts it back
    admin: bool = False  # may issue accounts for its own organization

    def sees(self, district: str | None) -> bool:
        """Whether an elevator in ``district`` is within this account's scope."""
        return within(self.districts, district)
