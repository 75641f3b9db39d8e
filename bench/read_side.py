"""Read side on a demo city: status latency, replay, and full verification, each next to an
in-run baseline.

    python -m bench.read_side [--elevators 200] [--years 5] [--queries 4000]

- public status query (GET /v1/elevators/{code}, one uvicorn worker): p50/p99 latency of one
  client (aim: p99 < 20 ms), and throughput with 32 clients;
- replay of an elevator with 1,000 entries, re-verifying its chain and signatures, next to a plain
  eventsourcing repository read of the same aggregate (fresh application, no cache; aim ≤ 2×);
- full `verify` of the city's log (structure, Merkle root, every signature and rule by replay)
  in entries/s next to the raw Ed25519 verify rate (aim ≥ 70 % per core).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api.demo import SignedCity
from api.demo_city import plan_city
from api.node import eventsourcing_env, initialise
from api.settings import Settings
from bench.common import percentile, report, served
from bench.ingest import raw_verify_rate
from bench.load import get_all
from domain.aggregates import Elevator
from domain.application import ElevatorLedger
from domain.audit import verify_log
from domain.replay import Axis, replay
from domain.signing import sign_statement
from ledger.keys import load_signing_key
from ledger.note import open_checkpoint


def seed(settings: Settings, elevators: int, years: int) -> tuple[float, list[str]]:
    node, _ = initialise(settings)
    now = datetime.now(UTC).replace(microsecond=0)
    plan = plan_city(elevators, years=years, seed=1, now=now)
    city = SignedCity(plan, load_signing_key(settings.authority_key_path), node.anchor.uscc)
    for envelope, at in city.onboarding():
        node.service.submit_batch([envelope], [at])
    start, batch = time.perf_counter(), []
    count = 0
    for planned, envelope in city.history():
        batch.append((planned, envelope))
        if len(batch) == 500:
            node.service.submit_batch([e for _, e in batch], [p.recorded_at for p, _ in batch])
            count += len(batch)
            batch.clear()
    if batch:
        node.service.submit_batch([e for _, e in batch], [p.recorded_at for p, _ in batch])
        count += len(batch)
    rate = count / (time.perf_counter() - start)
    _long_chain(node, city, plan.elevators[0], 1000)
    node.projections.catch_up()
    node.close()
    return rate, list(plan.elevators)


def _long_chain(node: Any, city: SignedCity, code: str, length: int) -> None:
    """Top one elevator up to ``length`` entries with fault reports and clearances."""
    chain = node.app.elevator(code)
    maintainer = chain.state.registration and _maintainer(city, chain)
    key = city.keys[maintainer]
    t = datetime.now(UTC) - timedelta(hours=length)
    envelopes = []
    for i in range((length - chain.version) // 2):
        at = t + timedelta(minutes=30 * i)
        base = {"elevator": code, "issuer": maintainer, "occurred_at": at.isoformat()}
        envelopes.append(
            sign_statement(
                {
                    **base,
                    "type": "fault.reported",
                    "data": {
                        "fault_id": f"B-{i}",
                        "code": "02",
                        "service_mode": 1,
                        "detected_at": at.isoformat(),
                    },
                },
                [key],
            ).to_json()
        )
        envelopes.append(
            sign_statement(
                {
                    **base,
                    "type": "fault.cleared",
                    "data": {"fault_id": f"B-{i}", "cause": "门机", "action": "调整"},
                },
                [key],
            ).to_json()
        )
    for i in range(0, len(envelopes), 500):
        node.service.submit_batch(envelopes[i : i + 500])


def _maintainer(city: SignedCity, chain: Any) -> str:
    contracts = sorted(chain.state.contracts.values(), key=lambda c: c.valid_from)
    return str(contracts[-1].maintenance_unit)


def status_latency(settings: Settings, codes: list[str], queries: int) -> dict[str, float]:
    with served(settings) as port:
        rng = random.Random(3)
        paths = [f"/v1/elevators/{rng.choice(codes)}" for _ in range(queries)]
        get_all("127.0.0.1", port, paths[:200])  # warm up
        alone = get_all("127.0.0.1", port, paths[: queries // 4], clients=1)
        loaded = get_all("127.0.0.1", port, paths)
    assert set(alone.statuses) == set(loaded.statuses) == {200}, loaded.statuses
    ms = [x * 1000 for x in alone.latencies]
    busy = [x * 1000 for x in loaded.latencies]
    return {
        "p50_ms": percentile(ms, 0.5),
        "p99_ms": percentile(ms, 0.99),
        "loaded_p50_ms": percentile(busy, 0.5),
        "loaded_p99_ms": percentile(busy, 0.99),
        "per_s": loaded.rate,
    }


def replay_vs_read(settings: Settings, code: str) -> dict[str, float]:
    node, _ = initialise(settings)
    try:
        entries = [e.entry for e in node.app.events.get(Elevator.create_id(code))]  # type: ignore[attr-defined]
        started = time.perf_counter()
        result = replay(
            entries, datetime.now(UTC) + timedelta(days=1), Axis.RECORDED, node.app.key_info
        )
        replay_s = time.perf_counter() - started
        assert result.verified, result.problem
        fresh = ElevatorLedger(
            node.anchor,
            env={
                **eventsourcing_env(settings.resolved_database_url),
                "AGGREGATE_CACHE_MAXSIZE": "",
            },
        )
        started = time.perf_counter()
        fresh.repository.get(Elevator.create_id(code))
        read_s = time.perf_counter() - started
        fresh.close()
        return {"entries": len(entries), "replay_ms": replay_s * 1000, "read_ms": read_s * 1000}
    finally:
        node.close()


def full_verify(settings: Settings) -> dict[str, float]:
    node, _ = initialise(settings)
    try:
        cp = node.log.latest_checkpoint()
        checkpoint = open_checkpoint(cp.note, node.log.signer.verifier)

        def entries() -> Any:
            for start in range(0, cp.size, 5000):
                for i, data in enumerate(node.log.entries(start, min(cp.size, start + 5000))):
                    yield start + i, data

        started = time.perf_counter()
        result = verify_log(entries(), checkpoint, node.anchor)
        seconds = time.perf_counter() - started
        assert result.ok, result.problem
        return {"entries": cp.size, "per_s": cp.size / seconds}
    finally:
        node.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--elevators", type=int, default=200)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--queries", type=int, default=4000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp))
        seed_rate, codes = seed(settings, args.elevators, args.years)
        status = status_latency(settings, codes, args.queries)
        rep = replay_vs_read(settings, codes[0])
        ver = full_verify(settings)
    raw = raw_verify_rate()
    rows = [
        (
            "demo city seeding (batch ingest)",
            f"{seed_rate:,.0f} statements/s",
            f"{args.elevators} elevators × {args.years} years",
        ),
        (
            "status query p50 / p99, one client",
            f"{status['p50_ms']:.1f} / {status['p99_ms']:.1f} ms",
            "aim p99 < 20 ms",
        ),
        (
            "status query throughput, 32 clients",
            f"{status['per_s']:,.0f}/s",
            f"p50 / p99 under that load {status['loaded_p50_ms']:.0f} / "
            f"{status['loaded_p99_ms']:.0f} ms (queueing behind one worker)",
        ),
        (
            f"replay with verification ({rep['entries']:.0f} entries)",
            f"{rep['replay_ms']:.0f} ms",
            f"plain repository read {rep['read_ms']:.0f} ms → "
            f"{rep['replay_ms'] / rep['read_ms']:.1f}× (aim ≤ 2×)",
        ),
        (
            f"full verify ({ver['entries']:.0f} entries)",
            f"{ver['per_s']:,.0f} entries/s",
            f"{ver['per_s'] / raw:.0%} of raw Ed25519 verify {raw:,.0f}/s (aim ≥ 70 %)",
        ),
    ]
    report(
        "read_side",
        rows,
        {
            "seed_per_s": seed_rate,
            "status": status,
            "replay": rep,
            "verify": ver,
            "raw_verify_per_s": raw,
            "elevators": args.elevators,
            "years": args.years,
        },
    )


if __name__ == "__main__":
    main()
