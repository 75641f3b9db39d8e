"""Helpers shared by the benchmarks: timing, percentiles, result printing."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
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
