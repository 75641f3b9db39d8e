"""Merkle log on SQLite: append rate next to bare inserts, checkpoint and proof times.

    python -m bench.log_append [--entries 1000000] [--batch 1000] [--url sqlite:///…]

Baseline (same run, same durability settings: WAL, synchronous=FULL): the same
rows inserted with the sqlite3 module, one transaction per batch, no hashing.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--entry-bytes", type=int, default=600)
    parser.add_argument("--proofs", type=int, default=2000)
    parser.add_argument("--url", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        bare = bare_inserts(Path(tmp) / "bare.db", args.entries, args.batch, args.entry_bytes)
        url = args.url or f"sqlite:///{tmp}/log.db"
        engine = make_engine(url)
        upgrade(engine)
        signer = NoteSigner("bench.example/log", SigningKey.generate())
        log = MerkleLog(engine, signer)
        start = time.perf_counter()
        marks: dict[int, float] = {}
        for offset in range(0, args.entries, args.batch):
            rows = _rows(min(args.batch, args.entries - offset), args.entry_bytes, offset)
            with log.writer() as w:  # as the sequencer does: feed positions recorded
                w.append(rows, positions=range(offset + 1, offset + len(rows) + 1))
            marks[offset + len(rows)] = time.perf_counter()
        appended = time.perf_counter() - start
        first_10k = min(10_000, args.entries)
        early_rate = first_10k / (marks[first_10k] - start) if first_10k in marks else 0.0
        tail_from = max(0, args.entries - 100_000)
        tail_start = marks.get(tail_from, start)
        late_rate = (args.entries - tail_from) / (marks[args.entries] - tail_start)

        size = log.size()
        cp_times = [timed(lambda: log.append(_rows(1, args.entry_bytes, -1))) for _ in range(50)]
        sign_times = []
        for _ in range(50):
            log.append(_rows(1, args.entry_bytes, -2), checkpoint=False)
            sign_times.append(timed(log.sign_checkpoint))
        size = log.size()
        checkpoint = open_checkpoint(log.latest_checkpoint().note, signer.verifier)

        rng = random.Random(7)
        inc, con = [], []
        for _ in range(args.proofs):
            i = rng.randrange(size)
            t0 = time.perf_counter()
            proof = log.inclusion_proof(i, size)
            inc.append(time.perf_counter() - t0)
            if len(inc) <= 20:
                merkle.verify_inclusion(i, size, log.leaf_hash(i), proof, checkpoint.root)
            old = rng.randrange(1, size)
            con.append(timed(lambda old=old: log.consistency_proof(old, size)))  # type: ignore[misc]
        if not args.url:
            with engine.begin() as conn:  # fold the WAL into the file before measuring it
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db_bytes = sum(p.stat().st_size for p in Path(tmp).glob("log.db*"))
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
        "append_rate_first_10k": round(early_rate),
        "append_rate_last_100k": round(late_rate),
        "append_1_with_checkpoint": summarize_ms(cp_times),
        "sign_checkpoint": summarize_ms(sign_times),
        "inclusion_proof": summarize_ms(inc),
        "consistency_proof": summarize_ms(con),
        "disk_bytes_per_entry": round(db_bytes / size),
    }
    report(
        "log_append",
        [
            (
                f"append, batches of {args.batch}",
                f"{rate:,.0f} entries/s",
                f"bare sqlite3 inserts {bare_rate:,.0f} rows/s -> {bare_rate / rate:.2f}x slower",
            ),
            (
                "append rate: first 10k vs last 100k",
                f"{early_rate:,.0f} vs {late_rate:,.0f} entries/s",
                f"{late_rate / early_rate:.2f}x at the end" if early_rate else "",
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
            (
                "inclusion proof",
                f"p50 {data['inclusion_proof']['p50_ms']} ms",
                f"p99 {data['inclusion_proof']['p99_ms']} ms",
            ),
            (
                "consistency proof",
                f"p50 {data['consistency_proof']['p50_ms']} ms",
                f"p99 {data['consistency_proof']['p99_ms']} ms",
            ),
            (
                "disk per entry",
                f"{data['disk_bytes_per_entry']} B",
                f"entry itself {args.entry_bytes} B",
            ),
        ],
        data,
    )


if __name__ == "__main__":
    main()
