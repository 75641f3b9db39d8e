"""The ``elevator-ledger`` command line: set up, serve, make keys, sign, submit, seed a demo city,
export and verify, check, replay, follow the log with the read models, print a maintainer's
scoring indicator (参考), administer tokens, onboard an enterprise.

Every failure is one line on stderr and a non-zero exit code (:mod:`api.cli.output`).
"""

from __future__ import annotations

import typer
from pydantic import ValidationError

from api.cli import (
    audit,
    check,
    demo,
    onboard,
    read_side,
    replay,
    server,
    signing,
    staff,
    submission,
    tokens,
)
from api.cli.bundle import bundle as bundle_command
from api.cli.output import fail
from api.settings import Settings

app = typer.Typer(
    name="elevator-ledger",
    help="A publicly verifiable ledger of the whole life of every elevator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def settings_first() -> None:
    """Read the ``LEDGER_*`` settings before any command: a bad one (an unknown
    ``LEDGER_TIME_ZONE``…) is one line and exit 2, not a traceback half-way through."""
    try:
        Settings()
    except ValidationError as exc:
        fail(
            "; ".join(
                f"LEDGER_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
                for e in exc.errors()
            ),
            2,
        )


# In the order ``--help`` lists them.
app.command()(server.init)
app.command()(server.serve)
app.command()(signing.keygen)
app.command()(signing.sign)
app.command()(submission.submit)
app.command()(demo.demo)
app.command()(audit.export)
app.command()(audit.verify)
app.command(name="bundle")(bundle_command)
app.command()(check.check)
app.command()(replay.replay)
app.add_typer(read_side.projections_app, name="projections")
app.command()(read_side.project)
app.command()(read_side.qr)
app.command()(read_side.scorecard)
app.add_typer(tokens.token_app, name="token")
app.add_typer(onboard.onboard_app, name="onboard")
app.add_typer(staff.staff_app, name="staff")
