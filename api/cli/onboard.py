"""``onboard``: bring an enterprise into the ledger from the shell, as the console's onboarding
page does (``/console/onboarding``).

``onboard prepare`` writes the unsigned statements (organization registered, its roles, its
licences, its first key) as JSON Lines for the authority to sign offline with ``elevator-ledger
sign``; it needs no database and no key, so it runs on the signing machine itself.
``onboard submit`` sends the signed envelopes back (the same as ``submit``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from api.cli import submission
from api.cli.output import fail, say
from api.settings import Settings
from domain.model.onboarding_request import (
    KeyRefused,
    OnboardingFields,
    OnboardingInvalid,
    PrivateKeyGiven,
    check_request,
    missing_licences,
    parse_licence_spec,
    parse_public_key,
    prepare,
    to_json_lines,
)

onboard_app = typer.Typer(
    help="Onboard an enterprise: statements for offline signing, then the signed envelopes.",
    no_args_is_help=True,
)


@onboard_app.command("prepare")
def prepare_command(
    name: Annotated[str, typer.Option(help="the organization's registered name")],
    uscc: Annotated[str, typer.Option(help="its unified social credit code (GB 32100)")],
    district: Annotated[str, typer.Option(help="GB/T 2260 code of its district")],
    address: Annotated[str, typer.Option(help="registered address")],
    legal_representative: Annotated[str, typer.Option(help="legal representative (personal)")],
    role: Annotated[list[str], typer.Option(help="a role to grant; repeat for several")],
    public_key: Annotated[
        Path, typer.Option(help="the enterprise's public key: PEM, or keygen's output")
    ],
    out: Annotated[Path, typer.Option(help="where to write the statements (JSON Lines)")],
    licence: Annotated[
        list[str] | None,
        typer.Option(help="KIND:NUMBER:SCOPE:FROM:TO (scope codes comma separated); repeat"),
    ] = None,
    issuer: Annotated[
        str | None, typer.Option(help="who signs: default the root authority (LEDGER_*)")
    ] = None,
    valid_from: Annotated[
        str | None, typer.Option(help="roles held from (YYYY-MM-DD); default today")
    ] = None,
) -> None:
    """Write the unsigned onboarding statements for ``elevator-ledger sign``."""
    if out.exists():
        fail(f"{out} exists; refusing to overwrite it")
    now = datetime.now(UTC).replace(microsecond=0)
    settings = Settings()
    try:
        fields = OnboardingFields(
            issuer=issuer or settings.authority_uscc,
            uscc=uscc,
            name=name,
            district=district,
            address=address,
            legal_representative=legal_representative,
            roles=role,
            licences=[parse_licence_spec(spec) for spec in licence or []],
            public_key=_read_public_key(public_key),
            valid_from=valid_from or now.astimezone(settings.zone).date().isoformat(),
        )
        request = check_request(fields)
        statements = prepare(request, now.astimezone(settings.zone))
    except OnboardingInvalid as exc:
        fail(f"invalid onboarding: {exc}")
    for held, kind in missing_licences(request):
        say(f"note: {held} holds no {kind} licence: it signs none of that work until licensed")
    out.write_bytes(to_json_lines(statements))
    say(
        f"{len(statements)} statements for {request.uscc} written to {out}; sign them offline:"
        f" elevator-ledger sign {out} -k AUTHORITY.pem -o signed.jsonl"
    )


def _read_public_key(path: Path) -> str:
    """The key file's text, refused here already if it is a private key (never echoed)."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    try:
        parse_public_key(text)
    except PrivateKeyGiven:
        fail(
            f"{path} is a private key: give the enterprise's public key (keygen prints it);"
            " a private key never leaves the enterprise"
        )
    except KeyRefused as exc:
        fail(f"{path}: {exc}")
    return text


@onboard_app.command("submit")
def submit_command(
    path: Annotated[Path, typer.Argument(help="the signed envelopes (JSON Lines); - for stdin")],
    url: Annotated[
        str | None, typer.Option(help="server URL; default: this ledger directly")
    ] = None,
    receipts: Annotated[Path | None, typer.Option(help="write receipts as JSON Lines here")] = None,
) -> None:
    """Submit the signed onboarding envelopes (as ``submit`` does). Exits 1 if any was
    rejected."""
    submission.submit(path, url, receipts)
