"""Operator commands: staff accounts of the console and the desk (``elevator-ledger staff
add|list|disable|reset-password``).

Run on the server's host with its ``LEDGER_`` settings: they act on the database directly. A
password made here is printed once, on stdout; everything else goes to stderr. An account of a
regulator is a console account, scoped to districts within its organization's own district
(default: that district); any other organization's is a desk account.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from api.auth import is_regulator
from api.cli.nodes import opened_node
from api.cli.output import fail, print_json_lines, print_line, print_rich, say
from api.node import LedgerNode
from api.web import passwords
from api.web.accounts import Account, AccountError, AccountStore
from domain.model.identifiers import InvalidIdentifier, validate_uscc
from domain.model.jurisdiction import covers

staff_app = typer.Typer(
    help="Staff accounts of the regulator's console and the enterprise desk.",
    no_args_is_help=True,
)
DISTRICT_CODE = r"^\d{6}$"


@contextmanager
def _store() -> Iterator[tuple[LedgerNode, AccountStore]]:
    with opened_node() as node:
        yield node, AccountStore.open(node.engine)


def registered_district(node: LedgerNode, uscc: str) -> str | None:
    """The district ``uscc`` is registered in, as the ledger's Organization aggregate holds it
    (None: not registered)."""
    if uscc == node.anchor.uscc:
        return node.settings.authority_district
    org = node.app.organization(uscc)
    if org is None or not org.state.registered:
        return None
    return org.state.district or None


def console_districts(own: str, asked: list[str]) -> tuple[str, ...]:
    """The districts of a console account of an organization registered in ``own``: ``asked``,
    each within ``own`` (ValueError otherwise), or ``own`` itself."""
    import re

    for code in asked:
        if not re.match(DISTRICT_CODE, code):
            raise ValueError(f"--district {code!r}: a 6-digit GB/T 2260 code such as 430903")
        if not covers(own, code):
            raise ValueError(f"--district {code} is outside the organization's district {own}")
    return tuple(dict.fromkeys(asked)) or (own,)


def read_password(file: Path | None) -> tuple[str, bool]:
    """(the password, whether it was made here): the first line of ``file``, or a random one."""
    if file is None:
        return passwords.new_password(), True
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"--password-file: {exc}") from None
    password = lines[0] if lines else ""
    try:
        passwords.check_strength(password)
    except passwords.WeakPassword as exc:
        raise ValueError(f"--password-file: {exc}") from None
    return password, False


@staff_app.command("add")
def add(
    organization: Annotated[str, typer.Option(help="USCC of the holder's organization")],
    name: Annotated[str, typer.Option(help="the holder's name, e.g. 李明")],
    login: Annotated[str, typer.Option(help="what they sign in with (a-z 0-9 . _ -)")],
    district: Annotated[
        list[str] | None,
        typer.Option(help="console only, repeatable: a district within the organization's own"),
    ] = None,
    admin: Annotated[bool, typer.Option(help="may issue accounts for its organization")] = False,
    password_file: Annotated[
        Path | None, typer.Option(help="the password, on its first line (default: a random one)")
    ] = None,
) -> None:
    """Add a staff account; a random password is printed once (only its hash is kept)."""
    try:
        validate_uscc(organization)
        password, made = read_password(password_file)
    except (InvalidIdentifier, ValueError) as exc:
        fail(f"--organization: {exc}" if isinstance(exc, InvalidIdentifier) else str(exc))
    with _store() as (node, store):
        own = registered_district(node, organization)
        if own is None:
            fail(f"{organization} is not an organization registered in this ledger")
        regulator = is_regulator(node, organization)
        if not regulator and district:
            fail(f"--district: {organization} is not a regulator; a desk account has no districts")
        try:
            districts = console_districts(own, district or []) if regulator else ()
            account = store.add(
                organization=organization,
                name=name,
                login=login,
                desk="console" if regulator else "desk",
                password=password,
                created_by="cli",
                districts=districts,
                admin=admin,
            )
        except (AccountError, ValueError) as exc:
            fail(str(exc))
    if made:
        print_line(password)
    say(
        f"{_describe(account)}; sign in at /{account.desk}/sign-in"
        + ("; the password is shown once: only its hash is kept" if made else "")
    )


def _describe(account: Account) -> str:
    where = f", districts {'、'.join(account.districts)}" if account.districts else ""
    role = " (admin)" if account.admin else ""
    holder = f"{account.name} of {account.organization}"
    return f"{account.desk} account {account.login}{role} for {holder}{where}"


@staff_app.command("list")
def list_accounts(
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of a table")] = False,
) -> None:
    """Every staff account: login, name, organization, desk, districts, admin, status."""
    from rich.table import Table
    from rich.text import Text

    with _store() as (_, store):
        accounts = store.list()
    if as_json:
        print_json_lines(a.to_json() for a in accounts)
        return
    table = Table()
    for column in (
        "login",
        "name",
        "organization",
        "desk",
        "districts",
        "admin",
        "created",
        "status",
    ):
        table.add_column(column)
    for a in accounts:
        status = (
            "active"
            if a.disabled_at is None
            else f"disabled {a.disabled_at.isoformat(timespec='seconds')}"
        )
        cells = (
            a.login,
            a.name,
            a.organization,
            a.desk,
            " ".join(a.districts),
            "yes" if a.admin else "",
            f"{a.created_at.isoformat(timespec='seconds')} by {a.created_by}",
            status,
        )
        table.add_row(*(Text(c) for c in cells))
    print_rich(table)


@staff_app.command("disable")
def disable(login: Annotated[str, typer.Argument(metavar="LOGIN")]) -> None:
    """Disable an account: its sessions end at once, it can no longer sign in."""
    with _store() as (_, store):
        account = store.by_login(login)
        if account is None:
            fail(f"no staff account {login!r}")
        record, now_disabled = store.disable(account.id)
    assert record.disabled_at is not None
    when = record.disabled_at.isoformat(timespec="seconds")
    if now_disabled:
        say(f"disabled {_describe(record)} at {when}; its sessions ended")
    else:
        say(f"{record.login} was already disabled at {when}")


@staff_app.command("reset-password")
def reset_password(
    login: Annotated[str, typer.Argument(metavar="LOGIN")],
    password_file: Annotated[
        Path | None, typer.Option(help="the password, on its first line (default: a random one)")
    ] = None,
) -> None:
    """Give an account a new password (printed once if made here); its sessions end."""
    try:
        password, made = read_password(password_file)
    except ValueError as exc:
        fail(str(exc))
    with _store() as (_, store):
        account = store.by_login(login)
        if account is None:
            fail(f"no staff account {login!r}")
        store.set_password(account.id, password)
    if made:
        print_line(password)
    say(f"new password for {account.login}; its sessions ended")
