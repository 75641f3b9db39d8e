"""``data`` models of the trust statements, whose subject is an organization: its registration,
roles, licences and keys."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from domain.model.catalogue.fields import (
    DataModel,
    Ed25519PublicKey,
    Name,
    PersonalName,
    Ref,
    Text,
    require_unique,
)
from domain.model.identifiers import AreaCode, EquipmentCode, LicenceScope
from domain.model.roles import LicenceKind, Role


class OrgRegistered(DataModel):
    name: Name
    district: AreaCode
    address: Text
    legal_representative: PersonalName


class OrgRoleGranted(DataModel):
    role: Role
    valid_from: date
    valid_to: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to must not be before valid_from")
        return self


class OrgRoleRevoked(DataModel):
    role: Role
    reason: Text | None = None


class OrgLicenceGranted(DataModel):
    kind: LicenceKind
    number: Ref
    scope: Annotated[list[LicenceScope], Field(min_length=1)]  # varieties or classes
    valid_from: date
    valid_to: date

    @model_validator(mode="after")
    def _check(self) -> Self:
        require_unique(self.scope, "scope categories")
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to must not be before valid_from")
        return self


class OrgLicenceRevoked(DataModel):
    number: Ref
    reason: Text | None = None


class KeyRegistered(DataModel):
    key_id: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^\S+$")]
    algorithm: Literal["ed25519"]
    public_key: Ed25519PublicKey  # base64 of the raw 32-byte key
    bound_elevator: EquipmentCode | None = None  # set for IoT terminal keys


class KeyRevoked(DataModel):
    key_id: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^\S+$")]
    reason: Text
