"""Write-path throughput on SQLite and PostgreSQL, next to this machine's raw verify rate.

    python -m bench.ingest [--backends sqlite,postgres] [--batch-envelopes 5000] [--http 3000]

Figures, all measured in this run:
- raw Ed25519 verify rate of one core (the `cryptography` package, one key, one message);
- batch ingest rate (LedgerService.submit_batch, 500 envelopes per call) and its ratio to it;
- single-statement POST /v1/statements throughput with one uvicorn worker and 32 concurrent
  clients, next to the same server's POST /v1/envelopes/verify (signature check only), and the
  submissions' latency (p50, p99, slowest, how many over 100 ms).

Both ingest figures are steady state: WARM_UP envelopes go first, untimed (a new process
starts its worker processes and loads each elevator's chain on its first statement).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg import sql

from api.bootstrap import initialise
from api.settings import Settings
from bench.common import report, served, summarize_ms
from bench.load import post_all
from domain.application.ledger_factory import eventsourcing_env
from domain.model.identifiers import make_uscc
from domain.model.onboarding import licences_for, onboarding_statements
from domain.model.roles import Role
from domain.model.signing import sign_statement
from ledger.keys import SigningKey, load_signing_key

PG_ADMIN = os.environ.get("LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ELEVATORS = 200
WARM_UP = 500  # envelopes submitted before the batch figure is timed
#: batch ingest aims, as a share of one core's raw verify rate
BATCH_AIM = {"sqlite": 0.8, "postgres": 0.6}


def raw_verify_rate(n: int = 20000) -> float:
    key = SigningKey.generate()
    message = os.urandom(400)
    signature = key.sign(message)
    public = key.verifying_key
    start = time.perf_counter()
    for _ in range(n):
        public.verify(message, signature)
    return n / (time.perf_counter() - start)


def _code(i: int) -> str:
    return f"31102301020150{i:04d}"


class Seeded:
    """A ledger with a manufacturer, a maintenance unit, a use unit and ELEVATORS manufactured
    lifts, each under a maintenance contract between the two (a fault is the maintainer's to
    report only where it holds the contract)."""

    def __init__(self, home: Path, url: str) -> None:
        self.settings = Settings(home=home, database_url=url)
        node, _ = initialise(self.settings)
        authority = load_signing_key(self.settings.authority_key_path)
        self.maker, self.maintainer = SigningKey.generate(), SigningKey.generate()
        use_unit = SigningKey.generate()
        self.maker_id, self.maintainer_id = (
            make_uscc("91430900B00000001"),
            make_uscc("91430900B00000002"),
        )
        use_unit_id = make_uscc("91430900B00000003")
        long_ago = datetime.now(UTC) - timedelta(days=3000)
        for uscc, role, key in (
            (self.maker_id, Role.MANUFACTURER, self.maker),
            (self.maintainer_id, Role.MAINTENANCE_UNIT, self.maintainer),
            (use_unit_id, Role.USE_UNIT, use_unit),
        ):
            lic = licences_for([role], "B", ("3110",), long_ago.date(), datetime(2099, 1, 1).date())
            for s in onboarding_statements(
                regulator=node.anchor.uscc,
                uscc=uscc,
                name="基准单位",
                district="430902",
                address="益阳",
                legal_representative="李四",
                roles=[role],
                licences=lic,
                key=key.verifying_key,
                at=long_ago,
                valid_from=long_ago.date(),
            ):
                node.service.submit(sign_statement(s, [authority]).to_json())
        made = long_ago + timedelta(days=10)
        envelopes = [
            sign_statement(
                {
                    "type": "elevator.manufactured",
                    "elevator": _code(i),
                    "issuer": self.maker_id,
                    "occurred_at": made.isoformat(),
                    "data": {
                        "category": "3110",
                        "model": "B1",
                        "factory_serial": f"S{i}",
                        "type_test_certificate": "TX-1",
                        "rated_load_kg": 1000,
                        "rated_speed_mps": "1.75",
                        "stops": 12,
                        "manufactured_on": made.date().isoformat(),
                    },
                },
                [self.maker],
            ).to_json()
            for i in range(ELEVATORS)
        ]
        node.service.submit_batch(envelopes)
        contracts = [
            sign_statement(
                {
                    "type": "maintenance_contract.signed",
                    "elevator": _code(i),
                    "issuer": self.maintainer_id,
                    "occurred_at": made.isoformat(),
                    "data": {
                        "contract_number": f"WB-{i}",
                        "maintenance_unit": self.maintainer_id,
                        "use_unit": use_unit_id,
                        "valid_from": made.date().isoformat(),
                        "valid_to": "2099-12-31",
                        "policy": "classic_15_day",
                    },
                },
                [self.maintainer, use_unit],
            ).to_json()
            for i in range(ELEVATORS)
        ]
        node.service.submit_batch(contracts)
        node.close()

    def faults(self, n: int, tag: str) -> list[dict[str, Any]]:
        now = datetime.now(UTC) - timedelta(minutes=1)
        return [
            sign_statement(
                {
                    "type": "fault.reported",
                    "elevator": _code(i % ELEVATORS),
                    "issuer": self.maintainer_id,
                    "occurred_at": now.isoformat(),
                    "data": {
                        "fault_id": f"{tag}-{i}",
                        "code": "02",
                        "service_mode": 1,
                        "detected_at": now.isoformat(),
                    },
                },
                [self.maintainer],
            ).to_json()
            for i in range(n)
        ]


def batch_rate(seeded: Seeded, n: int) -> float:
    node, _ = initialise(seeded.settings)
    try:
        # Untimed warm-up: a server's worker processes (signature checks, promise signing)
        # start once, with its first large batch; the figure is the steady state.
        warm = node.service.submit_batch(seeded.faults(WARM_UP, "warm"))
        assert all(not isinstance(r, Exception) for r in warm), warm[:1]
        # Signed after the warm-up, so dated after it: in-order statements (signed before,
        # they would be back-dated by a few milliseconds and judged on the occurred axis).
        envelopes = seeded.faults(n, "batch")
        start = time.perf_counter()
        for i in range(0, n, 500):
            results = node.service.submit_batch(envelopes[i : i + 500])
            assert all(not isinstance(r, Exception) for r in results), results[:1]
        rate = n / (time.perf_counter() - start)
        # Untimed: bring the read models up to date, so that the HTTP figures measure a server
        # in its steady state, not its embedded projection worker catching up this backlog.
        node.projections.catch_up()
        return rate
    finally:
        node.close()


class PlainLift(Aggregate):
    """The baseline's aggregate: the same events, with nothing checked, chained or logged."""

    @event("Started")
    def __init__(self, code: str) -> None:
        self.code = code

    @event("Recorded")
    def record(self, payload: str) -> None:
        self.last = payload


