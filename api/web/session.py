"""Sessions and CSRF for the console and the desk (FastAPI dependencies).

SCAFFOLD: the dependencies' signatures are the contract every page codes against; the sign-in
work (issue #13) fills in their bodies. Until then a page's tests set
``app.dependency_overrides[require_console_user]`` (tests/support/web.py does)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request

from api.problems import Problem
from api.web.identity import StaffUser


class SignInRequired(Exception):
    """No valid session: a page answers with a redirect to its sign-in page."""

    def __init__(self, desk: str, next_url: str) -> None:
        super().__init__(desk)
        self.desk, self.next_url = desk, next_url


def require_console_user(request: Request) -> StaffUser:
    """The signed-in regulator's staff, or :class:`SignInRequired`."""
    raise SignInRequired("console", str(request.url.path))


def require_desk_user(request: Request) -> StaffUser:
    """The signed-in enterprise's staff, or :class:`SignInRequired`."""
    raise SignInRequired("desk", str(request.url.path))


ConsoleUserDep = Annotated[StaffUser, Depends(require_console_user)]
DeskUserDep = Annotated[StaffUser, Depends(require_desk_user)]


def check_csrf(user: StaffUser, token: str) -> None:
    """403 unless ``token`` (the form's ``csrf_token``) is the session's."""
    import hmac

    if not hmac.compare_digest(token.encode(), user.csrf_token.encode()):
        raise Problem(403, "csrf-failed", "Form not accepted", "the form's CSRF token is wrong")


def console_form_user(user: ConsoleUserDep, csrf_token: Annotated[str, Form()] = "") -> StaffUser:
    """The signed-in regulator's staff posting a form with the right CSRF token."""
    check_csrf(user, csrf_token)
    return user


def desk_form_user(user: DeskUserDep, csrf_token: Annotated[str, Form()] = "") -> StaffUser:
    """The signed-in enterprise's staff posting a form with the right CSRF token."""
    check_csrf(user, csrf_token)
    return user


ConsoleFormUserDep = Annotated[StaffUser, Depends(console_form_user)]
DeskFormUserDep = Annotated[StaffUser, Depends(desk_form_user)]
