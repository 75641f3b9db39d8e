"""Identifiers of elevators and organizations, and their validation.

Every identifier in DOMAIN.md has a small pure validator ``validate_*(s) -> str`` that returns the
(normalised) identifier or raises :class:`InvalidIdentifier` with a one-line message naming the
identifier and the reason.  The pydantic types at the bottom (``USCC``, ``EquipmentCode``, ...) wrap
those validators so schemas can use them directly.

Validators never strip whitespace or change case: a signed statement either carries a well-formed
identifier or it is rejected.  The only normalisation is the use-registration certificate number,
whose parentheses may be written full-width (``（16）``) and are normalised to ASCII.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, PlainValidator, WithJsonSchema

__all__ = [
    "CATEGORY_NAMES_ZH",
    "LEGACY_CLASS_CODES",
    "PROVINCE_ABBREVIATIONS",
    "PROVINCE_CODES",
    "USCC",
    "USCC_ALPHABET",
    "USCC_WEIGHTS",
    "AreaCode",
    "Category",
    "CategoryClass",
    "ElevatorCategory",
    "EquipmentCode",
    "IdentifierKind",
    "InvalidIdentifier",
    "LicenceScope",
    "RegistrationCode",
    "RescueCode",
    "UseCertificateNumber",
    "category_of",
    "class_of",
    "classify_identifier",
    "is_class_code",
    "is_escalator",
    "make_uscc",
    "parse_identifier",
    "scope_covers",
    "uscc_check_char",
    "validate_area_code",
    "validate_elevator_category",
    "validate_equipment_code",
    "validate_factory_serial",
    "validate_registration_code",
    "validate_rescue_code",
    "validate_uscc",
    "validate_use_certificate_number",
]


class InvalidIdentifier(ValueError):
    """An identifier is malformed. ``str(err)`` is one line: which identifier, and why."""

    def __init__(self, identifier: str, value: object, reason: str) -> None:
        self.identifier = identifier
        self.value = value
        self.reason = reason
        super().__init__(f"invalid {identifier} {value!r}: {reason}")


# --------------------------------------------------------------------------------------------
# Catalogue codes (特种设备目录, category part of the equipment and registration codes)
# --------------------------------------------------------------------------------------------


class Category(StrEnum):
    """The varieties (品种) of the catalogue: the first four digits of equipment and registration
    codes, and what an elevator is. The catalogue groups them in classes (:class:`CategoryClass`),
    which never begin a code."""

    TRACTION_PASSENGER = "3110"  # 曳引驱动乘客电梯
    TRACTION_GOODS = "3120"  # 曳引驱动载货电梯
    POSITIVE_DRIVE_GOODS = "3130"  # 强制驱动载货电梯
    HYDRAULIC_PASSENGER = "3210"  # 液压乘客电梯
    HYDRAULIC_GOODS = "3220"  # 液压载货电梯
    ESCALATOR = "3310"  # 自动扶梯
    MOVING_WALK = "3320"  # 自动人行道
    EXPLOSION_PROOF = "3410"  # 防爆电梯
    FIREFIGHTER = "3420"  # 消防员电梯
    DUMBWAITER = "3430"  # 杂物电梯


class CategoryClass(StrEnum):
    """The classes (类别) of the catalogue, each grouping the varieties sharing its first three
    digits. A licence's scope may name a class, covering all its varieties."""

    TRACTION_AND_POSITIVE_DRIVE = "3100"  # 曳引与强制驱动电梯
    HYDRAULIC = "3200"  # 液压驱动电梯
    ESCALATOR_AND_MOVING_WALK = "3300"  # 自动扶梯与自动人行道
    OTHER = "3400"  # 其他类型电梯


