"""``check``: the event store compared with the log, entry by entry, on the server's host."""

from __future__ import annotations

from api.cli.nodes import opened_node
from api.cli.output import fail, print_line
from domain.application.store_check import compare


def check() -> None:
    """Compare this ledger's event store with its log, entry by entry (on the server's host):
    the read side shows only the log, but the write path judges against the event store, so
    any difference is a fault. Exits 1 naming the first disagreeing entry (subject, version,
    log index)."""
    with opened_node(check=False) as node:
        size = node.log.size()
        found = compare(node.app, node.engine)
    if found is not None:
        fail(f"the event store disagrees with the log: {found}")
    print_line(f"the event store agrees with the log: {size} entries compared")
