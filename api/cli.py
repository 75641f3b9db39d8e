"""The ``elevator-ledger`` command line: set up, serve, sign, submit, audit."""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from api.node import SetupError, initialise
from api.settings import Settings

app = typer.Typer(
    name="elevator-ledger",
    help="A publicly verifiable ledger of the whole life of every elevator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr and a non-zero exit: the CLI's error contract."""
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command()
def init() -> None:
    """Create the database and the log signing key (idempotent); print the verifier key."""
    settings = Settings()
    try:
        node, created = initialise(settings)
    except SetupError as exc:
        fail(str(exc))
    try:
        console.print("initialised" if created else "already initialised", style="green")
        console.print(f"database: {settings.resolved_database_url}")
        console.print(f"log key:  {settings.log_key_path}")
        sys.stdout.write(node.log.signer.verifier.text() + "\n")
    finally:
        node.close()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port")] = None,
) -> None:
    """Serve the HTTP API (one worker)."""
    import uvicorn

    from api.app import create_app

    settings = Settings()
    try:
        node, _ = initialise(settings)
    except SetupError as exc:
        fail(str(exc))
    uvicorn.run(
        create_app(node=node),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


if __name__ == "__main__":
    app()
