"""Onboarding an enterprise (/console/onboarding): statements prepared for offline signing,
envelopes accepted back.

The authority's key never reaches the server. Step one (``POST /console/onboarding/prepare``)
checks the form and answers with the unsigned statements — organization registered, roles,
licences, the enterprise's first public key — as JSON Lines to download (a ``data:`` link: the
file lives in the answer, nothing is kept on the server) with the commands that sign them
offline. Step two (``POST /console/onboarding/submit``) takes the signed envelopes back, as a
file or pasted, and submits them through the ledger's write path (``LedgerService
.submit_batch``, as ``POST /v1/statements/batch`` does), showing each one's receipt or refusal.
Preparing writes nothing; submitting the same envelopes again is answered with their receipts
(the ledger's duplicate answer)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from api.console.onboarding_forms import (
    FIELD_LABELS,
    LICENCE_LABELS,
    LICENCE_ROWS,
    ROLE_LABELS,
    TYPE_LABELS,
    Outcome,
    UploadUnreadable,
    data_url,
    issuers,
    ledger_problems,
    peek,
    read_upload,
    refusal_here,
    registered_districts,
    scope_problems,
)
from api.deps import NodeDep
from api.node import LedgerNode
from api.web.identity import StaffUser
from api.web.render import page
from api.web.session import ConsoleFormUserDep, ConsoleUserDep
from domain.model.errors import Rejected
from domain.model.onboarding_request import (
    LicenceFields,
    OnboardingFields,
    OnboardingInvalid,
    PrivateKeyGiven,
    check_request,
    missing_licences,
    parse_public_key,
    prepare,
    to_json_lines,
)

router = APIRouter(include_in_schema=False)
#: What an upload may hold (the route reads no more).
MAX_UPLOAD_BYTES = 60 * 1024
Texts = Annotated[list[str], Form()]


def _now(node: LedgerNode) -> datetime:
    return datetime.now(node.settings.zone).replace(microsecond=0)


def _form_page(
    request: Request,
    node: LedgerNode,
    user: StaffUser,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    private_key: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    today = _now(node).date()
    values = values or {"valid_from": today.isoformat(), "roles": [], "licences": []}
    licences = list(values.get("licences", []))
    licences += [LicenceFields("", "", "", today.isoformat(), "")] * (LICENCE_ROWS - len(licences))
    return page(
        request,
        "console/onboarding.html",
        user,
        status_code=status_code,
        values=values,
        licences=licences,
        errors=errors or {},
        private_key=private_key,
        issuers=issuers(node, user, today),
        roles=ROLE_LABELS,
        licence_kinds=LICENCE_LABELS,
        field_labels=FIELD_LABELS,
    )


@router.get("/console/onboarding", response_class=HTMLResponse)
def onboarding_form(request: Request, user: ConsoleUserDep, node: NodeDep) -> HTMLResponse:
    """The onboarding form, empty."""
    return _form_page(request, node, user)


@router.post("/console/onboarding/prepare", response_class=HTMLResponse)
def prepare_statements(
    request: Request,
    user: ConsoleFormUserDep,
    node: NodeDep,
    issuer: Annotated[str, Form()] = "",
    uscc: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    district: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    legal_representative: Annotated[str, Form()] = "",
    valid_from: Annotated[str, Form()] = "",
    public_key: Annotated[str, Form()] = "",
    roles: Texts = [],  # noqa: B006 - FastAPI copies form defaults
    licence_kind: Texts = [],  # noqa: B006
    licence_number: Texts = [],  # noqa: B006
    licence_scope: Texts = [],  # noqa: B006
    licence_from: Texts = [],  # noqa: B006
    licence_to: Texts = [],  # noqa: B006
) -> HTMLResponse:
    """The unsigned statements for the authority's offline signing tool (nothing written), or
    the form again with each problem beside its field."""
    licences = [
        LicenceFields(*row)
        for row in zip(
            licence_kind, licence_number, licence_scope, licence_from, licence_to, strict=False
        )
    ]
    fields = OnboardingFields(
        issuer, uscc, name, district, address, legal_representative, roles, licences,
        public_key, valid_from,
    )  # fmt: skip
    values = {**fields.__dict__, "public_key": public_key}
    try:
        parse_public_key(public_key)
    except PrivateKeyGiven:  # never kept, never shown again
        values["public_key"] = ""
        problems = {"public_key": "这是私钥，已拒收：系统未保存、也不会显示它"}
        return _form_page(request, node, user, values, problems, True, 422)
    except ValueError:
        pass  # reported with the other fields
    problems = scope_problems(node, user, fields)
    try:
        checked = check_request(fields)
        problems |= ledger_problems(node, user, checked)
        if problems:
            raise OnboardingInvalid(problems)
        statements = prepare(checked, _now(node))
    except OnboardingInvalid as exc:
        errors = exc.errors | problems
        return _form_page(request, node, user, values, errors, False, 422)
    content = to_json_lines(statements)
    file_name = f"onboarding-{checked.uscc}.jsonl"
    return page(
        request,
        "console/onboarding_prepared.html",
        user,
        request_=checked,
        statements=statements,
        type_labels=TYPE_LABELS,
        roles=ROLE_LABELS,
        licence_kinds=LICENCE_LABELS,
        missing=missing_licences(checked),
        content=content.decode(),
        download=data_url(content),
        file_name=file_name,
        signed_name=f"signed-{checked.uscc}.jsonl",
        authority=checked.issuer == node.anchor.uscc,
    )


@router.post("/console/onboarding/submit", response_class=HTMLResponse)
async def submit_envelopes(
    request: Request,
    user: ConsoleFormUserDep,
    node: NodeDep,
    envelopes: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    """Each signed envelope through the ledger's write path; each one's receipt or refusal."""
    data = envelopes.encode()
    if file is not None and file.filename:
        data = await file.read(MAX_UPLOAD_BYTES + 1)
    try:
        if len(data) > MAX_UPLOAD_BYTES:
            raise UploadUnreadable(f"文件超过 {MAX_UPLOAD_BYTES // 1024} KiB，不像是入驻声明")
        items = read_upload(data)
    except UploadUnreadable as exc:
        return page(request, "console/onboarding_results.html", user, 400, error=str(exc))
    outcomes = await run_in_threadpool(_submit, node, user, items)
    accepted = sum(1 for o in outcomes if o.receipt)
    return page(
        request,
        "console/onboarding_results.html",
        user,
        outcomes=outcomes,
        accepted=accepted,
        organizations=sorted({o.organization for o in outcomes if o.receipt and o.organization}),
    )


def _submit(node: LedgerNode, user: StaffUser, items: list[dict[str, Any]]) -> list[Outcome]:
    """The envelopes this page takes, submitted as one batch; the others refused here."""
    statements = [peek(item) for item in items]
    districts = registered_districts(statements)
    outcomes: list[Outcome] = []
    batch: list[tuple[Outcome, dict[str, Any]]] = []
    for number, (item, stmt) in enumerate(zip(items, statements, strict=True), 1):
        outcome = Outcome(number)
        if stmt is not None:
            outcome.type, outcome.organization = stmt.get("type"), stmt.get("organization")
        why = refusal_here(node, user, stmt, districts)
        if why is not None:
            outcome.rule, outcome.message = "not-onboarding", why
        else:
            batch.append((outcome, item))
        outcomes.append(outcome)
    if batch:
        try:
            results = node.service.submit_batch([item for _, item in batch])
        except Rejected as exc:  # the whole batch: writers kept colliding, or writes stopped
            results = [exc] * len(batch)
        for (outcome, _), result in zip(batch, results, strict=True):
            if isinstance(result, Rejected):
                outcome.rule = str(result.extra.get("rule") or result.slug)
                outcome.message = f"{result.title}: {result.detail}"
            else:
                outcome.receipt = result.to_json()
    return outcomes
