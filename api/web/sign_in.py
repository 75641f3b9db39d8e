"""Signing in to and out of the console and the desk (``/console/sign-in``, ``/desk/sign-in``,
``…/sign-out``).

A sign-in form carries a CSRF token of its own, also set in a cookie scoped to the sign-in page
(double submit: there is no session yet). A wrong password and an unknown login get the same
answer in the same time (401; a dummy hash is verified for an unknown login); too many failures
lock the login or the client address (429 with ``Retry-After``, the password not checked);
a disabled account, an account of the other desk, or a console account whose organization no
longer holds the regulator role is refused with a 403 page saying so — only to whoever typed its
password. ``next`` is followed only to a path of the same desk (api/web/cookies.py). Signing out
is a form post with the session's CSRF token; it ends the session in the database, not only in
the browser."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import is_regulator
from api.local_time import on_ledger_clock
from api.node import LedgerNode
from api.web import cookies
from api.web.accounts import Account, Locked
from api.web.identity import Desk, StaffUser
from api.web.render import page
from api.web.session import (
    ConsoleFormUserDep,
    CsrfFailed,
    DeskFormUserDep,
    SignInRequired,
    WrongDesk,
    account_store,
    signed_in_user,
)

router = APIRouter(include_in_schema=False)

DESK_ZH = {"console": "监管工作台", "desk": "企业工作台"}
ENDED_ZH = {
    "expired": "会话已过期，请重新登录。",
    "idle": "会话已过期（长时间未操作），请重新登录。",
    "disabled": "此账号已停用，会话已结束。",
    "role-revoked": "所属单位已不再具有监管部门角色，访问已终止。",
    "password-reset": "密码已重置，请用新密码登录。",
    "signed-out": "您已退出登录。",
}
WRONG = "登录名或密码错误。"
CSRF_FAILED = (
    "表单未通过安全校验（页面已过期，或不是从本工作台提交的），未做任何更改。"
    "请返回上一页、刷新后重新提交。"
)


def install(app: FastAPI) -> None:
    """The app's answer to a session of the other desk: a 403 page, not a redirect."""

    @app.exception_handler(WrongDesk)
    async def wrong_desk(request: Request, exc: WrongDesk) -> HTMLResponse:
        return _refused(request, exc.desk, _other_desk(exc.desk), 403)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed) -> HTMLResponse:
        return _refused(request, exc.desk, CSRF_FAILED, 403)


def _other_desk(desk: str) -> str:
    other = "desk" if desk == "console" else "console"
    return (
        f"此账号属于{DESK_ZH[other]}，不能打开{DESK_ZH[desk]}的页面。"
        f"请从 /{other}/sign-in 登录{DESK_ZH[other]}。"
    )


def _node(request: Request) -> LedgerNode:
    node: LedgerNode = request.app.state.node
    return node


def _tls(request: Request) -> bool:
    return cookies.secure(request, _node(request).settings.secure_cookies)


def _form(
    request: Request,
    desk: Desk,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    login: str = "",
    next_url: str = "",
) -> HTMLResponse:
    """The sign-in form with a fresh pre-session CSRF token (in the form and in a cookie)."""
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "sign_in/form.html",
        None,
        status,
        base=f"{desk}/base.html",
        desk=desk,
        desk_zh=DESK_ZH[desk],
        form_token=token,
        error=error,
        notice=notice,
        login=login,
        next_url=cookies.safe_next(next_url, desk),
    )
    cookies.set_form_token(response, desk, token, _tls(request))
    return response


def _refused(request: Request, desk: Desk, message: str, status: int) -> HTMLResponse:
    return page(
        request,
        "sign_in/refused.html",
        None,
        status,
        base=f"{desk}/base.html",
        desk=desk,
        desk_zh=DESK_ZH[desk],
        message=message,
    )


def _why_ended(request: Request, desk: Desk) -> str | None:
    """Why the session in the request's cookie no longer opens anything, in Chinese."""
    secret = request.cookies.get(cookies.session_cookie(desk))
    if not secret:
        return None
    found = account_store(request.app, _node(request)).session(secret)
    if found is None:
        return ENDED_ZH["expired"]
    reason = found[0].why_over(_node(request).now())
    return None if reason is None else ENDED_ZH.get(reason, ENDED_ZH["expired"])


