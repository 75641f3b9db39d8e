"""The statement catalogue and the signed statement (DESIGN.md, "Wire formats")."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from domain.model.admission import CLASS_CODES_REFUSED_FROM, check_codes
from domain.model.catalogue import (
    CATALOGUE,
    EXAMPLE_ORGANIZATIONS,
    INSPECTION_SIGNER_ROLES,
    FaultCode,
    InspectionKind,
    MaintenancePerformed,
    Statement,
    StatementType,
    Subject,
    UnknownStatementType,
    example_statement,
    public_view,
    statement_type,
)
from domain.model.errors import InvalidStatement
from domain.model.identifiers import make_uscc
from domain.model.roles import LICENCE_FOR_ROLE, LicenceKind, Role
from domain.model.submission import parse_statement
from ledger.canonical import canonical_json

ALL_TYPES = sorted(CATALOGUE)


def _errors(info: pytest.ExceptionInfo[ValidationError]) -> list[tuple[tuple[Any, ...], str]]:
    return [(tuple(e["loc"]), e["msg"]) for e in info.value.errors()]


def _with_data(name: str, **changes: Any) -> dict[str, Any]:
    stmt = example_statement(name)
    stmt["data"].update(changes)
    return stmt


def _walk(node: Any, path: list[str]) -> list[Any]:
    """Every value found at a dotted path (``*`` = each list element)."""
    if not path:
        return [node]
    head, rest = path[0], path[1:]
    if head == "*":
        return [v for item in node for v in _walk(item, rest)] if isinstance(node, list) else []
    if isinstance(node, dict) and head in node:
        return _walk(node[head], rest)
    return []


# --- the catalogue itself -------------------------------------------------------------------


def test_the_catalogue_holds_every_documented_statement_type() -> None:
    expected = {
        "org.registered", "org.role_granted", "org.role_revoked", "org.licence_granted",
        "org.licence_revoked", "key.registered", "key.revoked", "elevator.manufactured",
        "elevator.sold", "construction.notified", "construction.completed",
        "inspection.concluded", "registration.issued", "registration.changed",
        "registration.cancelled", "rescue_code.assigned", "maintenance_contract.signed",
        "maintenance_contract.ended", "maintenance.performed", "maintenance.confirmed",
        "fault.reported", "fault.cleared", "rescue.alarm", "rescue.dispatched",
        "rescue.arrived", "rescue.released", "use.stopped", "use.resumed", "hazard.listed",
        "rectification.ordered", "rectification.completed", "hazard.closed",
        "supervision.checked", "penalty.imposed", "assessment.concluded",
        "insurance.policy_issued", "insurance.claim_paid", "complaint.received",
        "complaint.resolved", "elevator.scrapped",
    }  # fmt: skip
    assert set(CATALOGUE) == expected


@pytest.mark.parametrize("name", ALL_TYPES)
def test_every_type_is_consistently_described(name: str) -> None:
    st = statement_type(name)
    assert st.name == name
    assert st.signer_roles, "someone must be allowed to sign"
    assert st.summary_zh
    assert st.late_after > timedelta(0)
    assert not (st.terminal_may_sign and st.subject is Subject.ORGANIZATION)
    assert not (st.organization_may_sign and st.subject is Subject.ELEVATOR)
    assert st.data_model.model_config.get("extra") == "forbid"
    assert st.data_model.model_config.get("frozen") is True


def test_trust_statements_are_about_organizations_and_signed_by_the_regulator() -> None:
    for name, st in CATALOGUE.items():
        if name.startswith(("org.", "key.")):
            assert st.subject is Subject.ORGANIZATION
            assert st.signer_roles == {Role.REGULATOR}
        else:
            assert st.subject is Subject.ELEVATOR


def test_organizations_may_register_and_revoke_their_own_keys_only() -> None:
    assert {n for n, st in CATALOGUE.items() if st.organization_may_sign} == {
        "key.registered",
        "key.revoked",
    }


def test_only_iot_events_may_be_signed_by_a_terminal() -> None:
    assert {n for n, st in CATALOGUE.items() if st.terminal_may_sign} == {
        "fault.reported",
        "fault.cleared",
        "rescue.alarm",
    }


def test_a_maintenance_record_is_signed_by_a_licensed_maintainer_and_late_after_two_days() -> None:
    st = statement_type("maintenance.performed")
    assert st.signer_roles == {Role.MAINTENANCE_UNIT}
    assert st.licence is LicenceKind.INSTALLATION_REPAIR
    assert st.late_after == timedelta(days=2)
    assert st.summary_zh == "维保记录"


def test_a_maintenance_contract_is_cosigned_by_the_use_unit() -> None:
    st = statement_type("maintenance_contract.signed")
    assert st.signer_roles == {Role.MAINTENANCE_UNIT}
    assert st.cosigner_roles == {Role.USE_UNIT}


def test_inspection_signers_narrowed_by_kind_stay_within_the_catalogue_union() -> None:
    union = statement_type("inspection.concluded").signer_roles
    assert set(INSPECTION_SIGNER_ROLES) == set(InspectionKind)
    for roles in INSPECTION_SIGNER_ROLES.values():
        assert roles <= union
    assert INSPECTION_SIGNER_ROLES[InspectionKind.PERIODIC] == {Role.INSPECTION_INSTITUTE}


def test_maintenance_and_construction_share_the_installation_repair_licence() -> None:
    assert LICENCE_FOR_ROLE[Role.MAINTENANCE_UNIT] is LicenceKind.INSTALLATION_REPAIR
    assert LICENCE_FOR_ROLE[Role.CONSTRUCTION_UNIT] is LicenceKind.INSTALLATION_REPAIR
    assert Role.USE_UNIT not in LICENCE_FOR_ROLE


def test_an_unknown_statement_type_is_a_clear_lookup_error() -> None:
    with pytest.raises(UnknownStatementType) as info:
        statement_type("maintenance.perfomed")
    assert isinstance(info.value, KeyError)
    assert str(info.value) == (
        "unknown statement type 'maintenance.perfomed'; did you mean 'maintenance.performed'?"
    )


def test_statement_types_are_immutable() -> None:
    with pytest.raises(AttributeError):
        statement_type("use.stopped").late_after = timedelta(0)  # type: ignore[misc]
    assert isinstance(statement_type("use.stopped"), StatementType)


# --- examples -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_TYPES)
def test_every_catalogue_example_validates(name: str) -> None:
    example = example_statement(name)
    stmt = Statement.model_validate(example)
    assert stmt.type == name
    assert isinstance(stmt.parsed_data(), statement_type(name).data_model)


@pytest.mark.parametrize("name", ALL_TYPES)
def test_every_example_survives_a_json_round_trip(name: str) -> None:
    payload = json.dumps(example_statement(name), ensure_ascii=False).encode()
    stmt = Statement.model_validate_json(payload)
    assert stmt.data == example_statement(name)["data"]


def test_example_organizations_have_valid_codes_for_every_role() -> None:
    assert set(EXAMPLE_ORGANIZATIONS) == set(Role)
    assert len(set(EXAMPLE_ORGANIZATIONS.values())) == len(Role)


def test_examples_are_fresh_copies() -> None:
    example_statement("use.stopped")["data"]["reason"] = "changed"
    assert example_statement("use.stopped")["data"]["reason"] != "changed"


# --- data validation ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_TYPES)
def test_each_type_rejects_an_unknown_data_field(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        Statement.model_validate(_with_data(name, surprise="x"))
    assert (("data", "surprise"), "Extra inputs are not permitted") in _errors(info)


@pytest.mark.parametrize("name", ALL_TYPES)
def test_each_type_rejects_an_unknown_envelope_field(name: str) -> None:
    with pytest.raises(ValidationError):
        Statement.model_validate({**example_statement(name), "signature": "x"})


def test_a_missing_data_field_is_reported_under_data() -> None:
    stmt = example_statement("rescue.released")
    del stmt["data"]["cause"]
    with pytest.raises(ValidationError) as info:
        Statement.model_validate(stmt)
    assert _errors(info) == [(("data", "cause"), "Field required")]


def test_data_is_validated_strictly_no_string_numbers_or_booleans() -> None:
    with pytest.raises(ValidationError) as info:
        Statement.model_validate(_with_data("rescue.alarm", trapped="2"))
    assert _errors(info)[0][0] == ("data", "trapped")
    with pytest.raises(ValidationError):
        Statement.model_validate(_with_data("construction.completed", self_check_passed="true"))


def test_a_count_cannot_be_negative() -> None:
    with pytest.raises(ValidationError):
        Statement.model_validate(_with_data("rescue.released", injured=-1))


def test_money_is_exact_to_the_fen() -> None:
    stmt = Statement.model_validate(_with_data("penalty.imposed", amount_yuan=20000))
    assert stmt.parsed_data().amount_yuan == Decimal("20000")  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        Statement.model_validate(_with_data("penalty.imposed", amount_yuan="1.005"))


def test_a_wrong_uscc_check_character_in_data_is_rejected() -> None:
    good = EXAMPLE_ORGANIZATIONS[Role.USE_UNIT]
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationError) as info:
        Statement.model_validate(_with_data("elevator.sold", buyer=bad))
    [(loc, msg)] = _errors(info)
    assert loc == ("data", "buyer")
    assert "check character" in msg


def test_a_malformed_identifier_in_data_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        Statement.model_validate(_with_data("rescue_code.assigned", rescue_code="35302"))
    assert _errors(info)[0][0] == ("data", "rescue_code")


def test_a_naive_datetime_in_data_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        Statement.model_validate(
            _with_data("maintenance.performed", arrived_at="2024-05-06T09:30:00")
        )
    assert _errors(info)[0][0] == ("data", "arrived_at")


def test_a_date_field_rejects_a_datetime() -> None:
    with pytest.raises(ValidationError):
        Statement.model_validate(_with_data("hazard.listed", deadline="2024-06-30T00:00:00Z"))


def test_a_validity_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValidationError, match="valid_to"):
        Statement.model_validate(_with_data("maintenance_contract.signed", valid_from="2025-01-01"))


def test_a_public_key_must_be_32_raw_bytes_in_base64() -> None:
    with pytest.raises(ValidationError, match="32 raw bytes"):
        Statement.model_validate(_with_data("key.registered", public_key="AAAA"))
    with pytest.raises(ValidationError, match="base64"):
        Statement.model_validate(_with_data("key.registered", public_key="not base64!"))


def test_a_terminal_key_is_bound_to_an_elevator_by_equipment_code() -> None:
    ok = _with_data("key.registered", bound_elevator="311023010201500098")
    assert Statement.model_validate(ok).parsed_data().bound_elevator  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        Statement.model_validate(_with_data("key.registered", bound_elevator="123"))


# --- maintenance records --------------------------------------------------------------------


def test_departed_at_before_arrived_at_is_rejected() -> None:
    with pytest.raises(ValidationError, match="departed_at must be after arrived_at"):
        Statement.model_validate(
            _with_data("maintenance.performed", departed_at="2024-05-06T09:00:00+08:00")
        )


def test_a_visit_of_no_duration_is_rejected() -> None:
    with pytest.raises(ValidationError, match="departed_at"):
        Statement.model_validate(
            _with_data("maintenance.performed", departed_at="2024-05-06T01:30:00Z")
        )


def test_departure_is_compared_as_an_instant_across_offsets() -> None:
    # 10:00 at UTC+8 is 02:00Z; 02:05Z is five minutes later
    stmt = _with_data(
        "maintenance.performed",
        arrived_at="2024-05-06T10:00:00+08:00",
        departed_at="2024-05-06T02:05:00Z",
    )
    assert isinstance(Statement.model_validate(stmt).parsed_data(), MaintenancePerformed)


@pytest.mark.parametrize("count", [1, 3])
def test_a_maintenance_record_needs_exactly_two_technicians(count: int) -> None:
    techs = [{"name": f"技师{i}", "certificate_number": f"T{i:04d}"} for i in range(count)]
    with pytest.raises(ValidationError) as info:
        Statement.model_validate(_with_data("maintenance.performed", technicians=techs))
    assert _errors(info)[0][0] == ("data", "technicians")


def test_the_two_technicians_must_be_different_people() -> None:
    same = {"name": "李四", "certificate_number": "T0001"}
    with pytest.raises(ValidationError, match="technician certificate numbers"):
        Statement.model_validate(_with_data("maintenance.performed", technicians=[same, same]))


def test_a_maintenance_record_names_at_least_one_level() -> None:
    with pytest.raises(ValidationError):
        Statement.model_validate(_with_data("maintenance.performed", levels=[]))
    with pytest.raises(ValidationError):
        Statement.model_validate(_with_data("maintenance.performed", levels=["monthly"]))


# --- the envelope fields --------------------------------------------------------------------


def test_a_naive_occurred_at_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        Statement.model_validate(
            {**example_statement("use.stopped"), "occurred_at": "2024-05-06T10:30:00"}
        )
    assert _errors(info)[0][0] == ("occurred_at",)
    with pytest.raises(ValidationError):
        Statement.model_validate(
            {**example_statement("use.stopped"), "occurred_at": datetime(2024, 5, 6, 10, 30)}
        )


def test_an_elevator_statement_about_an_organization_is_rejected() -> None:
    stmt = example_statement("maintenance.performed")
    del stmt["elevator"]
    stmt["organization"] = EXAMPLE_ORGANIZATIONS[Role.USE_UNIT]
    with pytest.raises(ValidationError) as info:
        Statement.model_validate(stmt)
    assert [loc for loc, _ in _errors(info)] == [("elevator",), ("organization",)]


def test_a_trust_statement_about_an_elevator_is_rejected() -> None:
    stmt = {**example_statement("org.role_granted"), "elevator": "311023010201500098"}
    with pytest.raises(ValidationError, match="elevator must be absent"):
        Statement.model_validate(stmt)


def test_a_statement_without_its_subject_is_rejected() -> None:
    stmt = example_statement("use.stopped")
    del stmt["elevator"]
    with pytest.raises(ValidationError, match="elevator is required"):
        Statement.model_validate(stmt)


def test_an_unknown_type_is_rejected_at_the_type_field() -> None:
    with pytest.raises(ValidationError) as info:
        Statement.model_validate({**example_statement("use.stopped"), "type": "use.paused"})
    assert _errors(info)[0][0] == ("type",)


def test_the_issuer_must_be_a_valid_uscc() -> None:
    with pytest.raises(ValidationError):
        Statement.model_validate({**example_statement("use.stopped"), "issuer": "91430902"})


@pytest.mark.parametrize("nonce", ["short", "x" * 65, "has space in it"])
def test_a_nonce_is_8_to_64_printable_characters(nonce: str) -> None:
    with pytest.raises(ValidationError):
        Statement.model_validate({**example_statement("use.stopped"), "nonce": nonce})


def test_prev_is_a_lowercase_sha256_hex_digest() -> None:
    ok = {**example_statement("use.stopped"), "prev": "ab" * 32}
    assert Statement.model_validate(ok).prev == "ab" * 32
    with pytest.raises(ValidationError):
        Statement.model_validate({**ok, "prev": "AB" * 32})
    with pytest.raises(ValidationError):
        Statement.model_validate({**ok, "prev": "ab" * 31})


def test_a_statement_is_immutable() -> None:
    stmt = Statement.model_validate(example_statement("use.stopped"))
    with pytest.raises(ValidationError):
        stmt.issuer = EXAMPLE_ORGANIZATIONS[Role.REGULATOR]


def test_subject_id_is_the_elevator_or_the_organization() -> None:
    assert Statement.model_validate(example_statement("use.stopped")).subject_id == (
        "311023010201500098"
    )
    org_stmt = Statement.model_validate(example_statement("org.registered"))
    assert org_stmt.subject_id == org_stmt.organization


# --- consistency between envelope and data --------------------------------------------------


def test_a_lift_fault_code_on_an_escalator_is_rejected() -> None:
    stmt = {**example_statement("fault.reported"), "elevator": "331023010201500001"}
    with pytest.raises(ValidationError, match="escalator"):
        Statement.model_validate(stmt)
    stmt["data"]["code"] = FaultCode.ESCALATOR_MISSING_STEP.value
    Statement.model_validate(stmt)


def test_an_escalator_fault_code_on_a_lift_is_rejected() -> None:
    with pytest.raises(ValidationError, match="lift"):
        Statement.model_validate(_with_data("fault.reported", code="64"))


def test_the_manufactured_category_must_match_the_equipment_code() -> None:
    with pytest.raises(ValidationError, match="category"):
        Statement.model_validate(_with_data("elevator.manufactured", category="3120"))


def test_the_registration_code_category_must_match_the_equipment_code() -> None:
    with pytest.raises(ValidationError) as info:
        Statement.model_validate(
            _with_data("registration.issued", registration_code="31204309002016053337")
        )
    assert _errors(info)[0][0] == ("data", "registration_code")


def test_a_certificate_number_with_full_width_parentheses_is_accepted() -> None:
    stmt = _with_data("registration.issued", certificate_number="梯11湘H3622（16）")
    parsed = Statement.model_validate(stmt).parsed_data()
    assert parsed.certificate_number == "梯11湘H3622(16)"  # type: ignore[attr-defined]


def test_a_maintenance_contract_is_issued_by_its_maintenance_unit() -> None:
    other = make_uscc("91430903MA4L00099")
    with pytest.raises(ValidationError, match="maintenance unit must be the issuer"):
        Statement.model_validate(_with_data("maintenance_contract.signed", maintenance_unit=other))


# --- public view ----------------------------------------------------------------------------


def test_public_view_strips_technician_names_and_certificate_numbers() -> None:
    stmt = Statement.model_validate(example_statement("maintenance.performed"))
    view = public_view(stmt)
    assert view["data"]["technicians"] == [{}, {}]
    assert "T430902198001011234" not in json.dumps(view, ensure_ascii=False)
    assert view["data"]["visit_id"] == "V-20240506-0098"
    assert view["elevator"] == stmt.elevator
    assert "organization" not in view and "prev" not in view
    # the statement itself is untouched
    assert stmt.data["technicians"][0]["certificate_number"] == "T430902198001011234"


@pytest.mark.parametrize("name", [n for n in ALL_TYPES if statement_type(n).personal_fields])
def test_every_personal_field_is_present_in_the_example_and_absent_from_the_public_view(
    name: str,
) -> None:
    example = example_statement(name)
    view = public_view(Statement.model_validate(example))
    for dotted in statement_type(name).personal_fields:
        assert _walk(example["data"], dotted.split(".")), f"{dotted} missing from example"
        assert _walk(view["data"], dotted.split(".")) == []


def test_public_view_of_a_statement_without_personal_fields_is_its_json_form() -> None:
    example = example_statement("penalty.imposed")
    assert public_view(Statement.model_validate(example)) == example


def test_public_view_tolerates_an_absent_optional_personal_field() -> None:
    stmt = example_statement("complaint.received")
    del stmt["data"]["complainant_contact"]
    assert "complainant_contact" not in public_view(Statement.model_validate(stmt))["data"]


# --- catalogue codes: the varieties (品种) begin the codes; a class (类别) does not -----------

AFTER_THE_CUT = CLASS_CODES_REFUSED_FROM + timedelta(days=1)
VARIETIES = ["3110", "3120", "3130", "3210", "3220", "3310", "3320", "3410", "3420", "3430"]


def _about(variety: str, name: str, **changes: Any) -> dict[str, Any]:
    """An example statement about an elevator whose equipment code begins with ``variety``."""
    return {**_with_data(name, **changes), "elevator": f"{variety}23010201500098"}


def _written(stmt: dict[str, Any]) -> Statement:
    """``stmt`` read as the write path reads it (its canonical payload)."""
    payload = canonical_json(stmt)
    return parse_statement(payload, base64.b64encode(payload).decode())


@pytest.mark.parametrize("code", VARIETIES)
def test_an_elevator_of_each_variety_is_manufactured_registered_and_faults_fit(code: str) -> None:
    made = _written(_about(code, "elevator.manufactured", category=code))
    check_codes(made, AFTER_THE_CUT)
    assert made.parsed_data().category == code  # type: ignore[attr-defined]
    registered = _about(code, "registration.issued", registration_code=f"{code}4309002016053337")
    assert _written(registered).parsed_data().registration_code.startswith(code)  # type: ignore[attr-defined]
    escalator = code in ("3310", "3320")
    fitting, other = ("64", "02") if escalator else ("02", "64")
    assert _written(_about(code, "fault.reported", code=fitting))
    with pytest.raises(ValidationError, match="does not fit this elevator"):
        Statement.model_validate(_about(code, "fault.reported", code=other))


@pytest.mark.parametrize("code", ["3100", "3300", "3400"])
def test_a_class_code_is_no_elevator_category(code: str) -> None:
    with pytest.raises(ValidationError, match="not a variety"):
        Statement.model_validate(_with_data("elevator.manufactured", category=code))
    with pytest.raises(ValidationError, match="not a variety"):
        Statement.model_validate(_about(code, "use.stopped"))


def test_an_entry_recorded_with_the_legacy_hydraulic_class_code_still_parses() -> None:
    # what verify and replay read: Statement.model_validate_json of the stored payload
    made = _about("3200", "elevator.manufactured", category="3200")
    old = Statement.model_validate_json(canonical_json(made))
    assert old.parsed_data().category == "3200"  # type: ignore[attr-defined]
    registered = _about("3200", "registration.issued", registration_code="32004309002016053337")
    assert Statement.model_validate_json(canonical_json(registered)).elevator == made["elevator"]


def test_the_write_path_refuses_the_class_code_3200_where_a_new_statement_assigns_a_code() -> None:
    made = _written(_about("3200", "elevator.manufactured", category="3200"))
    with pytest.raises(InvalidStatement, match="3210 液压乘客电梯 or 3220 液压载货电梯") as info:
        check_codes(made, AFTER_THE_CUT)
    assert [e["loc"] for e in info.value.extra["errors"]] == ["elevator", "data.category"]
    code = "32004309002016053337"
    registered = _written(_about("3200", "registration.issued", registration_code=code))
    with pytest.raises(InvalidStatement) as info:
        check_codes(registered, AFTER_THE_CUT)
    assert [e["loc"] for e in info.value.extra["errors"]] == ["data.registration_code"]


def test_a_class_code_recorded_before_the_cut_is_accepted_again_when_verify_replays_it() -> None:
    before = CLASS_CODES_REFUSED_FROM - timedelta(seconds=1)
    check_codes(_written(_about("3200", "elevator.manufactured", category="3200")), before)
    code = "32004309002016053337"
    check_codes(_written(_about("3200", "registration.issued", registration_code=code)), before)


def test_an_elevator_recorded_as_3200_is_still_served_and_registered_under_a_variety() -> None:
    assert _written(_about("3200", "maintenance.performed")).elevator == "320023010201500098"
    check_codes(_written(_about("3200", "maintenance.performed")), AFTER_THE_CUT)
    for variety in ("3210", "3220"):
        stmt = _about("3200", "registration.issued", registration_code=f"{variety}4309002016053337")
        check_codes(_written(stmt), AFTER_THE_CUT)
        assert _written(stmt).parsed_data().registration_code.startswith(variety)  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="registration code category 3110"):
        Statement.model_validate(
            _about("3200", "registration.issued", registration_code="31104309002016053337")
        )


def test_a_licence_scope_may_name_classes_and_varieties() -> None:
    stmt = _with_data("org.licence_granted", scope=["3200", "3110", "3300"])
    assert _written(stmt).parsed_data().scope == ["3200", "3110", "3300"]  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        Statement.model_validate(_with_data("org.licence_granted", scope=["3000"]))
