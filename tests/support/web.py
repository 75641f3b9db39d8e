"""Signed-in users for tests of the console's and the desk's pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
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


FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(
    client_or_base_url: httpx.Client | str, login: str, password: str, desk: str = "console"
) -> httpx.Client:
    """Sign in for real through ``/{desk}/sign-in`` (the form, its CSRF cookie, the password):
    the client (a TestClient, or a new ``httpx.Client`` for a base URL) then carries the
    session cookie. AssertionError if the sign-in is refused."""
    client = (
        httpx.Client(base_url=client_or_base_url)
        if isinstance(client_or_base_url, str)
        else client_or_base_url
    )
    form = client.get(f"/{desk}/sign-in")
    match = FORM_TOKEN.search(form.text)
    assert form.status_code == 200 and match, form.text
    answer = client.post(
        f"/{desk}/sign-in",
        data={"login": login, "password": password, "csrf_token": match[1]},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(page_html: str) -> str:
    """The CSRF token a signed-in page's forms post back."""
    match = FORM_TOKEN.search(page_html)
    assert match, "the page has no form with a CSRF token"
    return match[1]
