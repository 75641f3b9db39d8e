"""Read-side commands: rebuild read models, run the projection worker, print QR codes, a
maintainer's scoring indicator (参考)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import segno
import typer

from api.cli.nodes import initialised_node
from api.cli.output import fail, print_json, say

projections_app = typer.Typer(help="Read models that follow the log.", no_args_is_help=True)


@projections_app.command("rebuild")
def rebuild(
    name: Annotated[str | None, typer.Argument(help="one read model; default: all")] = None,
) -> None:
    """Empty a read model (or all) and replay it from the start of the log."""
    with initialised_node() as node:
        try:
            applied = node.projections.rebuild(name)
        except KeyError as exc:
            fail(str(exc.args[0]))
    say(", ".join(f"{n}: {count} entries" for n, count in applied.items()))


@projections_app.command("status")
def status() -> None:
    """How far each read model has followed the log."""
    with initialised_node() as node:
        size = node.log.latest_checkpoint().size
        for name, position in node.projections.positions().items():
            say(f"{name}: {position}/{size}")


def project(
    interval: Annotated[float, typer.Option(min=0.1, help="seconds between polls")] = 1.0,
    once: Annotated[bool, typer.Option(help="catch up once and exit")] = False,
) -> None:
    """Run the projection worker (production: a process of its own beside the server)."""
    with initialised_node() as node:
        try:
            while True:
                applied = node.projections.catch_up()
                if any(applied.values()):
                    say(", ".join(f"{n} +{c}" for n, c in applied.items()))
                if once:
                    return
                time.sleep(interval)
        except KeyboardInterrupt:
            return


def qr(
    identifier: Annotated[str, typer.Argument(help="any identifier of the elevator")],
    out: Annotated[Path, typer.Option("--out", "-o", help=".png, .svg or .pdf")] = Path("qr.svg"),
    base_url: Annotated[str, typer.Option(help="public address of this ledger")] = (
        "http://127.0.0.1:8000"
    ),
) -> None:
    """Write the printable QR code for the car: it opens the elevator's public page."""
    from projections import read

    with initialised_node() as node:
        node.projections.catch_up()
        code = read.resolve(node.engine, identifier)
    if code is None:
        fail(f"no elevator is known by {identifier!r}")
    if out.suffix.lower() not in (".png", ".svg", ".pdf"):
        fail(f"{out}: the QR code is written as .png, .svg or .pdf")
    url = f"{base_url.rstrip('/')}/e/{code}"
    try:
        segno.make(url, error="q").save(str(out), scale=8, border=2)
    except OSError as exc:
        fail(f"{out}: cannot write the QR code: {exc.strerror or exc}")
    say(f"{out}: {url}")


def scorecard(
    uscc: Annotated[str, typer.Argument(help="the maintenance unit's USCC")],
    year: Annotated[int | None, typer.Option(help="calendar year; default: this year")] = None,
    scheme: Annotated[str | None, typer.Option(help="scoring scheme id; default: adopted")] = None,
) -> None:
    """Print a maintainer's penalty points as JSON: a computed indicator (参考) under a
    scoring scheme, each point with its log indexes and whether the scheme was in force
    there and then — not a credit grade."""
    from domain.model.scoring import SCHEMES, adopted_scheme
    from projections import read
    from projections.scorecard import scorecard as card_of

    if scheme is not None and scheme not in SCHEMES:
        fail(f"no scoring scheme {scheme!r}; known: {', '.join(SCHEMES)}")
    with initialised_node() as node:
        node.projections.catch_up()
        found = read.organization(node.engine, uscc)
        if found is None:
            fail(f"no organization {uscc}")
        today = node.today()
        if year is not None and year > today.year:
            fail(f"year {year} has not begun")
        chosen = SCHEMES[scheme] if scheme else adopted_scheme(found.get("district"), today)
        chosen = chosen or next(iter(SCHEMES.values()))
        zone, now = node.settings.zone, node.now()
        year = year or today.year
        card = card_of(node.engine, uscc, year, chosen, zone=zone, now=now, reference=True)
    print_json(card.to_json(), indent=True)
