"""The regulator's console on the demo city: page latency and a 10,000-row export, each next to
an in-run baseline (same data, same server process).

    python -m bench.console [--elevators 20] [--years 5] [--requests 200] [--export-rows 10000]

- the work-list pages (``/console/lists`` and ``/console/lists/{name}`` for every list, one
  client, one uvicorn worker): p50/p99 latency, next to the JSON API's
  ``/v1/regulator/worklists/{name}`` (the same rows, as JSON, behind a real bearer token)
  (aim: pages p99 < 200 ms on the demo city); and :data:`PAGES`, further console pages timed the
  same way where the server has them (a page answering 404 is reported as missing, not timed);
- an export of ≥ 10,000 rows (CSV and Excel, the whole download), next to the plain JSON list of
  the same rows (aim < 5 s);
- in-process: :func:`projections.worklists.counts` (every list's count in one pass, what the
  dashboard shows), next to asking every list in turn.

How the 10,000 rows are made: the demo city has 20 lifts, and signing a city of 10,000 lifts with
five years of history through the write path would take hours. So after the pages are timed on
the demo city as it is, the ``elevators`` read model is padded with copies of the demo city's
own folded statuses under new equipment codes (``9`` and 17 digits; every demo lift has late
entries, so each copy is on the late-entries list). The log holds none of them: they exist only
in the read model, which is all a list or an export reads. The lists' index and the padded
list's page are timed again on that padded city for reference (few requests: each folds every
status).

The console's pages are asked with a real session: the bench makes a staff account of the city's
bureau (district 430900), signs in through ``/console/sign-in`` as a browser would, and the
client carries the session cookie (and, for the JSON API, a bearer token), so every figure
includes the session lookup.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

from api.auth import TokenStore
from api.bootstrap import initialise, open_node
from api.demo import SignedCity
from api.settings import Settings
from api.web.accounts import AccountStore
from bench.common import percentile, report
from demo import plan_city
from ledger.keys import load_signing_key
from projections.schema import elevators
from projections.worklists import NAMES, counts, worklist
from tests.support.web import sign_in

#: Console pages timed beside the work lists (a page answering 404 is reported so, not timed).
PAGES = ["/console", "/console/elevators", "/console/organizations"]
#: The bench's console account (the demo city's bureau).
LOGIN = "bench"
DISTRICTS = ("430900",)
PADDED_LIST = "late-entries"


def staff(settings: Settings, regulator: str) -> str:
    """A console account of the city's bureau for the bench (login ``bench``): its password."""
    node = open_node(settings)
    try:
        password = secrets.token_urlsafe(16)
        AccountStore.open(node.engine).add(
            organization=regulator,
            name="基准监管员",
            login=LOGIN,
            desk="console",
            password=password,
            created_by="bench",
            districts=DISTRICTS,
        )
        return password
    finally:
        node.close()


def seed(settings: Settings, elevators_: int, years: int) -> tuple[str, float]:
    """The demo city through the signed write path; its regulator's USCC, and the seconds."""
    started = time.perf_counter()
    node, _ = initialise(settings)
    plan = plan_city(elevators_, years=years, seed=0, now=datetime.now(UTC).replace(microsecond=0))
    city = SignedCity(plan, load_signing_key(settings.authority_key_path), node.anchor.uscc)
    for envelope, at in city.onboarding():
        node.service.submit_batch([envelope], [at])
    batch: list[Any] = []
    for planned, envelope in city.history():
        batch.append((planned, envelope))
        if len(batch) == 500:
            node.service.submit_batch([e for _, e in batch], [p.recorded_at for p, _ in batch])
            batch.clear()
    if batch:
        node.service.submit_batch([e for _, e in batch], [p.recorded_at for p, _ in batch])
    node.projections.catch_up()
    node.close()
    return plan.regulator.uscc, time.perf_counter() - started


