"""Staff accounts on the web: ``/console/accounts`` (a bureau: its own accounts, and desk
accounts for the enterprises registered in its districts) and ``/desk/accounts`` (an
enterprise's admin: its organization's accounts).

Issuing prints a random one-time password on the result page, once (only its argon2 hash is
kept). Who may issue and disable what (api/web/account_rules.py says it in one place):

- a console account issues desk accounts for an organization the ledger knows, that is not a
  regulator, and whose registered district (``read_organizations.district``) is within the
  account's districts; it disables those desk accounts, and — if it is an admin — console
  accounts of its own organization whose districts are all within its own; never itself;
- a desk admin issues and disables accounts of its own organization, never itself.
Console accounts themselves are issued only on the server's host (``elevator-ledger staff
add``). Every form posts the session's CSRF token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import is_regulator
from api.node import LedgerNode
from api.web import account_rules, cookies, passwords
from api.web.accounts import Account, AccountError, AccountStore, Locked
from api.web.identity import StaffUser
from api.web.render import page
from api.web.session import (
    ConsoleFormUserDep,
    ConsoleUserDep,
    DeskFormUserDep,
    DeskUserDep,
    account_store,
)
from domain.model.identifiers import InvalidIdentifier, validate_uscc
from projections.read import organization_districts, organization_names

router = APIRouter(include_in_schema=False)
Field = Annotated[str, Form()]


def _node(request: Request) -> LedgerNode:
    node: LedgerNode = request.app.state.node
    return node


def _store(request: Request) -> AccountStore:
    return account_store(request.app, _node(request))


def _row(account: Account, names: dict[str, str], may_disable: bool) -> dict[str, Any]:
    return {
        "account": account,
        "organization_name": names.get(account.organization),
        "may_disable": may_disable,
    }


def _console_page(
    request: Request, user: StaffUser, status: int = 200, **context: Any
) -> HTMLResponse:
    node, store = _node(request), _store(request)
    everyone = store.list()
    usccs = {a.organization for a in everyone}
    districts = organization_districts(node.engine, usccs)
    names = organization_names(node.engine, usccs)
    colleagues = [
        a for a in everyone if a.desk == "console" and a.organization == user.organization
    ]
    enterprises = [
        a
        for a in everyone
        if a.desk == "desk" and account_rules.registered_within(user, districts.get(a.organization))
    ]
    return page(
        request,
        "console/accounts.html",
        user,
        status,
        colleagues=[_row(a, names, account_rules.may_disable(user, a, None)) for a in colleagues],
        enterprises=[
            _row(a, names, account_rules.may_disable(user, a, districts.get(a.organization)))
            for a in enterprises
        ],
        **context,
    )


@router.get("/console/accounts", response_class=HTMLResponse)
def console_accounts(request: Request, user: ConsoleUserDep, done: str = "") -> HTMLResponse:
    return _console_page(request, user, notice=_done(done))


def _done(done: str) -> str | None:
    return {
        "disabled": "账号已停用，其会话已全部结束。",
        "password": "密码已修改；此账号在其他地方的会话已全部结束。",
    }.get(done)


def change_password(
    request: Request, user: StaffUser, current: str, new: str, again: str
) -> Response:
    """The holder's own new password: the current one checked (and throttled like a sign-in),
    every session of the account ended, a new one opened here."""
    node, store = _node(request), _store(request)
    render = _console_page if user.desk == "console" else _desk_page
    if new != again:
        return render(request, user, 422, error="两次输入的新密码不一致。")
    try:
        passwords.check_strength(new)
    except passwords.WeakPassword:
        return render(request, user, 422, error=f"新密码至少 {passwords.MIN_LENGTH} 个字符。")
    now = node.now()
    client = request.client.host if request.client else "unknown"
    checked = store.authenticate(user.login, current, client, now)
    if isinstance(checked, Locked):
        return render(request, user, 429, error="密码错误次数过多，已暂时锁定，请稍后再试。")
    if checked is None or checked.id != user.account_id:
        return render(request, user, 403, error="当前密码不正确，密码未修改。")
    store.set_password(user.account_id, new, now)
    secret, session = store.start_session(checked, now)
    response = RedirectResponse(f"/{user.desk}/accounts?done=password", 303)
    tls = cookies.secure(request, node.settings.secure_cookies)
    cookies.set_session(response, user.desk, secret, session.expires_at, now, tls)
    return response


@router.post("/console/accounts/password")
def console_password(
    request: Request,
    user: ConsoleFormUserDep,
    current: Field = "",
    new: Field = "",
    again: Field = "",
) -> Response:
    return change_password(request, user, current, new, again)


@router.post("/desk/accounts/password")
def desk_password(
    request: Request,
    user: DeskFormUserDep,
    current: Field = "",
    new: Field = "",
    again: Field = "",
) -> Response:
    return change_password(request, user, current, new, again)


@router.post("/console/accounts", response_class=HTMLResponse)
def console_issue(
    request: Request,
    user: ConsoleFormUserDep,
    organization: Field = "",
    name: Field = "",
    login: Field = "",
    admin: Field = "",
) -> HTMLResponse:
    node = _node(request)
    uscc = organization.strip().upper()
    form = {"organization": uscc, "name": name, "login": login}
    problem = _enterprise_problem(node, user, uscc)
    if problem is not None:
        status, message = problem
        return _console_page(request, user, status, error=message, form=form)
    return _issue(request, user, uscc, name, login, bool(admin), form)


def _enterprise_problem(node: LedgerNode, user: StaffUser, uscc: str) -> tuple[int, str] | None:
    """Why a bureau may not issue a desk account for ``uscc`` (status, message), if it may not."""
    try:
        validate_uscc(uscc)
    except InvalidIdentifier as exc:
        return 422, f"统一社会信用代码有误：{exc}"
    district = organization_districts(node.engine, {uscc})
    if uscc not in district:
        return 422, f"账本中没有统一社会信用代码为 {uscc} 的单位（须先办理企业入驻）。"
    if is_regulator(node, uscc):
        return 422, f"{uscc} 是监管部门：监管部门的账号只能由系统运维人员在服务器上签发。"
    if not account_rules.registered_within(user, district[uscc]):
        return 403, (
            f"{uscc} 登记在 {district[uscc] or '未知辖区'}，不在您的辖区"
            f"（{'、'.join(user.districts)}）内。"
        )
    return None


def _issue(
    request: Request,
    user: StaffUser,
    organization: str,
    name: str,
    login: str,
    admin: bool,
    form: dict[str, str],
) -> HTMLResponse:
    password = passwords.new_password()
    try:
        account = _store(request).add(
            organization=organization,
            name=name,
            login=login,
            desk="desk",
            password=password,
            created_by=f"{user.desk}:{user.login}",
            admin=admin,
            now=_node(request).now(),
        )
    except AccountError as exc:
        message = f"未签发：{exc}"
        if user.desk == "console":
            return _console_page(request, user, 422, error=message, form=form)
        return _desk_page(request, user, 422, error=message, form=form)
    names = organization_names(_node(request).engine, {organization})
    return page(
        request,
        f"{user.desk}/account_issued.html",
        user,
        201,
        account=account,
        organization_name=names.get(organization),
        password=password,
    )


@router.post("/console/accounts/{account_id}/disable")
def console_disable(request: Request, user: ConsoleFormUserDep, account_id: str) -> Response:
    store = _store(request)
    target = store.get(account_id)
    district = (
        None
        if target is None
        else organization_districts(_node(request).engine, {target.organization}).get(
            target.organization
        )
    )
    if target is None or not account_rules.may_disable(user, target, district):
        return _console_page(
            request, user, 403, error="无权停用该账号（不存在、不在您的辖区，或是您自己的账号）。"
        )
    store.disable(target.id, _node(request).now())
    return RedirectResponse("/console/accounts?done=disabled", 303)


# --- the desk --------------------------------------------------------------------------------


def _desk_page(
    request: Request, user: StaffUser, status: int = 200, **context: Any
) -> HTMLResponse:
    if not user.admin:  # their own account and its password only
        return page(request, "desk/accounts.html", user, status, accounts=[], **context)
    accounts = _store(request).list(organization=user.organization, desk="desk")
    return page(
        request,
        "desk/accounts.html",
        user,
        status,
        accounts=[
            {"account": a, "may_disable": account_rules.may_disable(user, a, None)}
            for a in accounts
        ],
        **context,
    )


@router.get("/desk/accounts", response_class=HTMLResponse)
def desk_accounts(request: Request, user: DeskUserDep, done: str = "") -> HTMLResponse:
    return _desk_page(request, user, notice=_done(done))


@router.post("/desk/accounts", response_class=HTMLResponse)
def desk_issue(
    request: Request,
    user: DeskFormUserDep,
    name: Field = "",
    login: Field = "",
    admin: Field = "",
) -> HTMLResponse:
    if not user.admin:
        return _desk_page(request, user, 403, error="只有本单位的管理员账号可以签发账号。")
    form = {"name": name, "login": login}
    return _issue(request, user, user.organization, name, login, bool(admin), form)


@router.post("/desk/accounts/{account_id}/disable")
def desk_disable(request: Request, user: DeskFormUserDep, account_id: str) -> Response:
    store = _store(request)
    target = store.get(account_id)
    if target is None or not account_rules.may_disable(user, target, None):
        return _desk_page(
            request, user, 403, error="无权停用该账号（不存在、不属于本单位，或是您自己的账号）。"
        )
    store.disable(target.id, _node(request).now())
    return RedirectResponse("/desk/accounts?done=disabled", 303)
