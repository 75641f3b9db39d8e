"""The signed payload, :class:`Statement`, and its validation: the subject field its type needs,
``data`` validated as strict JSON against the type's model, and the consistency checks between
the envelope fields and ``data``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Annotated, Any, NoReturn, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import (
    InitErrorDetails,
    PydanticCustomError,
    PydanticSerializationError,
    to_json,
)

from domain.model.catalogue.elevator_data import (
    ElevatorManufactured,
    FaultReported,
    MaintenanceContractSigned,
    RegistrationChanged,
    RegistrationIssued,
)
from domain.model.catalogue.registry import (
    StatementType,
    Subject,
    UnknownStatementType,
    statement_type,
)
from domain.model.catalogue.visible import invisible_fields, surely_visible
from domain.model.identifiers import (
    CATEGORY_NAMES_ZH,
    LEGACY_CLASS_CODES,
    USCC,
    Category,
    EquipmentCode,
    category_of,
    class_of,
    is_escalator,
)

_VARIETIES = frozenset(c.value for c in Category)

Nonce = Annotated[str, StringConstraints(min_length=8, max_length=64, pattern=r"^[!-~]+$")]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


def _error(loc: tuple[str | int, ...], message: str, value: Any) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError("statement", message), loc=loc, input=value)


def _fail(errors: list[InitErrorDetails], title: str = "Statement") -> NoReturn:
    raise ValidationError.from_exception_data(title, errors)


def _validate_data(st: StatementType, data: dict[str, Any]) -> BaseModel:
    """Validate ``data`` as strict JSON against the type's model, every string visible text
    (:mod:`domain.model.catalogue.visible`); errors located under ``data``."""
    try:
        raw = to_json(data)
    except PydanticSerializationError as e:
        _fail([_error(("data",), f"data is not JSON-serializable: {e}", None)])
    try:
        parsed = validate_data_json(st.data_model, raw)
    except ValidationError as e:
        _fail(
            [
                InitErrorDetails(
                    type=PydanticCustomError(e_["type"], e_["msg"]),
                    loc=("data", *e_["loc"]),
                    input=e_["input"],
                )
                for e_ in e.errors(include_url=False)
            ]
        )
    return parsed


def validate_data_json(model: type[BaseModel], raw: bytes) -> BaseModel:
    """``raw`` validated as strict JSON against a ``data`` model, then every string in it
    checked to be visible text; pydantic's ValidationError otherwise, located in the model."""
    parsed = model.model_validate_json(raw, strict=True)
    if not surely_visible(raw):
        errors = [_error(loc, why, value) for loc, why, value in invisible_fields(parsed)]
        if errors:
            _fail(errors, model.__name__)
    return parsed


def _check_manufactured(stmt: Statement, data: BaseModel) -> None:
    assert isinstance(data, ElevatorManufactured) and stmt.elevator is not None
    if data.category != category_of(stmt.elevator):
        _fail(
            [
                _error(
                    ("data", "category"),
                    f"category {data.category} differs from the equipment code's"
                    f" {stmt.elevator[:4]}",
                    data.category.value,
                )
            ]
        )


def _check_fault(stmt: Statement, data: BaseModel) -> None:
    assert isinstance(data, FaultReported) and stmt.elevator is not None
    escalator = is_escalator(category_of(stmt.elevator))
    if data.code.for_escalators != escalator:
        family = "escalator (61-65)" if escalator else "lift (01-11)"
        _fail(
            [
                _error(
                    ("data", "code"),
                    f"fault code {data.code.value} does not fit this elevator: expected a"
                    f" {family} code",
                    data.code.value,
                )
            ]
        )


def _check_registration(stmt: Statement, data: BaseModel) -> None:
    """The registration code begins with the equipment code's variety; an elevator recorded
    with a legacy class code (3200) is registered under one of the class's varieties."""
    assert isinstance(data, RegistrationIssued | RegistrationChanged)
    assert stmt.elevator is not None
    registered, made = data.registration_code[:4], stmt.elevator[:4]
    if registered != made and not (
        made in LEGACY_CLASS_CODES and registered in _VARIETIES and class_of(registered) == made
    ):
        _fail(
            [
                _error(
                    ("data", "registration_code"),
                    f"registration code category {data.registration_code[:4]} differs from the"
                    f" equipment code's {stmt.elevator[:4]}",
                    data.registration_code,
                )
            ]
        )


