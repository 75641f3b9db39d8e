"""The write API: signed statements in, signed receipts out."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api import rejection_log
from api.deps import NodeDep
from api.node import LedgerNode
from api.problems import Problem, problem_responses
from api.rejections import problem_of
from domain.application.service import Receipt
from domain.model.errors import Rejected
from ledger.dsse import MAX_SIGNATURES, EnvelopeError, json_values_bound, strict_json

router = APIRouter(prefix="/v1/statements", tags=["statements"])
envelopes = APIRouter(prefix="/v1/envelopes", tags=["statements"])
MAX_BATCH = 1000
MAX_BODY = 64 * 1024
#: A batch's envelopes average at most this (a typical one is 1 to 2 KiB; one alone may be 64).
BATCH_AVERAGE = 16 * 1024
#: The batch's byte bound, from its count bound: 1,000 envelopes of 16 KiB, 16,384,000 bytes.
MAX_BATCH_BODY = MAX_BATCH * BATCH_AVERAGE
#: JSON values a batch may hold, on average per envelope: a submission has at most ~34 (an
#: envelope, 8 signatures of two members each, the wrapper and 4 disclosures), so a body of
#: many tiny values is refused before parsing allocates for each (``json_values_bound``).
VALUES_PER_ENVELOPE = 64
MAX_BATCH_VALUES = MAX_BATCH * VALUES_PER_ENVELOPE
#: What each write route reads at most, counted as the body streams in (api/body_limit.py);
#: every other request's body is held to MAX_BODY.
BODY_LIMITS = {
    "/v1/statements": MAX_BODY,
    "/v1/statements/batch": MAX_BATCH_BODY,
    "/v1/envelopes/verify": MAX_BODY,
}
SUBMIT_TIMEOUT = 120  # seconds a submission may wait for the group committer


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


ENVELOPE_REF = {"$ref": "#/components/schemas/EnvelopeModel"}
SUBMISSION_REF = {"$ref": "#/components/schemas/SubmissionModel"}
#: What POST /v1/statements takes: a bare envelope, or one with disclosures (personal fields).
SUBMITTED = {"oneOf": [ENVELOPE_REF, SUBMISSION_REF]}


class SignatureModel(BaseModel):
    keyid: str = Field(description="the registered key's id (hex SHA-256 of algorithm and key)")
    sig: str = Field(description="base64 Ed25519 signature over PAE(payloadType, payload)")


class EnvelopeModel(BaseModel):
    """A DSSE v1 envelope; ``payload`` is base64 of a canonical-JSON Statement."""

    payloadType: str = Field(examples=["application/vnd.elevator-ledger.statement+json"])
    payload: str
    signatures: list[SignatureModel] = Field(min_length=1, max_length=MAX_SIGNATURES)


class SubmissionModel(BaseModel):
    """An envelope whose statement has personal fields, signed concealed, and their values."""

    envelope: EnvelopeModel
    disclosures: list[str] = Field(
        max_length=32,
        description="RFC 9901-encoded disclosures (base64url of [salt, field name, value]), one "
        'per {"concealed": digest} field of the statement',
    )


class ReceiptModel(BaseModel):
    entry_hash: str = Field(description="hex RFC 6962 leaf hash of the ledger entry")
    subject: str
    version: int = Field(description="position in the subject's hash chain (1-based)")
    log_index: int
    recorded_at: str
    type: str
    late: bool = Field(description="recorded later than the type's policy allows after it occurred")
    duplicate: bool = Field(
        description="the same statement was accepted before; this is its receipt"
    )
    promise: str = Field(description="signed note by the log key over the receipt fields")
    inclusion_proof: str = Field(description="c2sp.org/tlog-proof@v1 with the signed checkpoint")


class SignerModel(BaseModel):
    key_id: str
    owner: str = Field(description="USCC of the organization the key belongs to")
    bound_elevator: str | None = None
    revoked_at: str | None = None


class VerifyResult(BaseModel):
    signers: list[SignerModel]


class BatchItem(BaseModel):
    accepted: bool
    receipt: ReceiptModel | None = None
    problem: dict[str, Any] | None = None


class BatchResult(BaseModel):
    accepted: int
    rejected: int
    results: list[BatchItem]


async def _file_refusals(node: LedgerNode, results: list[Receipt | Rejected]) -> None:
    """File the refusals reached after the signatures verified under their signers (the
    enterprise desk's rejected submissions, api/rejection_log.py); nothing to do, and no
    thread taken, when there are none."""
    refusals = rejection_log.attributed(results)
    if refusals:
        await run_in_threadpool(rejection_log.of_node(node).record, refusals)


def _receipt(r: Receipt) -> ReceiptModel:
    return ReceiptModel(**r.to_json())


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def _body(request: Request, limit: int) -> bytes:
    """The body, JSON by its content type if it names one; its size is held to ``limit``
    while it streams in by :class:`api.body_limit.BodyLimit` (checked here too, for an app
    mounted without it)."""
    content_type = request.headers.get("content-type")
    if content_type is not None and not _is_json(content_type):
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"the body must be application/json, not {content_type}",
        )
    body = await request.body()
    if len(body) > limit:
        raise Problem(413, "too-large", "Request too large", f"body exceeds {limit} bytes")
    return body


@router.post(
    "",
    status_code=201,
    response_model=ReceiptModel,
    openapi_extra=_json_body(SUBMITTED),
    responses={
        200: {"model": ReceiptModel, "description": "a replay: the original receipt"},
        **problem_responses(
            (400, "malformed envelope, or a payload that is not canonical JSON"),
            (401, "no signature verifies under a registered key"),
            (403, "the signer may not say this"),
            (409, "prev is not the chain head"),
            (413, "envelope over 64 KiB"),
            (415, "a content type other than application/json"),
            (422, "invalid statement, or one breaking a ledger rule"),
            (
                503,
                "concurrent writers kept colliding (retry), or writes stopped (log-tampered,"
                " event-store-disagrees)",
            ),
        ),
    },
)
async def submit(request: Request, node: NodeDep) -> Any:
    """Submit one signed statement: a DSSE envelope, or ``{"envelope", "disclosures"}`` when
    the statement has personal fields (docs/integration.md, section 3)."""
    body = await _body(request, MAX_BODY)
    # The group committer's writer thread does the work; waiting for it holds no thread.
    done = asyncio.wrap_future(node.committer.enqueue(body))
    try:
        result = await asyncio.wait_for(done, timeout=SUBMIT_TIMEOUT)
    except Rejected as exc:  # the whole group: writers kept colliding, or writes stopped
        raise problem_of(exc) from exc
    if isinstance(result, Rejected):
        await _file_refusals(node, [result])
        raise problem_of(result) from result
    return Response(
        orjson.dumps(result.to_json()),  # the ReceiptModel's fields, in its order
        status_code=200 if result.duplicate else 201,
        media_type="application/json",
    )


@router.post(
    "/batch",
    response_model=BatchResult,
    openapi_extra=_json_body({"type": "array", "items": SUBMITTED, "maxItems": MAX_BATCH}),
    responses=problem_responses(
        (400, "not a JSON array of envelope objects"),
        (413, "over 16,384,000 bytes, or not 1 to 1,000 envelopes"),
        (415, "a content type other than application/json"),
        (
            503,
            "concurrent writers kept colliding (retry), or writes stopped (log-tampered,"
            " event-store-disagrees)",
        ),
    ),
)
async def submit_batch(request: Request, node: NodeDep) -> BatchResult:
    """Submit up to 1,000 envelopes; each is accepted or rejected on its own, the accepted
    ones are committed together."""
    body = await _body(request, MAX_BATCH_BODY)
    if json_values_bound(body) > MAX_BATCH_VALUES:
        raise Problem(
            413,
            "batch-too-large",
            "Batch too large",
            f"more JSON values than {MAX_BATCH} envelopes hold (at most {MAX_BATCH_VALUES})",
        )
    try:  # duplicate keys anywhere make the whole body malformed, as a syntax error does
        envelopes = await run_in_threadpool(strict_json, body)
    except EnvelopeError as exc:
        raise Problem(400, "malformed-batch", "Malformed batch", str(exc)) from exc
    if not isinstance(envelopes, list) or not all(isinstance(e, dict) for e in envelopes):
        raise Problem(
            400, "malformed-batch", "Malformed batch", "expected a JSON array of envelopes"
        )
    if not 1 <= len(envelopes) <= MAX_BATCH:
        raise Problem(413, "batch-too-large", "Batch too large", f"1 to {MAX_BATCH} envelopes")
    try:
        results = await run_in_threadpool(node.service.submit_batch, envelopes)
    except Rejected as exc:  # the whole batch: writers kept colliding, or writes stopped
        raise problem_of(exc) from exc
    await _file_refusals(node, results)
    items = [
        BatchItem(accepted=False, problem=problem_of(r).body(""))
        if isinstance(r, Rejected)
        else BatchItem(accepted=True, receipt=_receipt(r))
        for r in results
    ]
    accepted = sum(1 for i in items if i.accepted)
    return BatchResult(accepted=accepted, rejected=len(items) - accepted, results=items)


@envelopes.post(
    "/verify",
    response_model=VerifyResult,
    openapi_extra=_json_body(ENVELOPE_REF),
    responses=problem_responses(
        (400, "malformed envelope"),
        (401, "no signature verifies under a registered key"),
        (413, "envelope over 64 KiB"),
        (415, "a content type other than application/json"),
    ),
)
async def verify(request: Request, node: NodeDep) -> VerifyResult:
    """Check an envelope's signatures against registered keys without submitting it."""
    body = await _body(request, MAX_BODY)
    try:
        keys = await run_in_threadpool(node.app.verify_envelope, body)
    except Rejected as exc:
        raise problem_of(exc) from exc
    return VerifyResult(
        signers=[
            SignerModel(
                key_id=k.key_id,
                owner=k.owner,
                bound_elevator=k.bound_elevator,
                revoked_at=k.revoked_at.isoformat() if k.revoked_at else None,
            )
            for k in keys
        ]
    )