def show_form(request: Request, desk: Desk, next_url: str, signed_out: bool) -> Response:
    """The form; or, for whoever is signed in already, on to ``next``."""
    if not signed_out and request.cookies.get(cookies.session_cookie(desk)):
        try:
            signed_in_user(request, desk)
        except (SignInRequired, WrongDesk):
            pass
        else:
            return RedirectResponse(cookies.safe_next(next_url, desk), 303)
    notice = ENDED_ZH["signed-out"] if signed_out else _why_ended(request, desk)
    response = _form(request, desk, notice=notice, next_url=next_url)
    if notice is not None and not signed_out:  # a cookie that opens nothing: forget it
        cookies.clear_session(response, desk, _tls(request))
    return response


def _refusal(node: LedgerNode, desk: Desk, account: Account) -> str | None:
    """Why ``account`` (its password right) may not sign in to ``desk`` now, if it may not."""
    if account.disabled_at is not None:
        return "此账号已停用。如需恢复，请联系账号签发单位。"
    if account.desk != desk:
        return _other_desk(desk)
    if desk == "console" and not is_regulator(node, account.organization):
        return "所属单位已不再具有监管部门角色，不能登录监管工作台。"
    return None


def sign_in(
    request: Request, desk: Desk, login: str, password: str, form_token: str, next_url: str
) -> Response:
    node = _node(request)
    expected = request.cookies.get(cookies.form_cookie(desk), "")
    if not expected or not hmac.compare_digest(expected.encode(), form_token.encode()):
        return _form(
            request,
            desk,
            status=403,
            error="登录表单已失效（打开太久，或不是从本站的登录页提交的），请重新输入后登录。",
            login=login[:64],
            next_url=next_url,
        )
    store = account_store(request.app, node)
    now = node.now()
    client = request.client.host if request.client else "unknown"
    result = store.authenticate(login, password, client, now)
    if isinstance(result, Locked):
        locked = _form(
            request,
            desk,
            status=429,
            error=f"登录失败次数过多，已暂时锁定。请于 {_clock(node, result.until)} 之后再试。",
            login=login[:64],
            next_url=next_url,
        )
        locked.headers["Retry-After"] = str(max(1, int((result.until - now).total_seconds())))
        return locked
    if result is None:
        return _form(request, desk, status=401, error=WRONG, login=login[:64], next_url=next_url)
    refusal = _refusal(node, desk, result)
    if refusal is not None:
        return _refused(request, desk, refusal, 403)
    secret, session = store.start_session(result, now)
    response = RedirectResponse(cookies.safe_next(next_url, desk), 303)
    tls = _tls(request)
    cookies.set_session(response, desk, secret, session.expires_at, now, tls)
    cookies.clear_form_token(response, desk, tls)
    response.headers["Cache-Control"] = "no-store"
    return response


def _clock(node: LedgerNode, at: datetime) -> str:
    return on_ledger_clock(at, node.settings.zone).strftime("%H:%M")


def sign_out(request: Request, desk: Desk, user: StaffUser) -> Response:
    """End the session the request's cookie opens (its CSRF token was checked)."""
    node = _node(request)
    store = account_store(request.app, node)
    secret = request.cookies.get(cookies.session_cookie(desk), "")
    found = store.session(secret) if secret else None
    if found is not None and found[1].id == user.account_id:
        store.end_session(found[0], "signed-out", node.now())
    response: Response = RedirectResponse(f"/{desk}/sign-in?signed_out=1", 303)
    cookies.clear_session(response, desk, _tls(request))
    response.headers["Cache-Control"] = "no-store"
    return response


Field = Annotated[str, Form()]


@router.get("/console/sign-in", response_class=HTMLResponse)
def console_sign_in_form(request: Request, next: str = "", signed_out: int = 0) -> Response:
    return show_form(request, "console", next, bool(signed_out))


@router.post("/console/sign-in")
def console_sign_in(
    request: Request,
    login: Field = "",
    password: Field = "",
    csrf_token: Field = "",
    next: Field = "",
) -> Response:
    return sign_in(request, "console", login, password, csrf_token, next)


@router.post("/console/sign-out")
def console_sign_out(request: Request, user: ConsoleFormUserDep) -> Response:
    return sign_out(request, "console", user)


@router.get("/desk/sign-in", response_class=HTMLResponse)
def desk_sign_in_form(request: Request, next: str = "", signed_out: int = 0) -> Response:
    return show_form(request, "desk", next, bool(signed_out))


@router.post("/desk/sign-in")
def desk_sign_in(
    request: Request,
    login: Field = "",
    password: Field = "",
    csrf_token: Field = "",
    next: Field = "",
) -> Response:
    return sign_in(request, "desk", login, password, csrf_token, next)


@router.post("/desk/sign-out")
def desk_sign_out(request: Request, user: DeskFormUserDep) -> Response:
    return sign_out(request, "desk", user)
