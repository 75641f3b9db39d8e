"""Merkle log on SQLite: append rate next to bare inserts, checkpoint and proof times.

    python -m bench.log_append [--entries 1000000] [--batch 1000] [--url sqlite:///…]
                               [--probe-at 10000,1000000]

Baseline (same run, same durability settings: WAL, synchronous=FULL): the same
rows inserted with the sqlite3 module, one transaction per batch, no hashing.

Proof latencies are measured at the full size and, on the way, when the log passes each
``--probe-at`` size (the appends are paused meanwhile and their time excludes it). Proofs
are timed from a cold node cache (a new ``MerkleLog`` per size: the first proofs read the
upper subtrees too) and again once it is warm. Append rates are compared early (the first
10k entries) and late (the last 100k): by total time and by the median batch, which a
slow first batch or one stray fsync does not move.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bench.common import report, summarize_ms, timed
from ledger import merkle
from ledger.db import make_engine
from ledger.keys import SigningKey
from ledger.log import MerkleLog
from ledger.migrate import upgrade
from ledger.note import NoteSigner, open_checkpoint


def _rows(n: int, size: int, start: int) -> list[bytes]:
    filler = os.urandom(size)
    return [
        b'{"i":%d,"x":"%s"}' % (start + i, filler.hex()[: size - 20].encode()) for i in range(n)
    ]


def bare_inserts(path: Path, total: int, batch: int, size: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (idx INTEGER PRIMARY KEY, data BLOB NOT NULL)")
    start = time.perf_counter()
    for offset in range(0, total, batch):
        rows = _rows(min(batch, total - offset), size, offset)
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO t VALUES (?, ?)", enumerate(rows, offset))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def proof_latencies(log: MerkleLog, size: int, count: int, seed: int) -> dict[str, Any]:
    """Inclusion and consistency proofs at ``size``: ``count`` of each from a cold cache,
    then ``count`` more with the cache the first ones filled. Wall-clock times, and the
    thread's CPU time for inclusion proofs (what the code costs, without the waits of a
    busy machine: preemption, disk reads the page cache did not absorb)."""
    rng = random.Random(seed)
    phases: dict[str, dict[str, list[float]]] = {}
    for phase in ("cold", "warm"):
        inc, con, cpu = [], [], []
        for _ in range(count):
            i = rng.randrange(size)
            t0, c0 = time.perf_counter(), time.thread_time()
            log.inclusion_proof(i, size)
            inc.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
            old = rng.randrange(1, size) if size > 1 else 1
            con.append(timed(lambda old=old: log.consistency_proof(old, size)))  # type: ignore[misc]
        phases[phase] = {"inclusion": inc, "consistency": con, "cpu": cpu}
    both = {k: phases["cold"][k] + phases["warm"][k] for k in ("inclusion", "consistency", "cpu")}
    return {
        "size": size,
        "inclusion_proof": summarize_ms(both["inclusion"]),
        "consistency_proof": summarize_ms(both["consistency"]),
        "inclusion_proof_cpu": summarize_ms(both["cpu"]),
        "inclusion_proof_cold": summarize_ms(phases["cold"]["inclusion"]),
        "inclusion_proof_warm": summarize_ms(phases["warm"]["inclusion"]),
        "consistency_proof_warm": summarize_ms(phases["warm"]["consistency"]),
    }


def disk_bytes(engine: Engine, tmp: str, sqlite_file: bool) -> int:
    if sqlite_file:
        with engine.begin() as conn:  # fold the WAL into the file before measuring it
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return sum(p.stat().st_size for p in Path(tmp).glob("log.db*"))
    if engine.dialect.name == "postgresql":
        tables = ("log_entries", "log_nodes", "log_state", "log_checkpoints")
        with engine.connect() as conn:
            return sum(
                int(conn.exec_driver_sql(f"SELECT pg_total_relation_size('{t}')").scalar_one())
                for t in tables
            )
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--entry-bytes", type=int, default=600)
    parser.add_argument("--proofs", type=int, default=2000)
    parser.add_argument(
        "--probe-at",
        default="10000,1000000",
        help="comma-separated sizes at which proofs are also timed on the way (below --entries)",
    )
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    probes = sorted({int(p) for p in args.probe_at.split(",") if p and 0 < int(p) < args.entries})

    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        bare = bare_inserts(Path(tmp) / "bare.db", args.entries, args.batch, args.entry_bytes)
        url = args.url or f"sqlite:///{tmp}/log.db"
        engine = make_engine(url)
        upgrade(engine)
        signer = NoteSigner("bench.example/log", SigningKey.generate())
        log = MerkleLog(engine, signer)
        batch_times: list[tuple[int, float]] = []  # (entries in the batch, seconds)
        probed: list[dict[str, Any]] = []
        for offset in range(0, args.entries, args.batch):
            rows = _rows(min(args.batch, args.entries - offset), args.entry_bytes, offset)
            t0 = time.perf_counter()
            with log.writer() as w:  # as the sequencer does: feed positions recorded
                w.append(rows, positions=range(offset + 1, offset + len(rows) + 1))
            batch_times.append((len(rows), time.perf_counter() - t0))
            size = offset + len(rows)
            if probes and size >= probes[0]:
                probes.pop(0)
                probed.append(proof_latencies(MerkleLog(engine, signer), size, args.proofs, 11))
        appended = sum(t for _, t in batch_times)
        early, late = _rates(batch_times, 10_000), _rates(batch_times[::-1], 100_000)

        cp_times = [timed(lambda: log.append(_rows(1, args.entry_bytes, -1))) for _ in range(50)]
        sign_times = []
        for _ in range(50):
            log.append(_rows(1, args.entry_bytes, -2), checkpoint=False)
            sign_times.append(timed(log.sign_checkpoint))
        size = log.size()
        checkpoint = open_checkpoint(log.latest_checkpoint().note, signer.verifier)
        rng = random.Random(7)
        for _ in range(20):  # the proofs timed are the ones that verify
            i = rng.randrange(size)
            proof = log.inclusion_proof(i, size)
            merkle.verify_inclusion(i, size, log.leaf_hash(i), proof, checkpoint.root)
        final = proof_latencies(MerkleLog(engine, signer), size, args.proofs, 7)
        db_bytes = disk_bytes(engine, tmp, not args.url)
        engine.dispose()

    n = args.entries
    rate, bare_rate = n / appended, n / bare
    data = {
        "entries": n,
        "batch": args.batch,
        "entry_bytes": args.entry_bytes,
        "append_entries_per_s": round(rate),
        "bare_insert_rows_per_s": round(bare_rate),
        "append_slowdown_vs_bare": round(bare_rate / rate, 2),
        "append_rate_first_10k": round(early[0]),
        "append_rate_last_100k": round(late[0]),
        "append_rate_first_10k_median_batch": round(early[1]),
        "append_rate_last_100k_median_batch": round(late[1]),
        "append_1_with_checkpoint": summarize_ms(cp_times),
        "sign_checkpoint": summarize_ms(sign_times),
        **{k: v for k, v in final.items() if k != "size"},
        "proofs_on_the_way": probed,
        "disk_bytes_per_entry": round(db_bytes / size),
    }
    table: list[tuple[str, str, str]] = [
        (
            f"append, batches of {args.batch}",
            f"{rate:,.0f} entries/s",
            f"bare sqlite3 inserts {bare_rate:,.0f} rows/s -> {bare_rate / rate:.2f}x slower",
        ),
        (
            "append rate: first 10k vs last 100k",
            f"{early[0]:,.0f} vs {late[0]:,.0f} entries/s",
            f"{late[0] / early[0]:.2f}x at the end",
        ),
        (
            "  same, median batch",
            f"{early[1]:,.0f} vs {late[1]:,.0f} entries/s",
            f"{late[1] / early[1]:.2f}x at the end",
        ),
        (
            "append 1 + sign checkpoint",
            f"p50 {data['append_1_with_checkpoint']['p50_ms']} ms",
            "one fsync'd transaction",
        ),
        (
            "sign checkpoint (at size)",
            f"p50 {data['sign_checkpoint']['p50_ms']} ms",
            f"size {size:,}",
        ),
    ]
    for figures in [*probed, final]:
        at = f"at {figures['size']:,}"
        for kind in ("inclusion", "consistency"):
            every, warm = figures[f"{kind}_proof"], figures[f"{kind}_proof_warm"]
            table.append(
                (
                    f"{kind} proof {at}",
                    f"p50 {every['p50_ms']} ms, p99 {every['p99_ms']} ms",
                    f"warm cache: p50 {warm['p50_ms']} ms, p99 {warm['p99_ms']} ms",
                )
            )
        cpu = figures["inclusion_proof_cpu"]
        table.append(
            (
                f"  inclusion proof CPU time {at}",
                f"p50 {cpu['p50_ms']} ms, p99 {cpu['p99_ms']} ms",
                "the thread's own time: no preemption, no I/O waits",
            )
        )
    table.append(
        (
            "disk per entry",
            f"{data['disk_bytes_per_entry']} B",
            f"entry itself {args.entry_bytes} B",
        )
    )
    report("log_append", table, data)


def _rates(batches: list[tuple[int, float]], entries: int) -> tuple[float, float]:
    """Entries per second over the first ``entries`` of ``batches``: in total, and for the
    median batch."""
    taken: list[tuple[int, float]] = []
    for batch in batches:
        if sum(n for n, _ in taken) >= entries:
            break
        taken.append(batch)
    total = sum(n for n, _ in taken) / sum(t for _, t in taken)
    return total, statistics.median(n / t for n, t in taken)


if __name__ == "__main__":
    main()
