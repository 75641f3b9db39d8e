"""One table of every benchmark's figures next to its in-run baseline (markdown and JSON).

    python -m bench.summary      # after the benchmarks it summarizes (make bench)

Reads bench/results/{log_append,ingest,read_side,console}.json (those there are); writes
bench/results/summary.md and summary.json.
"""

from __future__ import annotations

import json
from typing import Any

from bench.common import RESULTS

Row = tuple[str, str, str, str]  # figure, value, baseline, ratio / aim


def _log(d: dict[str, Any]) -> list[Row]:
    return [
        (
            f"log append ({d['entries']:,} entries, SQLite)",
            f"{d['append_entries_per_s']:,}/s",
            f"bare inserts {d['bare_insert_rows_per_s']:,}/s",
            f"{d['append_slowdown_vs_bare']}× slower (aim ≤ 2×)",
        ),
        (
            "log inclusion proof p50 / p99",
            f"{d['inclusion_proof']['p50_ms']} / {d['inclusion_proof']['p99_ms']} ms",
            "",
            "aim < 1 ms",
        ),
        (
            "log disk per entry",
            f"{d['disk_bytes_per_entry']} B",
            f"entry {d['entry_bytes']} B",
            "aim < 2 KB",
        ),
    ]


def _ingest(d: dict[str, Any]) -> list[Row]:
    raw = d["raw_verify_per_s"]
    rows: list[Row] = []
    for backend in ("sqlite", "postgres"):
        if backend not in d:
            continue
        b = d[backend]
        rows += [
            (
                f"{backend}: batch ingest",
                f"{b['batch_per_s']:,}/s",
                f"raw verify {raw:,}/s",
                f"{b['batch_vs_raw_verify']:.0%} (aim ≥ 80 % SQLite, ≥ 60 % PostgreSQL)",
            ),
            (
                f"{backend}: plain eventsourcing app, same events",
                f"{b.get('plain_eventsourcing_per_s', 0):,}/s",
                "",
                "what the library alone costs here",
            ),
            (
                f"{backend}: single POST, 32 clients",
                f"{b['single_post_per_s']:,}/s",
                f"verify-only {b['verify_only_per_s']:,}/s",
                f"{b['single_vs_verify_only']:.0%} (aim ≥ 1,000/s on SQLite)",
            ),
        ]
        lat = b.get("single_post_latency")
        if lat is not None:  # results saved before latency was measured have none
            rows.append(
                (
                    f"{backend}: single POST latency p50 / p99",
                    f"{lat['p50_ms']:.1f} / {lat['p99_ms']:.1f} ms",
                    "",
                    f"max {lat['max_ms']:,.0f} ms; {lat['over_100_ms']} over 100 ms",
                )
            )
    return rows


def _read(d: dict[str, Any]) -> list[Row]:
    s, r = d["status"], d["replay"]
    return [
        ("status query p99, one client", f"{s['p99_ms']:.1f} ms", "", "aim < 20 ms"),
        ("status throughput, 32 clients", f"{s['per_s']:,.0f}/s", "", ""),
        (
            "replay with verification",
            f"{r['replay_ms']:.0f} ms",
            f"plain read {r['read_ms']:.0f} ms",
            f"{r['replay_ms'] / r['read_ms']:.1f}× (aim ≤ 2×)",
        ),
        *_verify(d["verify"], d["raw_verify_per_s"]),
    ]


def _verify(v: dict[str, Any], raw: float) -> list[Row]:
    """``verify`` on one core against raw Ed25519, and on every core against one core (with
    what idle cores would give, from the CPU seconds: the machine may be shared)."""
    if "one_core_per_s" not in v:  # a run from before ``--workers``: one rate, one process
        return [
            (
                "full verify, one core",
                f"{v['per_s']:,.0f} entries/s",
                f"raw verify {raw:,.0f}/s",
                f"{v['per_s'] / raw:.0%} (aim ≥ 70 %)",
            )
        ]
    one, every = v["one_core_per_s"], v["per_s"]
    idle = f"; {v['idle_cores_ratio']:.2f}× on idle cores" if "idle_cores_ratio" in v else ""
    return [
        (
            "full verify, one core",
            f"{one:,.0f} entries/s",
            f"raw verify {raw:,.0f}/s",
            f"{one / raw:.0%} (aim ≥ 70 %)",
        ),
        (
            f"full verify, {v['workers']} cores",
            f"{every:,.0f} entries/s",
            f"one core {one:,.0f}/s",
            f"{every / one:.2f}× (aim ≥ 1.5×){idle}",
        ),
    ]


def _console(d: dict[str, Any]) -> list[Row]:
    """bench.console: the worst work-list page on the demo city, and the 10,000-row exports
    next to the JSON list of the same rows."""
    e = d["export"]
    json_s = f"JSON list {e['json_s']:.2f} s"
    return [
        (
            "console: worst list page p99 (demo city)",
            f"{d['worst_page_p99_ms']:.0f} ms",
            "",
            "aim < 200 ms",
        ),
        (
            f"console: CSV export, {e['csv_rows']:,} rows",
            f"{e['csv_s']:.2f} s",
            json_s,
            "aim < 5 s",
        ),
        (
            f"console: Excel export, {e['csv_rows']:,} rows",
            f"{e['xlsx_s']:.2f} s",
            json_s,
            "aim < 5 s",
        ),
    ]


def main() -> None:
    rows: list[Row] = []
    data: dict[str, Any] = {}
    renders = (
        ("log_append", _log),
        ("ingest", _ingest),
        ("read_side", _read),
        ("console", _console),
    )
    for name, render in renders:
        path = RESULTS / f"{name}.json"
        if path.exists():
            data[name] = json.loads(path.read_text())
            rows += render(data[name])
    lines = ["| figure | value | in-run baseline | ratio / aim |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    (RESULTS / "summary.md").write_text("\n".join(lines) + "\n")
    (RESULTS / "summary.json").write_text(json.dumps(data, indent=2) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
