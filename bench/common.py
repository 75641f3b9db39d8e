"""Helpers shared by the benchmarks: timing, percentiles, result printing."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarize_ms(samples: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples]
    return {
        "mean_ms": round(statistics.fmean(ms), 4),
        "p50_ms": round(percentile(ms, 0.5), 4),
        "p99_ms": round(percentile(ms, 0.99), 4),
    }


def report(name: str, rows: list[tuple[str, str, str]], data: dict[str, Any]) -> None:
    """Print a figure / baseline / ratio table and save the raw numbers as JSON."""
    width = max(len(r[0]) for r in rows)
    print(f"\n## {name}")
    print(f"{'figure'.ljust(width)} | value | baseline / ratio")
    for label, value, versus in rows:
        print(f"{label.ljust(width)} | {value} | {versus}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")


@contextmanager
def served(settings: Any) -> Iterator[int]:
    """``elevator-ledger serve`` (one worker, no access log) on a free port, for a benchmark."""
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {
        **os.environ,
        "LEDGER_HOME": str(settings.home),
        "LEDGER_DATABASE_URL": settings.resolved_database_url,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--no-access-log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
