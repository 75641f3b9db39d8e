"""Signed-in users for tests of the console's and the desk's pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI

from api.web.identity import StaffUser
from api.web.session import require_console_user, require_desk_user

CSRF = "test-csrf-token"


def regulator_user(
    organization: str, districts: tuple[str, ...] = ("430900",), name: str = "测试监管员"
) -> StaffUser:
    return StaffUser("test-account", "tester", name, organization, None, "console", districts, CSRF)


def enterprise_user(
    organization: str, name: str = "测试企业员工", admin: bool = False
) -> StaffUser:
    return StaffUser("test-desk", "desk-tester", name, organization, None, "desk", (), CSRF, admin)


@contextmanager
def signed_in(app: FastAPI, user: StaffUser) -> Iterator[FastAPI]:
    """``app`` with every page seeing ``user`` as signed in (no sign-in needed), for the
    ``with`` block. The sign-in pages' own tests sign in for real."""
    dep = require_console_user if user.desk == "console" else require_desk_user
    app.dependency_overrides[dep] = lambda: user
    try:
        yield app
    finally:
        app.dependency_overrides.pop(dep, None)