#: The catalogue's Chinese name of every variety and class (特种设备目录, 2014).
CATEGORY_NAMES_ZH: Mapping[str, str] = MappingProxyType(
    {
        "3100": "曳引与强制驱动电梯",
        "3110": "曳引驱动乘客电梯",
        "3120": "曳引驱动载货电梯",
        "3130": "强制驱动载货电梯",
        "3200": "液压驱动电梯",
        "3210": "液压乘客电梯",
        "3220": "液压载货电梯",
        "3300": "自动扶梯与自动人行道",
        "3310": "自动扶梯",
        "3320": "自动人行道",
        "3400": "其他类型电梯",
        "3410": "防爆电梯",
        "3420": "消防员电梯",
        "3430": "杂物电梯",
    }
)

#: Class codes an earlier version of the ledger took for a variety: it knew hydraulic lifts only
#: as ``3200``. Entries recorded with one still parse, verify and replay (and the elevator they
#: made keeps its equipment code, its lifetime id); the write path refuses a class code wherever
#: a new statement assigns one (``domain.model.catalogue.statement.class_codes_assigned``).
LEGACY_CLASS_CODES: frozenset[str] = frozenset({CategoryClass.HYDRAULIC.value})

_CATEGORY_CODES = frozenset(c.value for c in Category) | LEGACY_CLASS_CODES
_ESCALATOR_CATEGORIES = frozenset({Category.ESCALATOR, Category.MOVING_WALK})


def is_escalator(category: Category | CategoryClass | str) -> bool:
    """True for escalators and moving walks (3310, 3320), which have their own fault codes."""
    return str(category) in _ESCALATOR_CATEGORIES


def category_of(code: str) -> Category | CategoryClass:
    """The catalogue variety of an equipment or registration code (its first four digits); the
    class for a code recorded with a legacy class code (:data:`LEGACY_CLASS_CODES`)."""
    head = code[:4]
    if head in LEGACY_CLASS_CODES:
        return CategoryClass(head)
    try:
        return Category(head)
    except ValueError:
        raise InvalidIdentifier("category", head, "not a known catalogue code") from None


def validate_elevator_category(value: object) -> object:
    """An elevator's category as a statement writes it: a variety, or a legacy class code (old
    entries); another class code is refused naming its varieties, an unknown one as unknown.
    Values that are not strings are left to the enum."""
    if isinstance(value, str) and not isinstance(value, StrEnum):
        if value in LEGACY_CLASS_CODES:
            return CategoryClass(value)
        if value in _CATEGORY_CODES:
            return Category(value)
        _check_category("category", value, value)
    return value


def class_of(category: Category | CategoryClass | str) -> CategoryClass:
    """The class a variety belongs to (a class is its own class): ``3210`` -> ``3200``."""
    return CategoryClass(f"{str(category)[:2]}00")


def scope_covers(scope: Iterable[str], category: Category | CategoryClass | str) -> bool:
    """Whether a licence scope (varieties and classes) covers an elevator of ``category``: it
    names the variety, or the class the variety belongs to. An elevator recorded with a legacy
    class code is covered only by a scope naming that class (which of its varieties it is, is
    not known)."""
    named = {str(c) for c in scope}
    return str(category) in named or class_of(category).value in named


def is_class_code(code: str) -> bool:
    """Whether ``code`` (four digits) is a class of the catalogue rather than a variety."""
    return code in {c.value for c in CategoryClass}


# --------------------------------------------------------------------------------------------
# Administrative division codes (GB/T 2260)
# --------------------------------------------------------------------------------------------

#: Two-digit province-level codes of GB/T 2260 and their one-character abbreviations.
PROVINCE_CODES: dict[str, str] = {
    "11": "京",
    "12": "津",
    "13": "冀",
    "14": "晋",
    "15": "蒙",
    "21": "辽",
    "22": "吉",
    "23": "黑",
    "31": "沪",
    "32": "苏",
    "33": "浙",
    "34": "皖",
    "35": "闽",
    "36": "赣",
    "37": "鲁",
    "41": "豫",
    "42": "鄂",
    "43": "湘",
    "44": "粤",
    "45": "桂",
    "46": "琼",
    "50": "渝",
    "51": "川",
    "52": "贵",
    "53": "云",
    "54": "藏",
    "61": "陕",
    "62": "甘",
    "63": "青",
    "64": "宁",
    "65": "新",
    "71": "台",
    "81": "港",
    "82": "澳",
}