class PlainApp(Application[UUID]):
    name = "PlainBaseline"


def plain_rate(url: str, tmp: str, n: int) -> float:
    """A plain eventsourcing application storing the same statements as events, in batches of
    500: what the library itself costs here, without signatures, rules, chain or log."""
    env = eventsourcing_env(url)
    if url.startswith("sqlite"):  # its own file: the SQLite recorder's table name is fixed
        env["SQLITE_DBNAME"] = f"{tmp}/plain.db"
    app = PlainApp(env={**env, "AGGREGATE_CACHE_MAXSIZE": "20000"})
    lifts = [PlainLift(_code(i)) for i in range(ELEVATORS)]
    app.save(*lifts)
    payload = "x" * 1200  # about an envelope's size
    start = time.perf_counter()
    for i in range(0, n, 500):
        touched = {}
        for j in range(i, min(n, i + 500)):
            lift = lifts[j % ELEVATORS]
            lift.record(payload)
            touched[lift.id] = lift
        app.save(*touched.values())
    rate = n / (time.perf_counter() - start)
    app.close()
    return rate


def http_rates(seeded: Seeded, n: int) -> tuple[float, float, dict[str, Any]]:
    """Single submissions and verify-only requests per second, and the submissions' latency
    (p50, p99, slowest, and how many took over 100 ms: stalls show there, not in the rate)."""
    import orjson

    with served(seeded.settings) as port:
        # Untimed warm-up, as for batches: a new server loads each elevator's chain on its
        # first statement; the figures are the steady state.
        warm = [orjson.dumps(e) for e in seeded.faults(WARM_UP, "http-warm")]
        assert set(post_all("127.0.0.1", port, "/v1/statements", warm).statuses) == {201}
        bodies = [orjson.dumps(e) for e in seeded.faults(n, "http")]
        verify = post_all("127.0.0.1", port, "/v1/envelopes/verify", bodies)
        submit = post_all("127.0.0.1", port, "/v1/statements", bodies)
        assert set(submit.statuses) == {201}, submit.statuses
        assert set(verify.statuses) == {200}, verify.statuses
        latency = {
            **summarize_ms(submit.latencies),
            "max_ms": round(max(submit.latencies) * 1000, 1),
            "over_100_ms": sum(1 for s in submit.latencies if s > 0.1),
        }
        return (
            submit.rate,
            verify.rate,
            {"submit": submit.statuses, "verify": verify.statuses, "latency": latency},
        )


