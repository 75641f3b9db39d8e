"""Setting a ledger up (``init``) and serving it over HTTP (``serve``)."""

from __future__ import annotations

import signal
from typing import Annotated

import typer

from api.cli.nodes import initialised_node
from api.cli.output import print_line, say
from api.settings import Settings


def init() -> None:
    """Create the database, the log key and the root authority key (idempotent); print the
    log's verifier key."""
    settings = Settings()
    with initialised_node() as node:
        say(f"database:      {settings.resolved_database_url}")
        say(f"log key:       {settings.log_key_path}")
        say(f"authority key: {settings.authority_key_path} ({node.anchor.uscc})")
        say(f"trust file:    {settings.trust_path}")
        print_line(node.log.signer.verifier.text())


def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port")] = None,
    access_log: Annotated[bool, typer.Option(help="log every request")] = True,
) -> None:
    """Serve the HTTP API (one worker)."""
    import uvicorn

    from api.app import create_app

    settings = Settings()
    # the node is closed whatever happens: it stops the pools' worker processes and the
    # projections'
    with initialised_node() as node:
        node.start_projection_process()  # the read models follow the log in a child process
        node.warm_up()  # worker processes up before the first request, not during it
        # uvicorn shuts down gracefully on SIGINT or SIGTERM, then raises the signal again
        # under the handler it found: SIGINT's raises KeyboardInterrupt, which uvicorn.run
        # swallows, so it returns; SIGTERM's default would kill this process before
        # node.close(). So SIGTERM is taken as SIGINT.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        uvicorn.run(
            create_app(node=node),
            host=host or settings.host,
            port=port or settings.port,
            log_level="info",
            access_log=access_log,
        )
