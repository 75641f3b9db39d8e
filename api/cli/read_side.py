"""Read-side commands: rebuild read models, run the projection worker, print QR codes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import segno
import typer

from api.cli.nodes import initialised_node
from api.cli.output import fail, say

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
