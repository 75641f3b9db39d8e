"""The OpenAPI document describes every statement type, generated from the catalogue."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.problems import MEDIA_TYPE, PROBLEM_REF, ProblemDocument
from api.statement_routes import EnvelopeModel, SubmissionModel
from domain.model.catalogue import CATALOGUE, Statement, StatementType

REF = "#/components/schemas/{model}"


def describe(st: StatementType) -> str:
    """Who may sign a type, in one line (also used by docs/integration.md)."""
    parts = [f"`data` of a `{st.name}` statement ({st.summary_zh})."]
    parts.append("Signed by: " + ", ".join(sorted(st.signer_roles)) + ".")
    if st.cosigner_roles:
        parts.append("Co-signed by: " + ", ".join(sorted(st.cosigner_roles)) + ".")
    if st.licence:
        parts.append(f"Licence: {st.licence}.")
    if st.terminal_may_sign:
        parts.append("An IoT terminal bound to the elevator may sign.")
    if st.personal_fields:
        parts.append("Personal, never public: " + ", ".join(st.personal_fields) + ".")
    return " ".join(parts)


def statement_schemas() -> dict[str, Any]:
    """JSON Schemas: Statement, AnyStatement, and one schema per catalogue type named after its
    data model (e.g. ``MaintenancePerformed``), with their parts."""
    schemas: dict[str, Any] = {}
    variants = []
    for st in CATALOGUE.values():
        schema = st.data_model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        name = st.data_model.__name__
        schema["description"] = describe(st)
        schemas[name] = schema
        variants.append(
            {
                "title": st.name,
                "allOf": [{"$ref": REF.format(model="Statement")}],
                "properties": {
                    "type": {"const": st.name},
                    "data": {"$ref": REF.format(model=name)},
                },
            }
        )
    statement = Statement.model_json_schema(ref_template=REF)
    schemas.update(statement.pop("$defs", {}))
    schemas["Statement"] = statement
    schemas["AnyStatement"] = {
        "description": "The payload of an envelope: one statement of a catalogue type.",
        "oneOf": variants,
    }
    return schemas


def _problems_everywhere(doc: dict[str, Any]) -> None:
    """Every error the API answers is problem+json (api/problems.py): say so for each 4xx and
    5xx response, including FastAPI's own 422 (which it documents as ``HTTPValidationError`` in
    ``application/json``), and drop the validation-error schemas nothing refers to any more."""
    problem = {MEDIA_TYPE: {"schema": PROBLEM_REF}}
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if str(status)[0] in "45":
                    response["content"] = problem
    for unused in ("HTTPValidationError", "ValidationError"):
        doc["components"]["schemas"].pop(unused, None)


def install(app: FastAPI) -> None:
    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = doc.setdefault("components", {}).setdefault("schemas", {})
        components.update(statement_schemas())
        envelope = EnvelopeModel.model_json_schema(ref_template=REF)
        components.update(envelope.pop("$defs", {}))
        components["EnvelopeModel"] = envelope
        submission = SubmissionModel.model_json_schema(ref_template=REF)
        submission.pop("$defs", None)  # the envelope's, installed just above
        components["SubmissionModel"] = submission
        components["Problem"] = ProblemDocument.model_json_schema(ref_template=REF)
        _problems_everywhere(doc)
        app.openapi_schema = doc
        return doc

    app.openapi = custom_openapi  # type: ignore[method-assign]
