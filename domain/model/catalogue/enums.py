"""Enumerations used in statement ``data``; their values are what the wire carries."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ConstructionKind(StrEnum):
    INSTALLATION = "installation"  # 安装
    MODIFICATION = "modification"  # 改造
    MAJOR_REPAIR = "major_repair"  # 重大修理
    RELOCATION = "relocation"  # 移装


class InspectionKind(StrEnum):
    SUPERVISORY = "supervisory"  # 监督检验
    PERIODIC = "periodic"  # 定期检验
    RE_INSPECTION = "re_inspection"  # 复检
    SELF_TEST = "self_test"  # 自行检测 (TSG T7008)


class InspectionConclusion(StrEnum):
    PASS = "pass"
    FAIL = "fail"


class RegistrationRegime(StrEnum):
    """Which periodic-inspection schedule applies to the elevator."""

    TSG_T7001_2023 = "tsg_t7001_2023"  # years 1,4,7,9,11,13,15 inspected, self-test otherwise
    LEGACY_ANNUAL = "legacy_annual"  # inspected every year


class RegistrationChangeReason(StrEnum):
    USE_UNIT_CHANGE = "use_unit_change"
    RELOCATION = "relocation"
    MODIFICATION = "modification"
    OTHER = "other"


class MaintenancePolicy(StrEnum):
    CLASSIC_15_DAY = "classic_15_day"  # a visit at least every 15 days
    ON_DEMAND_MONTHLY = "on_demand_monthly"  # half-month items spread over a calendar month
    ON_DEMAND_IOT_QUARTERLY = "on_demand_iot_quarterly"  # IoT-connected: over three months


class MaintenanceLevel(StrEnum):
    HALF_MONTH = "half_month"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    ANNUAL = "annual"


class ItemResult(StrEnum):
    OK = "ok"
    ADJUSTED = "adjusted"
    REPLACED = "replaced"
    DEFECT = "defect"


class FaultCode(StrEnum):
    """IoT fault codes (GB/T 24476 model): 01-11 lifts, 61-65 escalators and moving walks."""

    SAFETY_CIRCUIT_BROKEN = "01"
    DOOR_CLOSING_FAULT = "02"
    DOOR_OPENING_FAULT = "03"
    STOPPED_OUTSIDE_DOOR_ZONE = "04"
    UNINTENDED_CAR_MOVEMENT = "05"
    MOTOR_RUN_TIME_LIMITER = "06"
    FLOOR_POSITION_LOST = "07"
    RESTART_PREVENTED = "08"
    OVERTRAVEL_TOP = "09"
    OVERTRAVEL_BOTTOM = "10"
    PASSENGER_TRAPPED = "11"
    ESCALATOR_SAFETY_CIRCUIT = "61"
    ESCALATOR_OVERSPEED = "62"
    ESCALATOR_UNINTENDED_REVERSAL = "63"
    ESCALATOR_MISSING_STEP = "64"
    ESCALATOR_RESTART_FAULT = "65"

    @property
    def for_escalators(self) -> bool:
        return self.value >= "61"


class ServiceMode(IntEnum):
    OUT_OF_SERVICE = 0
    NORMAL = 1
    INSPECTION = 2  # 检修: corroborates a maintenance visit
    FIRE_RETURN = 3
    FIREFIGHTER = 4
    EMERGENCY_POWER = 5
    EARTHQUAKE = 6
    UNKNOWN = 7


class RescueSource(StrEnum):
    CALL_96333 = "96333"
    IOT = "iot"
    ALARM_BUTTON = "alarm_button"
    QR_SCAN = "qr_scan"


class RescueCause(StrEnum):
    EXTERNAL_POWER = "external_power"
    HUMAN = "human"
    DOOR_SYSTEM = "door_system"
    OTHER = "other"


class SupervisionResult(StrEnum):
    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"


class AssessmentConclusion(StrEnum):
    CONTINUE = "continue"
    REPAIR = "repair"
    SCRAP = "scrap"


class ComplaintChannel(StrEnum):
    HOTLINE_96333 = "96333"
    HOTLINE_12345 = "12345"
    HOTLINE_12315 = "12315"
    QR_SCAN = "qr_scan"
    WEB = "web"
    LETTER = "letter"
    VISIT = "visit"
    OTHER = "other"
