"""``demo``: seed a synthetic city once (the seeding itself is :mod:`api.demo`'s)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.nodes import initialised_node
from api.cli.output import progress, say
from api.node import LedgerNode
from api.settings import Settings


def demo(
    elevators: Annotated[int, typer.Option(min=1, max=100_000, help="elevators in the city")] = 20,
    years: Annotated[int, typer.Option(min=1, max=15, help="years of history each")] = 5,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
) -> None:
    """Seed a synthetic city through the signed write path (once; later runs reuse it)."""
    from api.demo import seed_city

    settings = Settings()
    with initialised_node() as node:
        if settings.demo_marker_path.exists():
            say(f"demo city already seeded ({settings.demo_marker_path}); reusing it")
            _print_accounts(node, settings)
            return
        counts = seed_city(
            node, settings, elevators=elevators, years=years, seed=seed, bar=progress()
        )
        say(
            f"demo city: {counts['accepted']} statements accepted, {counts['rejected']} rejected; "
            f"organization keys in {settings.demo_keys_dir}"
        )
        node.projections.catch_up()  # the read models are ready when the server starts
        _print_accounts(node, settings)


def _print_accounts(node: LedgerNode, settings: Settings) -> None:
    """Make the demo's staff accounts once; print them (and where they are kept) every time."""
    from api.demo_accounts import accounts_path, ensure_demo_accounts

    lines = ensure_demo_accounts(node, settings)
    say(f"demo staff accounts (kept in {accounts_path(settings)}, mode 0600):")
    for line in lines:
        say("  " + line.replace("\t", "  "))
