"""Read API of the verifiable log: checkpoint, key, entries, proofs (domain-free)."""

from __future__ import annotations

import base64
import logging
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from api.deps import LogDep
from api.problems import Problem, problem_responses
from ledger.log import LogError
from ledger.log_source import MAX_PAGE
from ledger.stored_entries import stored_at, stored_range

#: Where damaged entries are reported (the same logger as api.node's integrity alarms; not
#: imported from there: this router is domain-free).
INTEGRITY_LOG = logging.getLogger("elevator_ledger.integrity")

router = APIRouter(prefix="/v1/log", tags=["log"])
TEXT = "text/plain; charset=utf-8"
MAX_INDEX = 2**63 - 1
SizeQuery = Annotated[
    int | None, Query(ge=1, le=MAX_INDEX, description="tree size; default: latest checkpoint")
]


class InclusionProof(BaseModel):
    index: int
    size: int
    leaf_hash: str = Field(description="base64 RFC 6962 leaf hash of the entry")
    proof: list[str] = Field(description="base64 hashes, leaf to root (RFC 9162 §2.1.3)")


class ConsistencyProof(BaseModel):
    old: int
    size: int
    proof: list[str] = Field(description="base64 hashes (RFC 9162 §2.1.4)")


def _b64(items: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in items]


def _range_problem(exc: LogError) -> Problem:
    return Problem(400, "out-of-range", "Out of range", str(exc))


@router.get(
    "/checkpoint",
    response_class=Response,
    responses={200: {"content": {TEXT: {}}}, **problem_responses((503, "no checkpoint yet"))},
)
def checkpoint(log: LogDep) -> Response:
    """The latest signed checkpoint (C2SP tlog-checkpoint in a signed note)."""
    try:
        note = log.latest_checkpoint().note
    except LogError as exc:
        raise Problem(503, "no-checkpoint", "No checkpoint yet", str(exc)) from exc
    return Response(note, media_type=TEXT, headers={"Cache-Control": "no-cache"})


@router.get("/key", response_class=Response, responses={200: {"content": {TEXT: {}}}})
def key(log: LogDep) -> Response:
    """The log's verifier key, ``name+keyid+base64(0x01||public key)``."""
    return Response(log.signer.verifier.text() + "\n", media_type=TEXT)


JSON_LINES = "application/jsonl"


@router.get(
    "/entries",
    response_class=Response,
    responses={200: {"content": {JSON_LINES: {}}}, **problem_responses(404, 422)},
)
def entry_range(
    log: LogDep,
    start: Annotated[int, Query(ge=0, le=MAX_INDEX, description="index of the first entry")],
    count: Annotated[int, Query(ge=1, le=MAX_PAGE)] = MAX_PAGE,
) -> Response:
    """Up to ``count`` consecutive entries from ``start``, one per line, each line exactly an
    entry's stored bytes (canonical JSON holds no line break): what ``verify URL`` reads, a page
    per request instead of an entry per request. A full page never changes."""
    size = log.size()
    if start >= size:
        raise Problem(404, "no-such-entry", "No such entry", f"the log holds {size} entries")
    end = min(size, start + count)
    rows = stored_range(log.engine, start, end)
    body = b"".join(row.data + b"\n" for row in rows)
    damaged = [row.index for row in rows if not row.intact]
    if damaged:
        return Response(body, media_type=JSON_LINES, headers=_damaged(damaged))
    full = end - start == count
    cache = "public, max-age=31536000, immutable" if full else "no-cache"
    return Response(body, media_type=JSON_LINES, headers={"Cache-Control": cache})


#: Names the entries of a response whose stored bytes do not match their stored leaf hash.
DAMAGED_HEADER = "Ledger-Damaged-Entries"


def _damaged(indices: list[int]) -> dict[str, str]:
    """What is stored, served as it is (a verifier must see it to name it), but never as
    immutable: never cached, and each damaged entry named (and raised as an alarm)."""
    INTEGRITY_LOG.critical(
        "log entries whose stored bytes do not match their leaf hash: %s",
        ", ".join(map(str, indices)),
    )
    return {"Cache-Control": "no-store", DAMAGED_HEADER: ", ".join(map(str, indices))}


@router.get(
    "/entries/{index}",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}, **problem_responses(404, 422)},
)
def entry(log: LogDep, index: Annotated[int, Path(ge=0, le=MAX_INDEX)]) -> Response:
    """The entry's exact stored bytes, the preimage of its leaf hash."""
    stored = stored_at(log.engine, index)
    if stored is None:
        raise Problem(404, "no-such-entry", "No such entry", f"no entry at index {index}")
    headers = (
        {"Cache-Control": "public, max-age=31536000, immutable"}
        if stored.intact
        else _damaged([index])
    )
    return Response(stored.data, media_type="application/json", headers=headers)


@router.get(
    "/proof/inclusion",
    response_model=InclusionProof,
    responses=problem_responses((400, "index or size out of range"), 422),
)
def inclusion(
    log: LogDep,
    index: Annotated[int, Query(ge=0, le=MAX_INDEX)],
    size: Annotated[
        int | None, Query(ge=1, le=MAX_INDEX, description="default: latest checkpoint")
    ] = None,
) -> InclusionProof:
    """Proof that entry ``index`` is in the tree of ``size`` entries."""
    size = log.latest_checkpoint().size if size is None else size
    try:
        proof = log.inclusion_proof(index, size)
        leaf = log.leaf_hash(index)
    except LogError as exc:
        raise _range_problem(exc) from exc
    return InclusionProof(index=index, size=size, leaf_hash=_b64([leaf])[0], proof=_b64(proof))


@router.get(
    "/proof/consistency",
    response_model=ConsistencyProof,
    responses=problem_responses((400, "old or size out of range"), 422),
)
def consistency(
    log: LogDep,
    old: Annotated[int, Query(ge=1, le=MAX_INDEX)],
    size: Annotated[
        int | None, Query(ge=1, le=MAX_INDEX, description="default: latest checkpoint")
    ] = None,
) -> ConsistencyProof:
    """Proof that the tree of ``old`` entries is a prefix of the tree of ``size``."""
    size = log.latest_checkpoint().size if size is None else size
    try:
        proof = log.consistency_proof(old, size)
    except LogError as exc:
        raise _range_problem(exc) from exc
    return ConsistencyProof(old=old, size=size, proof=_b64(proof))
