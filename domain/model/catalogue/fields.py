"""Building blocks of the ``data`` models: the strict base model, constrained field types, and
the personal field types (a value, or the digest it is signed as when concealed)."""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from domain.model.catalogue.visible import MULTILINE
from domain.model.identifiers import validate_factory_serial


class DataModel(BaseModel):
    """Base of every ``data`` model: unknown fields rejected, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


#: A reference number or id (contract, report, visit, decision...): 1..64 characters, one line,
#: no surrounding whitespace.
Ref = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^\S(?:.*\S)?$")]
#: A name (organization, model, person): 1..200 characters, one line, no surrounding whitespace.
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^\S(?:.*\S)?$")]
#: Free text: 1..2000 characters, not blank; may hold tab, line feed and carriage return.
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"\S"), MULTILINE]
#: Money in yuan, exact to the fen.
Yuan = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2)]
Count = Annotated[int, Field(ge=0)]
FactorySerial = Annotated[str, AfterValidator(validate_factory_serial)]


def _ed25519_public_key(s: str) -> str:
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("public_key must be standard base64") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key is 32 raw bytes, got {len(raw)}")
    return s


Ed25519PublicKey = Annotated[str, AfterValidator(_ed25519_public_key)]


class Concealed(DataModel):
    """A personal field as signed: the digest of its disclosure (:mod:`ledger.disclosure`)."""

    concealed: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{43}$")]


_PERSONAL = (
    'Personal: the signed statement carries {"concealed": <digest>} and the value travels '
    "beside the envelope as a disclosure (docs/integration.md, section 3)."
)
#: A person's name or contact, signed concealed; the ledger checks the disclosed value as Name.
PersonalName = Annotated[Name | Concealed, Field(description=_PERSONAL)]
#: A personal reference (e.g. a certificate number), signed concealed; the value checked as Ref.
PersonalRef = Annotated[Ref | Concealed, Field(description=_PERSONAL)]


def require_unique(items: list[Any], what: str) -> None:
    """A model validator's check: ``what`` (e.g. "item codes") lists no value twice."""
    if len(set(items)) != len(items):
        raise ValueError(f"{what} must not repeat")
