"""``python -m api.cli``: the ``elevator-ledger`` command line without its installed script."""

from api.cli.main import app

if __name__ == "__main__":
    app()