def pad(settings: Settings, rows: int) -> int:
    """Copies of the city's folded statuses under new codes until ``PADDED_LIST`` holds at
    least ``rows`` rows (the read model only; see the module's docstring): how many added."""
    node = open_node(settings)
    try:
        with node.engine.begin() as conn:
            originals = [dict(r._mapping) for r in conn.execute(select(elevators))]
            on_list = {r["equipment_code"] for r in _list(node, PADDED_LIST)}
            sources = [r for r in originals if r["equipment_code"] in on_list]
            wanted = rows - len(on_list)
            added = []
            for i in range(max(0, wanted)):
                source = sources[i % len(sources)]
                code = f"9{i:017d}"
                status = {**source["status"], "equipment_code": code}
                added.append({**source, "equipment_code": code, "status": status})
            for start in range(0, len(added), 1000):
                conn.execute(insert(elevators), added[start : start + 1000])
        return len(added)
    finally:
        node.close()


def _list(node: Any, name: str) -> list[dict[str, Any]]:
    return worklist(node.engine, name, node.today(), zone=node.settings.zone, within=DISTRICTS)


def count_pass(settings: Settings, rounds: int = 5) -> dict[str, float]:
    """Seconds of :func:`counts` and of asking every list in turn (best of ``rounds``)."""
    node = open_node(settings)
    try:
        today, zone = node.today(), node.settings.zone
        one, each = float("inf"), float("inf")
        for _ in range(rounds):
            t = time.perf_counter()
            counted = counts(node.engine, today, DISTRICTS, zone)
            one = min(one, time.perf_counter() - t)
            t = time.perf_counter()
            lengths = {name: len(_list(node, name)) for name in NAMES}
            each = min(each, time.perf_counter() - t)
            assert counted == lengths, (counted, lengths)
        return {"counts_ms": one * 1000, "every_list_ms": each * 1000}
    finally:
        node.close()


