"""``submit``: signed statements into this ledger directly, or into a server over HTTP, in
batches with a progress bar; each rejection reported, the receipts kept if asked."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import typer

from api import rejection_log
from api.cli.nodes import initialised_node
from api.cli.output import alert, fail, progress, say
from api.node import LedgerNode
from api.rejections import problem_of
from domain.model.errors import Rejected

#: Submissions per batch, whether submitted directly or in one HTTP request.
BATCH = 500


def submit(
    path: Annotated[Path, typer.Argument(help="an envelope, or JSON Lines of them; - for stdin")],
    url: Annotated[
        str | None, typer.Option(help="server URL; default: this ledger directly")
    ] = None,
    receipts: Annotated[Path | None, typer.Option(help="write receipts as JSON Lines here")] = None,
) -> None:
    """Submit signed statements, in batches, with a progress bar. Exits 1 if any was rejected."""
    items = list(_envelopes(path))
    if not items:
        fail(f"{path} holds no envelopes")
    sink = receipts.open("wb") if receipts else None
    rejected = 0
    ledger: AbstractContextManager[LedgerNode | None] = nullcontext() if url else initialised_node()
    try:
        with ledger as node, progress() as bar:
            task = bar.add_task("submitting", total=len(items))
            for start in range(0, len(items), BATCH):
                chunk = items[start : start + BATCH]
                for number, result in enumerate(_submit_chunk(chunk, url, node), start + 1):
                    if "problem" in result:
                        rejected += 1
                        _report_rejection(number, result["problem"])
                    elif sink:
                        sink.write(orjson.dumps(result["receipt"]) + b"\n")
                bar.advance(task, len(chunk))
    finally:
        if sink:
            sink.close()
    say(f"{len(items) - rejected} accepted, {rejected} rejected")
    if rejected:
        raise typer.Exit(1)


def _envelopes(path: Path) -> Iterator[dict[str, Any]]:
    """One submission (a JSON file: an envelope, or {"envelope", "disclosures"}) or a JSON Lines
    stream of them."""
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    try:
        single = orjson.loads(data)
    except orjson.JSONDecodeError:
        single = None
    if isinstance(single, dict):
        yield single
        return
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            fail(f"{path}:{number}: not JSON: {exc}")
        if not isinstance(item, dict):
            fail(f"{path}:{number}: an envelope is a JSON object")
        yield item


def _report_rejection(number: int, problem: dict[str, Any]) -> None:
    why = problem.get("rule") or str(problem["type"]).rsplit("/", 1)[-1]
    alert(f"#{number} rejected", f"({why}): {problem['detail']}")


def _submit_chunk(
    chunk: list[dict[str, Any]], url: str | None, node: LedgerNode | None
) -> list[dict[str, Any]]:
    if node is not None:
        try:
            results = node.service.submit_batch(chunk)
        except Rejected as exc:  # the whole chunk: writers kept colliding, or writes stopped
            fail(f"{exc.title}: {exc.detail}")
        refusals = rejection_log.attributed(results)
        if refusals:  # the signers see them on their desk, as over HTTP
            rejection_log.of_node(node).record(refusals)
        return [
            {"problem": problem_of(r).body("")}
            if isinstance(r, Rejected)
            else {"receipt": r.to_json()}
            for r in results
        ]
    assert url is not None
    try:
        endpoint = f"{url.rstrip('/')}/v1/statements/batch"
        response = httpx.post(endpoint, json=chunk, timeout=120)
    except httpx.HTTPError as exc:
        fail(f"cannot reach {url}: {exc}")
    if response.status_code != 200:
        fail(f"{url} answered {response.status_code}: {response.text[:200]}")
    return [
        {"receipt": i["receipt"]} if i["accepted"] else {"problem": i["problem"]}
        for i in response.json()["results"]
    ]