def _postgres_url() -> tuple[str, str]:
    name = f"ledger_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, name


def _drop(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        conn.execute(drop.format(sql.Identifier(name)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--batch-envelopes", type=int, default=5000)
    parser.add_argument("--http", type=int, default=3000)
    args = parser.parse_args()
    verify = raw_verify_rate()
    rows = [("raw Ed25519 verify, one core", f"{verify:,.0f}/s", "baseline")]
    data: dict[str, Any] = {"raw_verify_per_s": round(verify)}
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            dbname = None
            url = f"sqlite:///{tmp}/ledger.db"
            if backend == "postgres":
                url, dbname = _postgres_url()
            try:
                seeded = Seeded(Path(tmp), url)
                batch = batch_rate(seeded, args.batch_envelopes)
                plain = plain_rate(url, tmp, args.batch_envelopes)
                single, verify_only, statuses = http_rates(seeded, args.http)
                lat = statuses["latency"]
            finally:
                if dbname:
                    _drop(dbname)
        rows += [
            (
                f"{backend}: batch ingest",
                f"{batch:,.0f}/s",
                f"{batch / verify:.0%} of raw verify (aim ≥ {BATCH_AIM[backend]:.0%})",
            ),
            (
                f"{backend}: plain eventsourcing app, same events",
                f"{plain:,.0f}/s",
                f"ledger batch ingest is {batch / plain:.0%} of it",
            ),
            (
                f"{backend}: POST /v1/statements, 32 clients",
                f"{single:,.0f}/s",
                f"{single / verify_only:.0%} of verify-only {verify_only:,.0f}/s"
                + (" (aim ≥ 1,000/s)" if backend == "sqlite" else ""),
            ),
            (
                f"{backend}: POST /v1/statements latency",
                f"p50 {lat['p50_ms']:.1f} / p99 {lat['p99_ms']:.1f} ms",
                f"max {lat['max_ms']:,.0f} ms; {lat['over_100_ms']} of {args.http} over 100 ms",
            ),
        ]
        data[backend] = {
            "batch_per_s": round(batch),
            "single_post_per_s": round(single),
            "verify_only_per_s": round(verify_only),
            "batch_vs_raw_verify": round(batch / verify, 3),
            "plain_eventsourcing_per_s": round(plain),
            "single_vs_verify_only": round(single / verify_only, 3),
            "single_post_latency": statuses.pop("latency"),
            "statuses": statuses,
        }
    report("ingest", rows, data)


if __name__ == "__main__":
    main()
