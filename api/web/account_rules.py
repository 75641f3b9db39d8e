"""Who may issue and disable which staff account (pure): the rules api/web/account_pages.py
applies, in one place so they can be read and tested at once."""

from __future__ import annotations

from api.web.accounts import Account
from api.web.identity import StaffUser
from domain.model.jurisdiction import within


def registered_within(user: StaffUser, district: str | None) -> bool:
    """Whether an organization registered in ``district`` is within a bureau's districts (an
    organization whose district is not known is within none)."""
    return user.desk == "console" and within(user.districts, district)


def may_disable(user: StaffUser, target: Account, district: str | None) -> bool:
    """Whether ``user`` may disable ``target`` (``district``: where the target's organization
    is registered). Never one's own account; a disabled one stays as it is."""
    if target.id == user.account_id or target.disabled_at is not None:
        return False
    if user.desk == "desk":
        return user.admin and target.desk == "desk" and target.organization == user.organization
    if target.desk == "desk":
        return registered_within(user, district)
    return (
        user.admin
        and target.organization == user.organization
        and all(within(user.districts, d) for d in target.districts)
    )
