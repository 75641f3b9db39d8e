"""The cost of a back-dated statement next to an in-order one, on chains of the same length.

    python -m bench.backdated [--lengths 50,300] [--rounds 20]

A statement dated after everything in its chain is judged against the chain's state as it is
(the write path's fast path); one dated earlier is judged on the occurred axis
(domain.model.timeline): the chain's statements are read from the event store, folded in the
order they occurred up to its date, and every later-occurring one is checked again with and
without it. Both are single submissions (``LedgerService.submit``: judged, saved, logged, a
receipt), taken in turn on the same chain so its length and the machine's load are the same for
both; the in-order figure is the baseline. A back-dated statement reads only the entries stored
since the last one on its chain (the judge keeps a few chains' parsed statements); the third
figure is the first on a chain, which reads it all from the event store. SQLite.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from api.bootstrap import initialise
from bench.common import report, summarize_ms
from bench.ingest import Seeded, _code
from domain.model.signing import sign_statement


def sold(seeded: Seeded, code: str, at: datetime, n: int) -> dict[str, Any]:
    """An ``elevator.sold`` by the manufacturer at ``at``: a statement with no rule of its own,
    so each is accepted wherever it is dated, and the figures are the axis's cost alone."""
    statement = {
        "type": "elevator.sold",
        "elevator": code,
        "issuer": seeded.maker_id,
        "occurred_at": at.isoformat(),
        "data": {
            "buyer": seeded.maintainer_id,
            "buyer_name": "基准买方",
            "contract_number": f"XS-{n}",
        },
    }
    return sign_statement(statement, [seeded.maker]).to_json()


def measure(seeded: Seeded, code: str, length: int, rounds: int) -> dict[str, Any]:
    """Grow ``code``'s chain to ``length`` entries (one a minute), then time ``rounds`` in-order
    and back-dated (to the chain's middle) submissions, alternately."""
    node, _ = initialise(seeded.settings)
    try:
        start = datetime.fromisoformat("2020-01-01T08:00:00+08:00")
        minute = timedelta(minutes=1)
        grow = [sold(seeded, code, start + k * minute, k) for k in range(length - 1)]
        for i in range(0, len(grow), 500):
            results = node.service.submit_batch(grow[i : i + 500])
            assert all(not isinstance(r, Exception) for r in results), results[:1]
        latest = start + length * minute
        middle = start + (length // 2) * minute + timedelta(seconds=30)
        in_order: list[float] = []
        backdated: list[float] = []
        cold: list[float] = []
        second = timedelta(seconds=1)
        for r in range(rounds):
            later = sold(seeded, code, latest + r * minute, 10_000 + r)
            earlier = sold(seeded, code, middle + r * second, 20_000 + r)
            first = sold(seeded, code, middle - (r + 1) * second, 30_000 + r)
            t = time.perf_counter()
            node.service.submit(later)
            in_order.append(time.perf_counter() - t)
            t = time.perf_counter()
            receipt = node.service.submit(earlier)
            backdated.append(time.perf_counter() - t)
            assert receipt.late
            node.app.judge.forget_histories()  # as for the first back-dated one on a chain
            t = time.perf_counter()
            node.service.submit(first)
            cold.append(time.perf_counter() - t)
        return {"in_order": in_order, "backdated": backdated, "cold": cold}
    finally:
        node.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lengths", default="50,300")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    data: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        seeded = Seeded(Path(tmp), f"sqlite:///{tmp}/ledger.db")
        for n, length in enumerate(int(x) for x in args.lengths.split(",")):
            figures = measure(seeded, _code(n), length, args.rounds)
            fast, slow = summarize_ms(figures["in_order"]), summarize_ms(figures["backdated"])
            cold = summarize_ms(figures["cold"])
            rows += [
                (
                    f"chain of {length}: in-order statement",
                    f"p50 {fast['p50_ms']:.2f} ms / mean {fast['mean_ms']:.2f} ms",
                    "baseline",
                ),
                (
                    f"chain of {length}: back-dated statement",
                    f"p50 {slow['p50_ms']:.2f} ms / mean {slow['mean_ms']:.2f} ms",
                    f"{slow['p50_ms'] / fast['p50_ms']:.1f}× the in-order p50",
                ),
                (
                    f"chain of {length}: back-dated, chain read from the store",
                    f"p50 {cold['p50_ms']:.2f} ms / mean {cold['mean_ms']:.2f} ms",
                    f"{cold['p50_ms'] / fast['p50_ms']:.1f}× the in-order p50",
                ),
            ]
            data[str(length)] = {
                "in_order": fast,
                "backdated": slow,
                "backdated_cold": cold,
                "rounds": args.rounds,
            }
    report("backdated", rows, data)


if __name__ == "__main__":
    main()
