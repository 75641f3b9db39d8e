"""A submission read into a statement: the DSSE envelope (strict), the disclosures beside it,
and the payload parsed and validated against its type's schema. Pure: needs no ledger state,
so the write path, the pre-verifier and re-verification read submissions the same way."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

import orjson
from pydantic import ValidationError

from domain.model.catalogue import Statement, statement_type
from domain.model.errors import InvalidStatement, MalformedEnvelope, NonCanonicalPayload
from ledger.canonical import is_canonical
from ledger.dsse import (
    MAX_ENVELOPE_BYTES,
    Envelope,
    EnvelopeError,
    b64decode_any,
    envelope_json,
    parse_envelope,
)

STATEMENT_PAYLOAD_TYPE = "application/vnd.elevator-ledger.statement+json"


def statement_of(entry: str | dict[str, Any]) -> Statement:
    """The statement inside an entry (already verified when the entry was accepted)."""
    doc = orjson.loads(entry) if isinstance(entry, str) else entry
    return parse_payload(doc["envelope"]["payload"])


@functools.lru_cache(maxsize=8192)
def parse_payload(payload_b64: str) -> Statement:
    """Parsed once: accepting a statement and applying its event read the same payload.
    Raises pydantic's ValidationError for an invalid statement (not cached)."""
    return Statement.model_validate_json(b64decode_any(payload_b64))


def parse_submission(raw: bytes | Mapping[str, Any]) -> tuple[Envelope, dict[str, Any], list[Any]]:
    """The envelope (strict: at most 64 KiB, no duplicate keys), its JSON as received, and the
    disclosures beside it: a submission is a bare envelope, or ``{"envelope", "disclosures"}``
    when the statement has personal fields (:mod:`domain.model.personal`)."""
    try:
        if isinstance(raw, bytes | bytearray):
            doc = envelope_json(bytes(raw))  # parsed once, duplicate keys refused
        elif isinstance(raw, Mapping):
            doc = dict(raw)
            try:  # e.g. nested deeper than orjson writes, or a value that is not JSON
                size = len(orjson.dumps(doc))
            except orjson.JSONEncodeError as exc:
                raise EnvelopeError(f"envelope is not JSON: {exc}") from None
            if size > MAX_ENVELOPE_BYTES:
                raise EnvelopeError(f"envelope exceeds {MAX_ENVELOPE_BYTES} bytes")
        else:
            raise EnvelopeError("envelope must be a JSON object")
        doc, disclosures = _unwrap(doc)
        envelope = parse_envelope(doc, accepted_types=[STATEMENT_PAYLOAD_TYPE])
    except EnvelopeError as exc:
        raise MalformedEnvelope(str(exc)) from exc
    return envelope, doc, disclosures


def _unwrap(doc: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """The envelope and disclosures of a submission (a bare envelope has none)."""
    if "envelope" not in doc:
        return doc, []
    unknown = sorted(set(doc) - {"envelope", "disclosures"})
    if unknown:
        raise EnvelopeError(f"unknown submission field(s): {', '.join(unknown)}")
    envelope, disclosures = doc["envelope"], doc.get("disclosures", [])
    if not isinstance(envelope, dict):
        raise EnvelopeError("envelope must be a JSON object")
    if not isinstance(disclosures, list):
        raise EnvelopeError("disclosures must be a JSON array of strings")
    return envelope, disclosures


#: How RFC 8785 writes a C0 control character other than tab, line feed and carriage return
#: (``\b``, ``\f``, ``\u00XX``); a match may also be an escaped backslash followed by text, so
#: the strings are then looked at one by one.
#: Dates and instants are written as RFC 3339 says (pydantic would also take a number, or a
#: string of digits, as seconds since 1970), in these years: older or later ones are typing
#: errors, and near the ends of Python's range an offset pushes an instant out of it.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})"
)
YEARS = range(1900, 2200)
DATE_MSG = {
    "date": "a date written YYYY-MM-DD is expected",
    "date-time": "an RFC 3339 instant with an offset is expected, e.g. 2025-03-01T14:05:00+08:00",
}
YEARS_MSG = f"a date in the years {YEARS.start} to {YEARS.stop - 1} is expected"


def parse_statement(payload: bytes, payload_b64: str) -> Statement:
    """The statement in a verified envelope's payload: canonical JSON, valid against its
    type's schema (every string visible text, :mod:`domain.model.catalogue.visible`, which also
    refuses NUL, which PostgreSQL cannot even store in a text), dates as RFC 3339 says. Needs
    no ledger state. (Parsing on the signature pool as well was tried: the pool's one worker
    then fell behind the judge, and batches got slower.)"""
    if not is_canonical(payload):
        raise NonCanonicalPayload("the payload must be RFC 8785 canonical JSON")
    doc = orjson.loads(payload)
    try:
        stmt = parse_payload(payload_b64)
    except ValidationError as exc:
        invalid(
            [{"loc": ".".join(str(p) for p in e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        )
    errors = []
    for path, kind in _date_paths(stmt.type):
        for loc, value in _values_at(doc, path, ""):
            if not (
                isinstance(value, str) and (_DATE if kind == "date" else _INSTANT).fullmatch(value)
            ):
                errors.append({"loc": loc, "msg": DATE_MSG[kind]})
            elif int(value[:4]) not in YEARS:
                errors.append({"loc": loc, "msg": YEARS_MSG})
    if errors:
        invalid(errors)
    return stmt


def invalid(errors: list[dict[str, str]]) -> NoReturn:
    first = errors[0]
    raise InvalidStatement(f"{first['loc']}: {first['msg']}", errors=errors)


@functools.cache
def _date_paths(type_name: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """Where a statement of this type has dates and instants ("*": every item of a list), and
    which ("date" or "date-time"), read from the JSON Schema of its data model."""
    schema = statement_type(type_name).data_model.model_json_schema()
    defs = schema.get("$defs", {})

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
        if "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[1]]
        if node.get("format") in DATE_MSG:
            yield path, node["format"]
            return
        for sub in (*node.get("anyOf", ()), *node.get("oneOf", ()), *node.get("allOf", ())):
            yield from walk(sub, path)
        for name, sub in node.get("properties", {}).items():
            yield from walk(sub, (*path, name))
        if isinstance(node.get("items"), dict):
            yield from walk(node["items"], (*path, "*"))

    return ((("occurred_at",), "date-time"), *walk(schema, ("data",)))


def _values_at(doc: Any, path: tuple[str, ...], loc: str) -> Iterator[tuple[str, Any]]:
    """The values in parsed JSON at ``path`` (absent or null ones left out), with where."""
    if not path:
        if doc is not None:
            yield loc, doc
    elif path[0] == "*":
        for i, item in enumerate(doc if isinstance(doc, list) else ()):
            yield from _values_at(item, path[1:], _join(loc, i))
    elif isinstance(doc, dict) and path[0] in doc:
        yield from _values_at(doc[path[0]], path[1:], _join(loc, path[0]))


def _join(loc: str, part: str | int) -> str:
    return f"{loc}.{part}" if loc else str(part)
