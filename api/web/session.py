"""Sessions and CSRF for the console and the desk (FastAPI dependencies).

The dependencies' signatures are the contract every page codes against; pages' own tests set
``app.dependency_overrides[require_console_user]`` (tests/support/web.py does). A request is a
signed-in member of staff's when its desk's session cookie (api/web/cookies.py) opens a session
(api/web/accounts.py) that has not ended, expired or gone idle, of an account that is not
disabled, of the same desk, and — on the console — of an organization that holds the regulator
role in the ledger now (``api.auth.is_regulator``): a disabled account or a revoked role ends
the session at once, at its next request. No session: :class:`SignInRequired` (the app answers
303 to the sign-in page, which says why the last session ended). A session of the other desk:
:class:`WrongDesk` (a 403 page, never a redirect that would loop)."""

from __future__ import annotations

import hmac
import threading
from typing import Annotated

from fastapi import Depends, FastAPI, Form, Request

from api.auth import is_regulator
from api.node import LedgerNode
from api.web.accounts import AccountStore
from api.web.cookies import session_cookie
from api.web.identity import Desk, StaffUser
from projections.read import organization_names


class SignInRequired(Exception):
    """No valid session: a page answers with a redirect to its sign-in page."""

    def __init__(self, desk: str, next_url: str) -> None:
        super().__init__(desk)
        self.desk, self.next_url = desk, next_url


class WrongDesk(Exception):
    """A session of the other desk (a desk account on a console page, or the reverse)."""

    def __init__(self, desk: Desk, account_desk: str) -> None:
        super().__init__(desk)
        self.desk, self.account_desk = desk, account_desk


_stores = threading.Lock()


def account_store(app: FastAPI, node: LedgerNode) -> AccountStore:
    """The app's account store, its tables migrated on first use."""
    store: AccountStore | None = getattr(app.state, "account_store", None)
    if store is None or store.engine is not node.engine:
        with _stores:
            store = getattr(app.state, "account_store", None)
            if store is None or store.engine is not node.engine:
                store = AccountStore.open(node.engine)
                app.state.account_store = store
    return store


def _wanted(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def signed_in_user(request: Request, desk: Desk) -> StaffUser:
    """The member of staff the request's ``desk`` session cookie opens (see the module)."""
    secret = request.cookies.get(session_cookie(desk))
    if not secret:
        raise SignInRequired(desk, _wanted(request))
    node: LedgerNode = request.app.state.node
    store = account_store(request.app, node)
    found = store.session(secret)
    now = node.now()
    if found is None or found[0].why_over(now) is not None:
        raise SignInRequired(desk, _wanted(request))
    session, account = found
    if account.desk != desk or session.desk != desk:
        raise WrongDesk(desk, account.desk)
    if account.disabled_at is not None:
        store.end_session(session, "disabled", now)
        raise SignInRequired(desk, _wanted(request))
    if desk == "console" and not is_regulator(node, account.organization):
        store.end_session(session, "role-revoked", now)
        raise SignInRequired(desk, _wanted(request))
    store.touch(session, now)
    names = organization_names(node.engine, {account.organization})
    return StaffUser(
        account.id,
        account.login,
        account.name,
        account.organization,
        names.get(account.organization),
        desk,
        account.districts,
        session.csrf_token,
        account.admin,
    )


def require_console_user(request: Request) -> StaffUser:
    """The signed-in regulator's staff, or :class:`SignInRequired`."""
    return signed_in_user(request, "console")


def require_desk_user(request: Request) -> StaffUser:
    """The signed-in enterprise's staff, or :class:`SignInRequired`."""
    return signed_in_user(request, "desk")


ConsoleUserDep = Annotated[StaffUser, Depends(require_console_user)]
DeskUserDep = Annotated[StaffUser, Depends(require_desk_user)]


class CsrfFailed(Exception):
    """A form posted without the session's CSRF token: answered by a 403 page of the desk
    (api/web/sign_in.py), nothing done."""

    def __init__(self, desk: Desk) -> None:
        super().__init__(desk)
        self.desk = desk


def check_csrf(user: StaffUser, token: str) -> None:
    """:class:`CsrfFailed` unless ``token`` (the form's ``csrf_token``) is the session's."""
    if not hmac.compare_digest(token.encode(), user.csrf_token.encode()):
        raise CsrfFailed(user.desk)


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