def _check_contract(stmt: Statement, data: BaseModel) -> None:
    assert isinstance(data, MaintenanceContractSigned)
    if data.maintenance_unit != stmt.issuer:
        _fail(
            [
                _error(
                    ("data", "maintenance_unit"),
                    "the maintenance unit must be the issuer (the use unit co-signs)",
                    data.maintenance_unit,
                )
            ]
        )


#: Consistency checks between the envelope fields and data, beyond each data model.
_CROSS_CHECKS: Mapping[str, Callable[[Statement, BaseModel], None]] = MappingProxyType(
    {
        "elevator.manufactured": _check_manufactured,
        "fault.reported": _check_fault,
        "registration.issued": _check_registration,
        "registration.changed": _check_registration,
        "maintenance_contract.signed": _check_contract,
    }
)


class Statement(BaseModel):
    """The signed payload: one claim by one organization about one elevator or organization."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    elevator: EquipmentCode | None = None  # required when the type's subject is an elevator
    organization: USCC | None = None  # required when the subject is an organization
    issuer: USCC
    occurred_at: AwareDatetime  # RFC 3339 with offset; naive datetimes rejected
    nonce: Nonce
    prev: Sha256Hex | None = None  # the elevator chain head the signer saw
    data: dict[str, Any]

    _parsed: BaseModel | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> Self:
        try:
            st = statement_type(self.type)
        except UnknownStatementType as e:
            _fail([_error(("type",), str(e), self.type)])
        subject_field, other_field = (
            ("elevator", "organization")
            if st.subject is Subject.ELEVATOR
            else ("organization", "elevator")
        )
        errors: list[InitErrorDetails] = []
        if getattr(self, subject_field) is None:
            errors.append(
                _error(
                    (subject_field,),
                    f"{self.type} is about an {st.subject}: {subject_field} is required",
                    None,
                )
            )
        if getattr(self, other_field) is not None:
            errors.append(
                _error(
                    (other_field,),
                    f"{self.type} is about an {st.subject}: {other_field} must be absent",
                    getattr(self, other_field),
                )
            )
        if errors:
            _fail(errors)
        parsed = _validate_data(st, self.data)
        check = _CROSS_CHECKS.get(st.name)
        if check is not None:
            check(self, parsed)
        self._parsed = parsed
        return self

    @property
    def statement_type(self) -> StatementType:
        return statement_type(self.type)

    @property
    def subject_id(self) -> str:
        """The equipment code or the organization's USCC this statement is about."""
        subject = self.elevator if self.elevator is not None else self.organization
        assert subject is not None
        return subject

    def parsed_data(self) -> BaseModel:
        """``data`` validated against the catalogue model for ``type``."""
        if self._parsed is None:  # e.g. built with model_construct
            self._parsed = _validate_data(statement_type(self.type), self.data)
        return self._parsed


def class_codes_assigned(stmt: Statement) -> list[tuple[str, str]]:
    """Where a new statement assigns a class code (类别, e.g. 3200) as an elevator's category,
    as (location, why): the equipment code and category of ``elevator.manufactured``, the
    registration code of ``registration.issued`` / ``registration.changed``. Equipment and
    registration codes carry a variety (品种). Only the write path asks (from
    ``CLASS_CODES_REFUSED_FROM``, domain.model.admission) and ``elevator-ledger sign``: entries
    recorded with a legacy class code before still parse, verify and replay, and statements
    about such an elevator (by its lifetime equipment code) are still accepted."""
    found: list[tuple[str, str]] = []
    data = stmt.parsed_data()
    if isinstance(data, ElevatorManufactured) and stmt.elevator is not None:
        if stmt.elevator[:4] in LEGACY_CLASS_CODES:
            found.append(("elevator", _class_code_why(stmt.elevator[:4], "the equipment code")))
        if str(data.category) in LEGACY_CLASS_CODES:
            found.append(("data.category", _class_code_why(str(data.category), "the category")))
    if isinstance(data, RegistrationIssued | RegistrationChanged):
        head = data.registration_code[:4]
        if head in LEGACY_CLASS_CODES:
            found.append(("data.registration_code", _class_code_why(head, "the registration code")))
    return found


def _class_code_why(code: str, what: str) -> str:
    varieties = " or ".join(
        f"{c.value} {CATEGORY_NAMES_ZH[c.value]}" for c in Category if class_of(c) == code
    )
    return (
        f"{what} begins with {code}, the class {CATEGORY_NAMES_ZH[code]} (类别), not a variety"
        f" (品种): use {varieties}"
    )
