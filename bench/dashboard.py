"""The console's dashboard (GET /console) on the demo city, next to an in-run baseline.

    python -m bench.dashboard [--home DIR] [--elevators 20] [--years 5] [--requests 300]

Seeds the demo city (``elevator-ledger demo``'s, 20 lifts × 5 years by default) into ``--home``
unless it is seeded there already, serves the app with uvicorn in a process of its own with
a city bureau's account signed in (the test override: the sign-in itself is not timed), and
times one client's requests: the whole city's dashboard, one district's, and as the baseline the
public status query (``GET /v1/elevators/{code}``) on the same server. Aim: p99 < 200 ms.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from rich.progress import Progress
from sqlalchemy import select

from api.app import create_app
from api.bootstrap import initialise
from api.demo import seed_city
from api.settings import Settings
from api.web.session import require_console_user
from bench.common import percentile, report
from projections.dashboard import scope_districts
from projections.schema import elevators
from tests.support.servers import free_port
from tests.support.web import regulator_user

BUREAU = "11430900MB0000000X"
CITY = ("430900",)


def timed_gets(client: httpx.Client, path: str, count: int) -> list[float]:
    """Milliseconds of ``count`` GETs of ``path`` (each must answer 200)."""
    out = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return out


def signed_in_app() -> FastAPI:
    """The app (opened from the ``LEDGER_*`` settings) with a city bureau's staff signed in,
    for ``uvicorn --factory``: the server runs in a process of its own, not beside the client."""
    app = create_app()
    app.dependency_overrides[require_console_user] = lambda: regulator_user(BUREAU, CITY)
    return app


@contextmanager
def server(settings: Settings) -> Iterator[str]:
    """``signed_in_app`` served by uvicorn (one worker) on a free port: its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "LEDGER_HOME": str(settings.home),
        "LEDGER_DATABASE_URL": settings.resolved_database_url,
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "bench.dashboard:signed_in_app"]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--no-access-log", "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--elevators", type=int, default=20)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'ledger.db'}")
    node, _ = initialise(settings)
    try:
        if not settings.demo_marker_path.exists():
            seed_city(
                node, settings, elevators=args.elevators, years=args.years, seed=0, bar=Progress()
            )
        node.projections.catch_up()
        districts = scope_districts(node.engine, CITY)
        with node.engine.connect() as conn:
            codes = list(conn.execute(select(elevators.c.equipment_code)).scalars())
    finally:
        node.close()
    paths = {
        "city": "/console",
        "district": f"/console?district={districts[0]}",
        "status": f"/v1/elevators/{codes[0]}",
    }
    with server(settings) as base, httpx.Client(base_url=base, timeout=30) as client:
        timed_gets(client, "/console", 10)  # warm up
        figures: dict[str, Any] = {"elevators": len(codes)}
        for name, path in paths.items():
            ms = timed_gets(client, path, args.requests)
            figures[name] = {"p50_ms": percentile(ms, 0.5), "p99_ms": percentile(ms, 0.99)}
    rows = [
        (f"{name} p50 / p99", f"{f['p50_ms']:.1f} / {f['p99_ms']:.1f} ms", versus)
        for name, f, versus in (
            ("GET /console (city)", figures["city"], "aim p99 < 200 ms"),
            ("GET /console?district=", figures["district"], "aim p99 < 200 ms"),
            ("GET /v1/elevators/{code}", figures["status"], "baseline"),
        )
    ]
    ratio = figures["city"]["p99_ms"] / figures["status"]["p99_ms"]
    rows.append(("city p99 / baseline p99", f"{ratio:.1f}×", ""))
    report("dashboard", rows, figures)


if __name__ == "__main__":
    main()
