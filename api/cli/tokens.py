"""Operator commands: regulator access tokens (``elevator-ledger token issue|list|revoke``) and
the record of reads of personal data made with them (``elevator-ledger token reads``).

Run on the server's host with its ``LEDGER_`` settings: they act on the database directly, never
over HTTP. The token is printed once, on stdout; everything else goes to stderr.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from api.auth import MAX_LIFETIME, TokenStore, is_regulator
from api.cli.nodes import opened_node
from api.cli.output import fail, print_json_lines, print_line, print_rich, say
from api.node import LedgerNode
from api.personal_reads import PersonalReads
from domain.model.identifiers import InvalidIdentifier, validate_uscc

token_app = typer.Typer(
    help="Regulators' access tokens for the regulator endpoints (work lists, replay).",
    no_args_is_help=True,
)
LIFETIME = re.compile(r"^(?P<n>[1-9][0-9]{0,4})(?P<unit>[hdw])$")
UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_lifetime(text: str) -> timedelta:
    """``12h``, ``90d``, ``4w``: at most :data:`api.auth.MAX_LIFETIME`."""
    match = LIFETIME.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a lifetime like 12h, 90d or 4w")
    lifetime = int(match["n"]) * UNITS[match["unit"]]
    if lifetime > MAX_LIFETIME:
        raise ValueError(f"{text!r} is longer than the {MAX_LIFETIME.days} days a token may live")
    return lifetime


@contextmanager
def _store() -> Iterator[tuple[LedgerNode, TokenStore]]:
    with opened_node() as node:
        yield node, TokenStore.open(node.engine)


@token_app.command("issue")
def issue(
    organization: Annotated[
        str, typer.Option(help="USCC of the regulator the holder works for", show_default=False)
    ],
    name: Annotated[str, typer.Option(help="who holds the token, e.g. alice", show_default=False)],
    expires: Annotated[str, typer.Option(help="lifetime: 12h, 90d, 4w (at most 366d)")] = "90d",
    district: Annotated[
        list[str] | None,
        typer.Option(
            help="repeatable: the districts it sees, each within the organization's own"
            " (default: the organization's registered district)"
        ),
    ] = None,
) -> None:
    """Issue a token to a person of a regulator; print it once (only its hash is kept)."""
    from api.cli.staff import console_districts, registered_district

    try:
        validate_uscc(organization)
    except InvalidIdentifier as exc:
        fail(f"--organization: {exc}")
    holder = name.strip()
    if not holder or len(holder) > 200 or any(ord(c) < 32 for c in holder):
        fail("--name: 1 to 200 characters on one line")
    try:
        lifetime = parse_lifetime(expires)
    except ValueError as exc:
        fail(f"--expires: {exc}")
    with _store() as (node, store):
        if not is_regulator(node, organization):
            fail(f"{organization} does not hold the regulator role in this ledger")
        districts: tuple[str, ...] | None = None
        if district:
            own = registered_district(node, organization)
            try:
                districts = console_districts(own or "", district)
            except ValueError as exc:
                fail(str(exc))
        token, record = store.issue(organization, holder, lifetime, districts=districts)
    print_line(token)
    scope = "、".join(record.districts) if record.districts else "its organization's district"
    say(
        f"token {record.id} for {record.name} of {record.organization}, expires "
        f"{record.expires_at.isoformat()}, sees {scope}; shown once: only its hash is kept"
    )


@token_app.command("list")
def list_tokens(
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of a table")] = False,
) -> None:
    """Every token issued: id, organization, holder, created, expires, status (never secrets)."""
    from rich.table import Table
    from rich.text import Text

    with _store() as (_, store):
        records = store.list()
    now = datetime.now(UTC)
    if as_json:
        print_json_lines(record.to_json(now) for record in records)
        return
    table = Table()
    for column in ("id", "organization", "name", "created", "expires", "status"):
        table.add_column(column)
    for record in records:
        status = record.status(now)
        if record.revoked_at is not None:
            status += f" {record.revoked_at.isoformat(timespec='seconds')}"
        table.add_row(
            *(
                Text(cell)
                for cell in (
                    record.id,
                    record.organization,
                    record.name,
                    record.created_at.isoformat(timespec="seconds"),
                    record.expires_at.isoformat(timespec="seconds"),
                    status,
                )
            )
        )
    print_rich(table)


@token_app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(metavar="ID", help="as `token list` shows")],
) -> None:
    """Revoke a token: the next request carrying it gets 401."""
    with _store() as (_, store):
        try:
            record, now_revoked = store.revoke(token_id)
        except KeyError:
            fail(f"no token {token_id}")
    assert record.revoked_at is not None
    when = record.revoked_at.isoformat()
    if now_revoked:
        say(f"revoked token {record.id} ({record.name} of {record.organization}) at {when}")
    else:
        say(f"token {record.id} was already revoked at {when}")


@token_app.command("reads")
def reads(
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of a table")] = False,
    token_id: Annotated[
        str | None, typer.Option("--token", help="only the reads made with this token id")
    ] = None,
    entry: Annotated[
        int | None, typer.Option("--entry", min=0, help="only the reads of this log index")
    ] = None,
) -> None:
    """Every recorded read of personal data: when, by which token or console staff account
    (name, organization), which log entry and, for a console reveal, the reason given —
    oldest first (written before the values were served)."""
    from rich.table import Table
    from rich.text import Text

    with _store() as (_, store):
        records = PersonalReads(store.engine).list(token_id=token_id, log_index=entry)
    if as_json:
        print_json_lines(record.to_json() for record in records)
        return
    table = Table()
    for column in ("read at", "kind", "token / login", "name", "organization", "log index"):
        table.add_column(column)
    table.add_column("reason")
    for r in records:
        cells = (
            r.read_at.isoformat(timespec="seconds"),
            r.kind,
            r.reader,
            r.name,
            r.organization,
            str(r.log_index),
            r.reason or "",
        )
        table.add_row(*(Text(cell) for cell in cells))
    print_rich(table)
