"""Personal data in statements: concealed in what is signed and published, disclosed to the
ledger alone.

The catalogue names each type's personal fields (technicians' names and certificate numbers,
the safety manager who confirmed a visit, a complainant's contact, a legal representative).
Signers conceal them (:func:`conceal_statement`) and send the disclosures beside the envelope;
the ledger checks each disclosed value as strictly as any other field, keeps the disclosures for
regulators, and publishes the envelope, which holds only salted digests. PIPL's minimisation
(personal information handled only as far as the purpose needs) then holds for the public log
too, and each disclosed value still proves what its signer committed to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from pydantic import ValidationError

from domain.model.catalogue import Statement, statement_type, validate_data_json
from ledger.disclosure import Disclosure, DisclosureError, check_concealed, conceal, reveal

#: At most this many disclosures beside one envelope (a maintenance record needs four).
MAX_DISCLOSURES = 32


def conceal_statement(statement: Mapping[str, Any]) -> tuple[dict[str, Any], list[Disclosure]]:
    """The statement with its type's personal fields concealed, and their disclosures."""
    doc = dict(statement)
    paths = statement_type(str(doc["type"])).personal_fields
    if not paths or not isinstance(doc.get("data"), dict):
        return doc, []
    doc["data"], disclosures = conceal(doc["data"], paths)
    return doc, disclosures


def parse_disclosures(raw: Sequence[Any]) -> tuple[Disclosure, ...]:
    if len(raw) > MAX_DISCLOSURES:
        raise DisclosureError("disclosures", f"at most {MAX_DISCLOSURES} disclosures")
    return tuple(Disclosure.parse(d, f"disclosures[{i}]") for i, d in enumerate(raw))


def check_personal(
    stmt: Statement, disclosures: Sequence[Disclosure], required: bool = True
) -> list[dict[str, str]]:
    """The errors of a statement's personal fields, given the disclosures beside it.

    Every personal field present must be concealed. With ``required`` (a submission), every
    concealed field needs its disclosure and the disclosed values must be valid data for the
    type; without it (re-verifying the public log, which never holds the values), an absent
    set of disclosures only means the values are not checked again.
    """
    paths = stmt.statement_type.personal_fields
    if not paths and not disclosures:
        return []  # nothing personal in this type: nothing to reveal or re-validate
    try:
        if disclosures and not paths:
            raise DisclosureError("disclosures", f"{stmt.type} has no personal fields")
        if not disclosures and not required:
            check_concealed(stmt.data, paths, "data.")
            return []
        revealed = reveal(stmt.data, paths, disclosures, "data.")
    except DisclosureError as exc:
        return [{"loc": exc.loc, "msg": exc.message}]
    try:
        validate_data_json(stmt.statement_type.data_model, orjson.dumps(revealed))
    except ValidationError as exc:
        return [
            {"loc": "data." + ".".join(str(p) for p in e["loc"][:-1]), "msg": e["msg"]}
            if e["loc"][-1:] in _VALUE_BRANCH
            else {"loc": "data." + ".".join(str(p) for p in e["loc"]), "msg": e["msg"]}
            for e in exc.errors()
            if e["loc"][-1:] != ("Concealed",)  # a disclosed value is never the digest form
        ]
    return []


#: How pydantic names the value branch of PersonalName | PersonalRef in an error's location.
_VALUE_BRANCH = {("constrained-str",), ("str",)}


def revealed_data(stmt: Statement, disclosures: Sequence[str]) -> dict[str, Any]:
    """The statement's data with its personal values, for a regulator (values as disclosed)."""
    parsed = parse_disclosures(disclosures)
    data: dict[str, Any] = reveal(stmt.data, stmt.statement_type.personal_fields, parsed)
    return data