#: The 34 one-character province abbreviations used in use-registration certificate numbers.
PROVINCE_ABBREVIATIONS: frozenset[str] = frozenset(PROVINCE_CODES.values())

_SIX_DIGITS = re.compile(r"[0-9]{6}")


def validate_area_code(s: str) -> str:
    """A GB/T 2260 administrative division code: 6 digits whose first two are a province code.

    The province part must be one of the 34 province-level codes (11..82, e.g. 43 Hunan, 35 Fujian),
    not merely a number in that range. City and county parts are not checked against the (yearly
    changing) division list.
    """
    if not isinstance(s, str) or not _SIX_DIGITS.fullmatch(s):
        raise InvalidIdentifier("area code", s, "must be exactly 6 digits")
    if s[:2] not in PROVINCE_CODES:
        raise InvalidIdentifier("area code", s, f"unknown province code {s[:2]}")
    return s


# --------------------------------------------------------------------------------------------
# Unified social credit code (统一社会信用代码, GB 32100-2015)
# --------------------------------------------------------------------------------------------

#: The 31-character alphabet of GB 32100 (no I, O, Z, S, V); a character's value is its index.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Weights of positions 1..17 (3**i mod 31).
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}


def _check_uscc_body(first17: str, identifier: str) -> None:
    if not isinstance(first17, str) or len(first17) != 17:
        raise InvalidIdentifier(identifier, first17, "the body must be 17 characters")
    for pos, ch in enumerate(first17, start=1):
        if ch not in _USCC_VALUE:
            raise InvalidIdentifier(
                identifier, first17, f"character {ch!r} at position {pos} is not in the alphabet"
            )
    if not first17[2:8].isdigit():
        raise InvalidIdentifier(
            identifier, first17, "positions 3-8 must be the 6-digit administrative division code"
        )


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a USCC."""
    _check_uscc_body(first17, "unified social credit code")
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    c = 31 - total % 31
    return USCC_ALPHABET[0 if c == 31 else c]


def make_uscc(first17: str) -> str:
    """Append the check character to a 17-character body (used to generate valid demo codes)."""
    return first17 + uscc_check_char(first17)


#: Codes already found valid: every statement names one or two organizations, mostly the same
#: few, and checking a code costs about as much as the rest of parsing the statement.
_VALID_USCC: set[str] = set()
_VALID_USCC_MAX = 65536


def validate_uscc(s: str) -> str:
    """A unified social credit code (GB 32100-2015), e.g. ``91350100M000100Y43``.

    18 characters from :data:`USCC_ALPHABET`: position 1 registration department, 2 organization
    type, 3-8 administrative division code (digits), 9-17 organization code, 18 check character over
    the first 17. Lower case is rejected (the standard uses upper case only). The division code is
    not checked against GB/T 2260 provinces because nationally registered bodies use ``100000``;
    the organization-code check digit (GB 11714) inside positions 9-17 is not checked either.
    """
    if type(s) is str and s in _VALID_USCC:
        return s
    if not isinstance(s, str) or len(s) != 18:
        raise InvalidIdentifier("unified social credit code", s, "must be 18 characters")
    for pos, ch in enumerate(s, start=1):
        if ch not in _USCC_VALUE:
            raise InvalidIdentifier(
                "unified social credit code",
                s,
                f"character {ch!r} at position {pos} is not in the GB 32100 alphabet",
            )
    _check_uscc_body(s[:17], "unified social credit code")
    expected = uscc_check_char(s[:17])
    if s[17] != expected:
        raise InvalidIdentifier(
            "unified social credit code", s, f"check character is {s[17]!r}, expected {expected!r}"
        )
    if type(s) is str and len(_VALID_USCC) < _VALID_USCC_MAX:
        _VALID_USCC.add(s)
    return s


# --------------------------------------------------------------------------------------------
# Equipment code (设备代码), registration code (注册代码)
# --------------------------------------------------------------------------------------------

_YEAR_MIN, _YEAR_MAX = 1950, 2100
_EQUIPMENT_18 = re.compile(r"([0-9]{4})([0-9A-Z]{5})([0-9]{4})([0-9]{5})")
_EQUIPMENT_19 = re.compile(r"([0-9]{4})([0-9]{6})([0-9]{4})([0-9]{5})")


def _check_category(identifier: str, s: str, code: str) -> None:
    if code in _CATEGORY_CODES:
        return
    if is_class_code(code):
        raise InvalidIdentifier(
            identifier,
            s,
            f"category {code} is a class ({CATEGORY_NAMES_ZH[code]}), not a variety: codes begin"
            f" with a variety ({', '.join(_varieties_of(code))})",
        )
    raise InvalidIdentifier(identifier, s, f"category {code} is not a known catalogue code")


def _varieties_of(class_code: str) -> list[str]:
    return [
        f"{c.value} {CATEGORY_NAMES_ZH[c.value]}" for c in Category if class_of(c) == class_code
    ]


def _check_year(identifier: str, s: str, year: str) -> None:
    if not _YEAR_MIN <= int(year) <= _YEAR_MAX:
        raise InvalidIdentifier(identifier, s, f"year {year} is outside {_YEAR_MIN}..{_YEAR_MAX}")


def validate_equipment_code(s: str) -> str:
    """The lifetime equipment code (设备代码), the elevator's stable id.

    Either 18 characters: category (4 digits, a :class:`Category` variety, or a legacy class code
    of :data:`LEGACY_CLASS_CODES` so that old entries parse) + manufacturer code (5
    characters, digits or upper-case letters) + year of manufacture (4 digits, 1950..2100) +
    serial (5 digits); e.g. ``311023010201500098`` = 3110 / 23010 / 2015 / 00098. The documented
    example has an all-digit manufacturer code; letters are allowed because maker codes are issued
    by the licensing authority and are not guaranteed numeric.

    Or the 19-character fallback assigned by a registration office: category (4) + GB/T 2260 area
    code (6) + year (4) + serial (5).
    """
    if not isinstance(s, str):
        raise InvalidIdentifier("equipment code", s, "must be a string")
    if len(s) == 18:
        m = _EQUIPMENT_18.fullmatch(s)
        if m is None:
            raise InvalidIdentifier(
                "equipment code",
                s,
                "must be category 4 digits + maker 5 digits/capitals + year 4 digits"
                " + serial 5 digits",
            )
        category, _maker, year, _serial = m.groups()
    elif len(s) == 19:
        m = _EQUIPMENT_19.fullmatch(s)
        if m is None:
            raise InvalidIdentifier("equipment code", s, "19-character form must be 19 digits")
        category, area, year, _serial = m.groups()
        try:
            validate_area_code(area)
        except InvalidIdentifier as e:
            raise InvalidIdentifier("equipment code", s, f"area code {area}: {e.reason}") from None
    else:
        raise InvalidIdentifier("equipment code", s, "must be 18 or 19 characters")
    _check_category("equipment code", s, category)
    _check_year("equipment code", s, year)
    return s


_REGISTRATION = re.compile(r"([0-9]{4})([0-9]{6})([0-9]{4})([0-9]{2})([0-9]{4})")


def validate_registration_code(s: str) -> str:
    """The 20-digit registration code (注册代码), e.g. ``31103506002016053337``.

    Category (4, a :class:`Category` variety; a legacy class code parses) + GB/T 2260 area code
    of the registration authority (6) + year and month of registration YYYYMM (year 1950..2100,
    month 01..12) + monthly sequence (4).
    """
    if not isinstance(s, str) or len(s) != 20:
        raise InvalidIdentifier("registration code", s, "must be 20 digits")
    m = _REGISTRATION.fullmatch(s)
    if m is None:
        raise InvalidIdentifier("registration code", s, "must be 20 digits")
    category, area, year, month, _seq = m.groups()
    _check_category("registration code", s, category)
    try:
        validate_area_code(area)
    except InvalidIdentifier as e:
        raise InvalidIdentifier("registration code", s, f"area code {area}: {e.reason}") from None
    _check_year("registration code", s, year)
    if not 1 <= int(month) <= 12:
        raise InvalidIdentifier("registration code", s, f"month {month} is not 01..12")
    return s


# --------------------------------------------------------------------------------------------
# Use-registration certificate number (使用登记证编号), rescue code (96333 救援识别码)
# --------------------------------------------------------------------------------------------

_CERTIFICATE = re.compile(r"梯([0-9]{2})(.)([A-Z])([0-9]{1,6})\(([0-9]{2})\)")
_FULL_WIDTH_PARENS = str.maketrans({"（": "(", "）": ")"})


def validate_use_certificate_number(s: str) -> str:
    """A use-registration certificate number, e.g. ``梯11闽E3622(16)``; returns it normalised.

    ``梯`` + 2 digits + one of the 34 province abbreviations + city letter A-Z + sequence of 1-6
    digits + two-digit year in parentheses. Full-width parentheses ``（）`` are accepted and
    normalised to ASCII. (Yiyang, Hunan is ``湘H``.)
    """
    if not isinstance(s, str):
        raise InvalidIdentifier("use certificate number", s, "must be a string")
    normalised = s.translate(_FULL_WIDTH_PARENS)
    m = _CERTIFICATE.fullmatch(normalised)
    if m is None:
        raise InvalidIdentifier(
            "use certificate number",
            s,
            "must be 梯 + 2 digits + province + city letter A-Z + 1-6 digits + (YY)",
        )
    if m.group(2) not in PROVINCE_ABBREVIATIONS:
        raise InvalidIdentifier(
            "use certificate number", s, f"{m.group(2)!r} is not a province abbreviation"
        )
    return normalised


def validate_rescue_code(s: str) -> str:
    """A 96333 rescue identification code: exactly 6 digits (zeros kept), e.g. ``035302``."""
    if not isinstance(s, str) or not _SIX_DIGITS.fullmatch(s):
        raise InvalidIdentifier("rescue code", s, "must be exactly 6 digits")
    return s


_FACTORY_SERIAL_MAX = 64


def validate_factory_serial(s: str) -> str:
    """A factory serial or internal number: free text, 1..64 printable characters, no surrounding
    whitespace (e.g. ``5R16074``, ``12-2#``)."""
    if not isinstance(s, str) or not s:
        raise InvalidIdentifier("factory serial", s, "must not be empty")
    if len(s) > _FACTORY_SERIAL_MAX:
        raise InvalidIdentifier(
            "factory serial", s, f"must be at most {_FACTORY_SERIAL_MAX} characters"
        )
    if s != s.strip() or not s.isprintable():
        raise InvalidIdentifier(
            "factory serial", s, "must be printable with no surrounding whitespace"
        )
    return s


# --------------------------------------------------------------------------------------------
# Classification (lookup by any identifier)
# --------------------------------------------------------------------------------------------


class IdentifierKind(StrEnum):
    EQUIPMENT_CODE = "equipment_code"
    REGISTRATION_CODE = "registration_code"
    USE_CERTIFICATE_NUMBER = "use_certificate_number"
    RESCUE_CODE = "rescue_code"
    FACTORY_SERIAL = "factory_serial"


_CLASSIFIERS = (
    (IdentifierKind.REGISTRATION_CODE, validate_registration_code),
    (IdentifierKind.EQUIPMENT_CODE, validate_equipment_code),
    (IdentifierKind.USE_CERTIFICATE_NUMBER, validate_use_certificate_number),
    (IdentifierKind.RESCUE_CODE, validate_rescue_code),
    (IdentifierKind.FACTORY_SERIAL, validate_factory_serial),
)


def parse_identifier(s: str) -> tuple[IdentifierKind, str] | None:
    """Classify a user-typed elevator identifier and return it normalised, or None.

    Surrounding whitespace is ignored. Tried in order: registration code (20 digits), equipment
    code, use certificate number, rescue code (6 digits); anything else non-empty of at most 64
    printable characters is taken as a factory serial (free text, so a lookup by it may be
    ambiguous). A 6-digit string is always a rescue code, never a factory serial.
    """
    if not isinstance(s, str):
        return None
    s = s.strip()
    for kind, validator in _CLASSIFIERS:
        try:
            return kind, validator(s)
        except InvalidIdentifier:
            continue
    return None


def classify_identifier(s: str) -> IdentifierKind | None:
    """Which kind of elevator identifier ``s`` is (see :func:`parse_identifier`), or None."""
    parsed = parse_identifier(s)
    return None if parsed is None else parsed[0]


# --------------------------------------------------------------------------------------------
# Pydantic types
# --------------------------------------------------------------------------------------------

USCC = Annotated[
    str,
    AfterValidator(validate_uscc),
    Field(
        description="Unified social credit code (GB 32100-2015), 18 chars with check character",
        examples=["91350100M000100Y43"],
    ),
]
EquipmentCode = Annotated[
    str,
    AfterValidator(validate_equipment_code),
    Field(
        description="Equipment code (设备代码), 18 characters, or the 19-digit area-code fallback",
        examples=["311023010201500098"],
    ),
]
RegistrationCode = Annotated[
    str,
    AfterValidator(validate_registration_code),
    Field(description="Registration code (注册代码), 20 digits", examples=["31103506002016053337"]),
]
UseCertificateNumber = Annotated[
    str,
    AfterValidator(validate_use_certificate_number),
    Field(
        description="Use-registration certificate number (使用登记证编号)",
        examples=["梯11闽E3622(16)"],
    ),
]
RescueCode = Annotated[
    str,
    AfterValidator(validate_rescue_code),
    Field(description="96333 rescue identification code, 6 digits", examples=["035302"]),
]
AreaCode = Annotated[
    str,
    AfterValidator(validate_area_code),
    Field(description="GB/T 2260 administrative division code, 6 digits", examples=["430902"]),
]


def parse_scope_code(value: object) -> Category | CategoryClass:
    """A licence scope's code: a variety or a class. One validator rather than a union, so an
    error is reported at the scope entry itself (``data.scope.0``), not at a union branch."""
    if isinstance(value, Category | CategoryClass):
        return value
    if isinstance(value, str):
        for kind in (Category, CategoryClass):
            try:
                return kind(value)
            except ValueError:
                continue
    raise ValueError(
        f"{value!r} is not a catalogue variety (3110, 3120, …, 3430) or class (3100, 3200, 3300,"
        " 3400)"
    )


ElevatorCategory = Annotated[
    Category | CategoryClass,
    BeforeValidator(validate_elevator_category),
    WithJsonSchema(
        {
            "type": "string",
            "enum": [c.value for c in Category],
            "description": "Catalogue variety (品种), e.g. 3110 曳引驱动乘客电梯,"
            " 3210 液压乘客电梯; a class (类别: 3100, 3200, 3300, 3400) is not a variety"
            " (3200 is read in entries recorded before, and refused in new ones)",
        }
    ),
]
#: What a licence's scope may name: varieties, or classes covering all their varieties.
LicenceScope = Annotated[
    Category | CategoryClass,
    PlainValidator(parse_scope_code),
    WithJsonSchema(
        {
            "type": "string",
            "enum": [c.value for c in Category] + [c.value for c in CategoryClass],
            "description": "Catalogue variety (品种, e.g. 3110) or class (类别, e.g. 3200: its"
            " varieties)",
        }
    ),
]
