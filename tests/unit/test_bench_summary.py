"""bench.summary: one table of every benchmark's figures from bench/results/*.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import bench.summary
from bench.summary import _read

#: what bench.read_side writes (its ``full_verify`` under "verify"), figures rounded
READ_SIDE: dict[str, Any] = {
    "seed_per_s": 5000.0,
    "status": {
        "p50_ms": 2.0,
        "p99_ms": 6.5,
        "loaded_p50_ms": 20,
        "loaded_p99_ms": 40,
        "per_s": 900,
    },
    "replay": {"entries": 1000, "replay_ms": 80.0, "read_ms": 50.0},
    "verify": {
        "entries": 60000,
        "workers": 2,
        "per_s": 9600.0,
        "one_core_per_s": 6000.0,
        "one_core_cpu_s": 10.0,
        "main_cpu_s": 3.0,
        "replay_cpu_s": [4.0, 4.0],
        "idle_cores_ratio": 1.8,
    },
    "raw_verify_per_s": 16000.0,
    "elevators": 200,
    "years": 5,
}


def test_verify_rows_show_one_core_and_every_core_with_their_ratio() -> None:
    rows = {row[0]: row[1:] for row in _read(READ_SIDE)}
    assert rows["full verify, one core"] == (
        "6,000 entries/s",
        "raw verify 16,000/s",
        "38% (aim ≥ 70 %)",
    )
    assert rows["full verify, 2 cores"] == (
        "9,600 entries/s",
        "one core 6,000/s",
        "1.60× (aim ≥ 1.5×); 1.80× on idle cores",
    )


def test_a_verify_run_from_before_workers_has_its_one_core_row_only() -> None:
    old = {**READ_SIDE, "verify": {"entries": 60000, "per_s": 6000.0}}
    verify_rows = [row for row in _read(old) if row[0].startswith("full verify")]
    assert verify_rows == [
        ("full verify, one core", "6,000 entries/s", "raw verify 16,000/s", "38% (aim ≥ 70 %)")
    ]


def test_main_writes_the_table_and_the_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "read_side.json").write_text(json.dumps(READ_SIDE))
    monkeypatch.setattr(bench.summary, "RESULTS", tmp_path)
    bench.summary.main()
    table = (tmp_path / "summary.md").read_text()
    assert table == capsys.readouterr().out
    lines = table.splitlines()
    assert lines[0] == "| figure | value | in-run baseline | ratio / aim |"
    assert "| full verify, one core | 6,000 entries/s | raw verify 16,000/s |" in table
    assert (
        "| full verify, 2 cores | 9,600 entries/s | one core 6,000/s"
        " | 1.60× (aim ≥ 1.5×); 1.80× on idle cores |"
    ) in lines
    assert json.loads((tmp_path / "summary.json").read_text()) == {"read_side": READ_SIDE}


INGEST: dict[str, Any] = {
    "raw_verify_per_s": 16000,
    "sqlite": {
        "batch_per_s": 6400,
        "single_post_per_s": 1200,
        "verify_only_per_s": 1800,
        "batch_vs_raw_verify": 0.4,
        "plain_eventsourcing_per_s": 40000,
        "single_vs_verify_only": 0.667,
        "single_post_latency": {
            "mean_ms": 22.0,
            "p50_ms": 21.04,
            "p99_ms": 33.0,
            "max_ms": 41.2,
            "over_100_ms": 0,
        },
    },
}


def test_single_post_latency_is_shown_when_measured() -> None:
    rows = {row[0]: row[1:] for row in bench.summary._ingest(INGEST)}
    assert rows["sqlite: single POST latency p50 / p99"] == (
        "21.0 / 33.0 ms",
        "",
        "max 41 ms; 0 over 100 ms",
    )
    older = {**INGEST, "sqlite": {**INGEST["sqlite"]}}
    del older["sqlite"]["single_post_latency"]
    assert not any("latency" in row[0] for row in bench.summary._ingest(older))


def test_the_console_rows_name_the_worst_page_and_both_exports() -> None:
    from bench.summary import _console

    rows = _console(
        {
            "worst_page_p99_ms": 61.2,
            "export": {"csv_rows": 10000, "csv_s": 1.5, "xlsx_s": 3.25, "json_s": 1.0},
        }
    )
    assert rows[0][1] == "61 ms" and rows[0][3] == "aim < 200 ms"
    assert rows[1][:3] == ("console: CSV export, 10,000 rows", "1.50 s", "JSON list 1.00 s")
    assert rows[2][1] == "3.25 s"