@contextmanager
def console_server(settings: Settings) -> Iterator[str]:
    """``uvicorn --factory api.app:create_app`` (one worker) on a free port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {
        **os.environ,
        "LEDGER_HOME": str(settings.home),
        "LEDGER_DATABASE_URL": settings.resolved_database_url,
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app"]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--no-access-log", "--log-level", "warning"],
        env=env,
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
        server.terminate()
        server.wait(timeout=30)


def token(settings: Settings, regulator: str) -> str:
    node = open_node(settings)
    try:
        secret, _ = TokenStore.open(node.engine).issue(regulator, "bench", timedelta(hours=2))
        return secret
    finally:
        node.close()


def latency(client: httpx.Client, path: str, requests: int) -> dict[str, float] | None:
    """p50/p99 ms of ``requests`` GETs of ``path`` (after a few to warm up), or None where the
    server has no such page (404)."""
    if client.get(path).status_code == 404:
        return None
    for _ in range(min(5, requests)):
        assert client.get(path).status_code == 200, path
    samples = []
    for _ in range(requests):
        t = time.perf_counter()
        answer = client.get(path)
        samples.append((time.perf_counter() - t) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return {"p50_ms": percentile(samples, 0.5), "p99_ms": percentile(samples, 0.99)}


def client(base: str, secret: str, password: str, timeout: float) -> httpx.Client:
    """A client signed in to the console (its session cookie) holding the bearer token too."""
    signed_in = sign_in(httpx.Client(base_url=base, timeout=timeout), LOGIN, password)
    signed_in.headers["Authorization"] = f"Bearer {secret}"
    return signed_in


def pages(
    base: str,
    secret: str,
    password: str,
    requests: int,
    names: tuple[str, ...] = NAMES,
    extra: bool = True,
) -> dict[str, Any]:
    """The pages of lists ``names`` and their JSON baselines, the lists' index, and (if
    ``extra``) :data:`PAGES`."""
    out: dict[str, Any] = {"lists": {}, "extra": {}}
    with closing(client(base, secret, password, 120)) as c:
        out["index"] = latency(c, "/console/lists", requests)
        for name in names:
            out["lists"][name] = {
                "page": latency(c, f"/console/lists/{name}", requests),
                "json": latency(c, f"/v1/regulator/worklists/{name}", requests),
            }
        for path in PAGES if extra else ():
            out["extra"][path] = latency(c, path, requests)
    return out


def export(base: str, secret: str, password: str, name: str, rounds: int = 3) -> dict[str, Any]:
    """Seconds (best of ``rounds``) of downloading list ``name`` whole as CSV and as Excel, and
    of the plain JSON list of the same rows; the rows each holds."""
    best = {"csv": float("inf"), "xlsx": float("inf"), "json": float("inf")}
    sizes: dict[str, int] = {}
    with closing(client(base, secret, password, 300)) as c:
        for _ in range(rounds):
            for kind, path in (
                ("json", f"/v1/regulator/worklists/{name}"),
                ("csv", f"/console/lists/{name}.csv"),
                ("xlsx", f"/console/lists/{name}.xlsx"),
            ):
                t = time.perf_counter()
                answer = c.get(path)
                best[kind] = min(best[kind], time.perf_counter() - t)
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:200])
                sizes[f"{kind}_bytes"] = len(answer.content)
                if kind == "json":
                    sizes["json_rows"] = answer.json()["count"]
                if kind == "csv":
                    sizes["csv_rows"] = answer.content.decode("utf-8-sig").count("\r\n") - 1
    return {**{f"{k}_s": v for k, v in best.items()}, **sizes}


def _fmt(t: dict[str, float] | None) -> str:
    return (
        "404 on this server (not timed)"
        if t is None
        else (f"{t['p50_ms']:.1f} / {t['p99_ms']:.1f} ms")
    )


def rows_of(label: str, timed: dict[str, Any]) -> list[tuple[str, str, str]]:
    out = [(f"{label}: /console/lists p50 / p99", _fmt(timed["index"]), "aim p99 < 200 ms")]
    for name, t in timed["lists"].items():
        out.append(
            (
                f"{label}: /console/lists/{name} p50 / p99",
                _fmt(t["page"]),
                f"JSON API same rows {_fmt(t['json'])}",
            )
        )
    for path, t in timed["extra"].items():
        out.append((f"{label}: {path} p50 / p99", _fmt(t), "aim p99 < 200 ms"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--elevators", type=int, default=20)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--export-rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp))
        regulator, seed_s = seed(settings, args.elevators, args.years)
        secret, password = token(settings, regulator), staff(settings, regulator)
        demo_counts = count_pass(settings)
        with console_server(settings) as base:
            demo = pages(base, secret, password, args.requests)
        added = pad(settings, args.export_rows)
        padded_counts = count_pass(settings, rounds=2)
        with console_server(settings) as base:
            exported = export(base, secret, password, PADDED_LIST)
            padded = pages(base, secret, password, 5, (PADDED_LIST,), extra=False)
    worst = max([t["page"]["p99_ms"] for t in demo["lists"].values()] + [demo["index"]["p99_ms"]])
    rows = [
        (
            "demo city seeding (signed write path)",
            f"{seed_s:.0f} s",
            f"{args.elevators} elevators × {args.years} years",
        ),
        *rows_of("demo city", demo),
        ("demo city: worst list page p99", f"{worst:.1f} ms", "aim < 200 ms"),
        (
            "demo city: counts() (every list, one pass)",
            f"{demo_counts['counts_ms']:.1f} ms",
            f"every list asked in turn {demo_counts['every_list_ms']:.1f} ms",
        ),
        (
            f"padded city (+{added:,} read-model copies): counts()",
            f"{padded_counts['counts_ms']:.0f} ms",
            f"every list asked in turn {padded_counts['every_list_ms']:.0f} ms",
        ),
        (
            f"export {exported['csv_rows']:,} rows as CSV ({exported['csv_bytes'] / 1e6:.1f} MB)",
            f"{exported['csv_s']:.2f} s",
            f"plain JSON list of the same {exported['json_rows']:,} rows "
            f"{exported['json_s']:.2f} s (aim < 5 s)",
        ),
        (
            f"export {exported['csv_rows']:,} rows as Excel "
            f"({exported['xlsx_bytes'] / 1e6:.1f} MB)",
            f"{exported['xlsx_s']:.2f} s",
            f"plain JSON list {exported['json_s']:.2f} s (aim < 5 s)",
        ),
        *rows_of(f"padded city ({added + args.elevators:,} lifts)", padded),
    ]
    report(
        "console",
        rows,
        {
            "elevators": args.elevators,
            "years": args.years,
            "seed_s": seed_s,
            "demo": demo,
            "demo_counts": demo_counts,
            "padded_rows_added": added,
            "padded_counts": padded_counts,
            "export": exported,
            "padded": padded,
            "worst_page_p99_ms": worst,
        },
    )


if __name__ == "__main__":
    main()
