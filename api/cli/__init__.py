"""The ``elevator-ledger`` command line, a module per group of commands, assembled into one
Typer app by :mod:`api.cli.main`; everything the commands print goes through
:mod:`api.cli.output`."""

from api.cli.main import app

__all__ = ["app"]
