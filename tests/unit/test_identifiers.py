"""Identifiers of elevators and organizations (DOMAIN.md, "Identifiers")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from domain.model.identifiers import (
    CATEGORY_NAMES_ZH,
    LEGACY_CLASS_CODES,
    PROVINCE_ABBREVIATIONS,
    USCC,
    USCC_ALPHABET,
    AreaCode,
    Category,
    CategoryClass,
    EquipmentCode,
    IdentifierKind,
    InvalidIdentifier,
    RegistrationCode,
    RescueCode,
    UseCertificateNumber,
    category_of,
    class_of,
    classify_identifier,
    is_escalator,
    make_uscc,
    parse_identifier,
    scope_covers,
    uscc_check_char,
    validate_area_code,
    validate_equipment_code,
    validate_registration_code,
    validate_rescue_code,
    validate_uscc,
    validate_use_certificate_number,
)

# Real, publicly listed codes (from company registration records).
REAL_USCCS = ["91350100M000100Y43", "91110000802100433B"]

DIGITS = "0123456789"
uscc_bodies = st.builds(
    lambda head, area, org: head + area + org,
    st.text(alphabet=USCC_ALPHABET, min_size=2, max_size=2),
    st.text(alphabet=DIGITS, min_size=6, max_size=6),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)


# --- unified social credit code -------------------------------------------------------------


@pytest.mark.parametrize("code", REAL_USCCS)
def test_real_published_uscc_codes_validate(code: str) -> None:
    assert validate_uscc(code) == code


def test_the_check_character_follows_gb_32100() -> None:
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert uscc_check_char("91110000802100433") == "B"
    assert make_uscc("91350100M000100Y4") == "91350100M000100Y43"


def test_a_check_value_of_31_becomes_zero() -> None:
    # Find a body whose weighted sum is a multiple of 31: its check character must be "0".
    body = next(
        f"9143090000000{n:04d}"
        for n in range(10_000)
        if uscc_check_char(f"9143090000000{n:04d}") == "0"
    )
    assert make_uscc(body).endswith("0")


def test_a_uscc_with_a_wrong_check_character_is_rejected() -> None:
    with pytest.raises(InvalidIdentifier, match="check character"):
        validate_uscc("91350100M000100Y44")


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_a_uscc_with_a_letter_outside_the_alphabet_is_rejected(letter: str) -> None:
    with pytest.raises(InvalidIdentifier, match="alphabet"):
        validate_uscc("91350100M000100" + letter + "43")


def test_a_lower_case_uscc_is_rejected() -> None:
    with pytest.raises(InvalidIdentifier):
        validate_uscc("91350100m000100y43")


@pytest.mark.parametrize("code", ["", "91350100M000100Y4", "91350100M000100Y433", 91350100])
def test_a_uscc_of_the_wrong_length_or_type_is_rejected(code: object) -> None:
    with pytest.raises(InvalidIdentifier, match="18 characters"):
        validate_uscc(code)  # type: ignore[arg-type]


def test_a_uscc_whose_area_part_is_not_digits_is_rejected() -> None:
    with pytest.raises(InvalidIdentifier, match="positions 3-8"):
        validate_uscc(make_uscc("9135A100M000100Y4"))


def test_make_uscc_refuses_a_malformed_body() -> None:
    with pytest.raises(InvalidIdentifier):
        make_uscc("91350100M000100Y")
    with pytest.raises(InvalidIdentifier):
        make_uscc("91350100M000100I4")


def test_the_error_message_is_one_line_and_names_the_identifier() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        validate_uscc("91350100M000100Y44")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("invalid unified social credit code '91350100M000100Y44'")
    assert info.value.identifier == "unified social credit code"


def test_invalid_identifier_is_a_value_error() -> None:
    assert issubclass(InvalidIdentifier, ValueError)


@given(uscc_bodies)
def test_make_uscc_always_produces_a_valid_code(body: str) -> None:
    assert validate_uscc(make_uscc(body)) == make_uscc(body)


@given(
    uscc_bodies,
    st.integers(min_value=0, max_value=17),
    st.sampled_from(USCC_ALPHABET),
)
def test_changing_any_single_character_of_a_valid_uscc_is_rejected(
    body: str, position: int, replacement: str
) -> None:
    code = make_uscc(body)
    assert validate_uscc(code) == code  # now remembered as valid: its mutations still are not
    if code[position] == replacement:
        replacement = USCC_ALPHABET[(USCC_ALPHABET.index(replacement) + 1) % 31]
    mutated = code[:position] + replacement + code[position + 1 :]
    for _ in range(2):  # and not remembered as valid after a refusal either
        with pytest.raises(InvalidIdentifier):
            validate_uscc(mutated)


@given(uscc_bodies, st.integers(min_value=0, max_value=16))
def test_swapping_two_adjacent_different_characters_is_rejected(body: str, i: int) -> None:
    code = make_uscc(body)
    if code[i] == code[i + 1]:
        return
    swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
    with pytest.raises(InvalidIdentifier):
        validate_uscc(swapped)


# --- catalogue categories -------------------------------------------------------------------


#: The catalogue's varieties (品种): code, Chinese name, class (类别), escalator fault codes?
VARIETIES = [
    ("3110", "曳引驱动乘客电梯", "3100", False),
    ("3120", "曳引驱动载货电梯", "3100", False),
    ("3130", "强制驱动载货电梯", "3100", False),
    ("3210", "液压乘客电梯", "3200", False),
    ("3220", "液压载货电梯", "3200", False),
    ("3310", "自动扶梯", "3300", True),
    ("3320", "自动人行道", "3300", True),
    ("3410", "防爆电梯", "3400", False),
    ("3420", "消防员电梯", "3400", False),
    ("3430", "杂物电梯", "3400", False),
]
CLASSES = [
    ("3100", "曳引与强制驱动电梯"),
    ("3200", "液压驱动电梯"),
    ("3300", "自动扶梯与自动人行道"),
    ("3400", "其他类型电梯"),
]


def test_the_catalogue_codes_are_the_ten_varieties_and_the_four_classes() -> None:
    assert [c.value for c in Category] == [code for code, *_ in VARIETIES]
    assert [c.value for c in CategoryClass] == [code for code, _ in CLASSES]
    assert Category("3110") is Category.TRACTION_PASSENGER
    assert frozenset({"3200"}) == LEGACY_CLASS_CODES


@pytest.mark.parametrize(("code", "name", "klass", "escalator"), VARIETIES)
def test_each_variety_begins_real_equipment_and_registration_codes(
    code: str, name: str, klass: str, escalator: bool
) -> None:
    equipment, registration = f"{code}23010201500098", f"{code}4309022016053337"
    assert validate_equipment_code(equipment) == equipment
    assert validate_equipment_code(f"{code}430902201500098") == f"{code}430902201500098"
    assert validate_registration_code(registration) == registration
    assert category_of(equipment) is Category(code) is category_of(registration)
    assert class_of(code) is CategoryClass(klass)
    assert CATEGORY_NAMES_ZH[code] == name
    assert is_escalator(code) is escalator
    assert parse_identifier(registration) == (IdentifierKind.REGISTRATION_CODE, registration)


@pytest.mark.parametrize(("code", "name"), [c for c in CLASSES if c[0] != "3200"])
def test_a_class_code_begins_no_code_and_the_refusal_names_its_varieties(
    code: str, name: str
) -> None:
    with pytest.raises(InvalidIdentifier, match=f"{code} is a class \\({name}\\), not a variety"):
        validate_equipment_code(f"{code}23010201500098")
    with pytest.raises(InvalidIdentifier, match="not a variety"):
        validate_registration_code(f"{code}4309022016053337")
    with pytest.raises(InvalidIdentifier, match="not a known catalogue code"):
        category_of(f"{code}23010201500098")
    assert class_of(code) is CategoryClass(code)
    assert CATEGORY_NAMES_ZH[code] == name


def test_the_legacy_hydraulic_class_code_still_parses_so_old_entries_verify() -> None:
    # the ledger once knew hydraulic lifts only as 3200: codes recorded so must still read
    assert validate_equipment_code("320023010201500098") == "320023010201500098"
    assert validate_registration_code("32004309022016053337") == "32004309022016053337"
    assert category_of("320023010201500098") is CategoryClass.HYDRAULIC
    assert not is_escalator("3200")


def test_a_scope_naming_a_class_covers_its_varieties_and_a_variety_only_itself() -> None:
    assert scope_covers(["3200"], "3210") and scope_covers(["3200"], "3220")
    assert scope_covers(["3200"], "3200")  # an elevator recorded with the legacy class code
    assert not scope_covers(["3210"], "3220")
    assert not scope_covers(["3210"], "3200")  # which hydraulic variety it is, is not known
    assert not scope_covers(["3100"], "3210")
    assert scope_covers(["3110", "3300"], "3320")


def test_escalators_and_moving_walks_are_escalators_and_lifts_are_not() -> None:
    assert is_escalator(Category.ESCALATOR)
    assert is_escalator("3320")
    assert not is_escalator(Category.TRACTION_PASSENGER)
    assert not is_escalator("3430")


def test_the_category_of_a_code_is_its_first_four_digits() -> None:
    assert category_of("311023010201500098") is Category.TRACTION_PASSENGER
    with pytest.raises(InvalidIdentifier):
        category_of("999923010201500098")


# --- equipment code -------------------------------------------------------------------------


def test_the_documented_equipment_code_example_validates() -> None:
    assert validate_equipment_code("311023010201500098") == "311023010201500098"


def test_a_maker_code_with_capital_letters_is_accepted() -> None:
    assert validate_equipment_code("3310AB12C201900001") == "3310AB12C201900001"


def test_the_19_digit_area_code_fallback_is_accepted() -> None:
    assert validate_equipment_code("3110430902201500098") == "3110430902201500098"


def test_the_19_digit_fallback_needs_a_real_province() -> None:
    with pytest.raises(InvalidIdentifier, match="province"):
        validate_equipment_code("3110990902201500098")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("999923010201500098", "category"),
        ("311023010194900098", "year"),
        ("311023010210100098", "year"),
        ("3110ab010201500098", "maker"),
        ("31102301020150009X", "serial"),
        ("31102301020150009", "18 or 19"),
        ("31102301020150009800", "18 or 19"),
        ("311043090220150009X", "19 digits"),
    ],
)
def test_a_malformed_equipment_code_is_rejected(code: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier, match=reason):
        validate_equipment_code(code)


# --- registration code ----------------------------------------------------------------------


def test_the_documented_registration_code_example_validates() -> None:
    assert validate_registration_code("31103506002016053337") == "31103506002016053337"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("3110350600201605333", "20 digits"),
        ("3110350600201605333X", "20 digits"),
        ("99993506002016053337", "category"),
        ("31109906002016053337", "province"),
        ("31103506002016133337", "month"),
        ("31103506002016003337", "month"),
        ("31103506001949053337", "year"),
    ],
)
def test_a_malformed_registration_code_is_rejected(code: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier, match=reason):
        validate_registration_code(code)


# --- use-registration certificate number ----------------------------------------------------


@pytest.mark.parametrize("number", ["梯11闽E3622(16)", "梯11湘H1(24)", "梯31京A123456(09)"])
def test_documented_certificate_numbers_validate(number: str) -> None:
    assert validate_use_certificate_number(number) == number


def test_full_width_parentheses_are_normalised_to_ascii() -> None:
    assert validate_use_certificate_number("梯11湘H3622（16）") == "梯11湘H3622(16)"


def test_all_34_province_abbreviations_are_known() -> None:
    assert len(PROVINCE_ABBREVIATIONS) == 34
    for abbreviation in PROVINCE_ABBREVIATIONS:
        validate_use_certificate_number(f"梯11{abbreviation}A1(20)")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("梯11X E3622(16)", "梯"),
        ("梯11中E3622(16)", "province abbreviation"),
        ("梯11闽e3622(16)", "梯"),
        ("梯11闽E1234567(16)", "梯"),
        ("梯11闽E3622(2016)", "梯"),
        ("梯1闽E3622(16)", "梯"),
        ("11闽E3622(16)", "梯"),
        ("梯11闽E3622", "梯"),
        ("梯11闽E(16)", "梯"),
    ],
)
def test_a_malformed_certificate_number_is_rejected(number: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier, match=reason):
        validate_use_certificate_number(number)


# --- rescue code, area code -----------------------------------------------------------------


def test_a_rescue_code_is_six_digits_and_keeps_leading_zeros() -> None:
    assert validate_rescue_code("035302") == "035302"


@pytest.mark.parametrize("code", ["35302", "0353021", "03530A", "", "０３５３０２"])
def test_a_rescue_code_that_is_not_six_ascii_digits_is_rejected(code: str) -> None:
    with pytest.raises(InvalidIdentifier, match="rescue code"):
        validate_rescue_code(code)


@pytest.mark.parametrize("code", ["430900", "430902", "110000", "350600", "820000"])
def test_area_codes_of_real_provinces_validate(code: str) -> None:
    assert validate_area_code(code) == code


@pytest.mark.parametrize("code", ["100000", "160000", "830000", "990000", "43090", "43090A"])
def test_an_area_code_outside_the_provinces_is_rejected(code: str) -> None:
    with pytest.raises(InvalidIdentifier, match="area code"):
        validate_area_code(code)


# --- classification -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("311023010201500098", IdentifierKind.EQUIPMENT_CODE),
        ("3110430902201500098", IdentifierKind.EQUIPMENT_CODE),
        ("31103506002016053337", IdentifierKind.REGISTRATION_CODE),
        ("梯11闽E3622(16)", IdentifierKind.USE_CERTIFICATE_NUMBER),
        ("035302", IdentifierKind.RESCUE_CODE),
        ("5R16074", IdentifierKind.FACTORY_SERIAL),
        ("12-2#", IdentifierKind.FACTORY_SERIAL),
        ("  035302 ", IdentifierKind.RESCUE_CODE),
    ],
)
def test_any_identifier_is_classified(text: str, kind: IdentifierKind) -> None:
    assert classify_identifier(text) is kind


@pytest.mark.parametrize("text", ["", "   ", "x" * 65, "a\x00b"])
def test_blank_or_unprintable_text_is_no_identifier(text: str) -> None:
    assert classify_identifier(text) is None


def test_parse_identifier_returns_the_normalised_form() -> None:
    assert parse_identifier(" 梯11湘H3622（16） ") == (
        IdentifierKind.USE_CERTIFICATE_NUMBER,
        "梯11湘H3622(16)",
    )


# --- pydantic types -------------------------------------------------------------------------


class _Record(BaseModel):
    org: USCC
    elevator: EquipmentCode
    registration: RegistrationCode
    certificate: UseCertificateNumber
    rescue: RescueCode
    district: AreaCode


def _record(**overrides: str) -> dict[str, str]:
    values = {
        "org": "91350100M000100Y43",
        "elevator": "311023010201500098",
        "registration": "31103506002016053337",
        "certificate": "梯11闽E3622（16）",
        "rescue": "035302",
        "district": "430902",
    }
    values.update(overrides)
    return values


def test_pydantic_types_validate_and_normalise() -> None:
    record = _Record.model_validate(_record())
    assert record.certificate == "梯11闽E3622(16)"
    assert record.org == "91350100M000100Y43"


@pytest.mark.parametrize(
    "field", ["org", "elevator", "registration", "certificate", "rescue", "district"]
)
def test_pydantic_types_reject_malformed_values_naming_the_field(field: str) -> None:
    with pytest.raises(ValidationError) as info:
        _Record.model_validate(_record(**{field: "bogus"}))
    assert info.value.errors()[0]["loc"] == (field,)
    assert "invalid" in info.value.errors()[0]["msg"]


def test_pydantic_types_do_not_coerce_numbers_to_strings() -> None:
    with pytest.raises(ValidationError):
        _Record.model_validate({**_record(), "rescue": 35302})
