"""Each rule the ledger enforces on the write path: the rejection names the rule, and nothing
is stored (the log, the chain and the key index are exactly as before)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.model.errors import Rejected, StaleChainHead
from domain.model.onboarding import key_registration
from domain.model.roles import Role
from domain.model.signing import sign_statement
from ledger.canonical import canonical_json
from ledger.dsse import sign
from ledger.keys import SigningKey
from tests.support.city import NOW, City, Org, statement
from tests.support.lift_states import UNHURRIED, Commissioners, commissioned, tell
from tests.support.timeline import Days

CODE = "311023010201500098"
OTHER = "311023010201500099"
HISTORY = Days(NOW - timedelta(days=800))
at, day = HISTORY.at, HISTORY.day


@dataclass
class World(Commissioners):
    city: City
    stranger: Org

    def say(self, org: Org, stmt: dict[str, Any], *cosigners: Org) -> Any:
        return self.city.say(org, stmt, *cosigners)

    def manufactured(self, code: str = CODE) -> None:
        self.say(
            self.maker,
            statement("elevator.manufactured", code, self.maker, at(0), manufactured_on=day(0)),
        )

    def in_service(self, code: str = CODE) -> None:
        """Manufactured, installed, inspected, registered to the owner, under contract."""
        tell(self.city, commissioned(self, code, HISTORY, UNHURRIED, next_due=day(400)))


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    city = City.open(tmp_path, database_url)
    yield World(
        city=city,
        maker=city.org(Role.MANUFACTURER),
        builder=city.org(Role.CONSTRUCTION_UNIT),
        institute=city.org(Role.INSPECTION_INSTITUTE),
        owner=city.org(Role.USE_UNIT),
        maintainer=city.org(Role.MAINTENANCE_UNIT),
        stranger=city.org(Role.MAINTENANCE_UNIT),
        bureau=city.org(Role.REGULATOR),
    )
    city.node.close()


def _snapshot(world: World, code: str = CODE) -> tuple[int, int | None, str | None]:
    chain = world.city.node.app.elevator(code)
    if chain is None:
        return world.city.node.log.size(), None, None
    return world.city.node.log.size(), chain.version, chain.head


def rejected(world: World, envelope: dict[str, Any] | bytes, code: str = CODE) -> Rejected:
    """Submit, expect a rejection, and check that nothing was stored."""
    before = _snapshot(world, code)
    with pytest.raises(Rejected) as info:
        world.city.node.service.submit(envelope)
    assert _snapshot(world, code) == before
    return info.value


def rule(world: World, signer: Org, stmt: dict[str, Any], *cosigners: Org) -> str:
    exc = rejected(world, world.city.envelope([signer, *cosigners], stmt))
    return str(exc.extra.get("rule") or exc.slug)


# --- signatures and keys ----------------------------------------------------------------------


def test_a_signature_that_does_not_verify_is_rejected(world: World) -> None:
    world.manufactured()
    env = world.city.envelope(
        [world.maker], statement("supervision.checked", CODE, world.bureau, at(60))
    )
    env["signatures"][0]["sig"] = base64.b64encode(bytes(64)).decode()
    assert rejected(world, env).slug == "bad-signature"


def test_a_key_nobody_registered_signs_nothing(world: World) -> None:
    world.manufactured()
    impostor = Org(world.bureau.uscc, SigningKey.generate(), world.bureau.roles)
    stmt = statement("supervision.checked", CODE, world.bureau, at(60))
    assert rejected(world, world.city.envelope([impostor], stmt)).slug == "bad-signature"


def test_the_key_must_belong_to_the_issuer(world: World) -> None:
    world.manufactured()
    stmt = statement("supervision.checked", CODE, world.bureau, at(60))
    assert rule(world, world.maker, stmt) == "signer-is-not-issuer"


def test_a_revoked_key_signs_nothing_new_but_its_old_entries_stay(world: World) -> None:
    world.manufactured()
    old = world.maker.key
    new = SigningKey.generate()
    world.say(
        world.maker, key_registration(world.maker.uscc, world.maker.uscc, new.verifying_key, at(1))
    )
    world.say(
        world.maker,
        {
            "type": "key.revoked",
            "organization": world.maker.uscc,
            "issuer": world.maker.uscc,
            "occurred_at": at(2).isoformat(),
            "data": {"key_id": old.key_id, "reason": "leaked"},
        },
    )
    stmt = statement("elevator.sold", CODE, world.maker, at(3))
    assert rule(world, world.maker, stmt) == "key-revoked"
    world.say(Org(world.maker.uscc, new, world.maker.roles), stmt)
    chain = world.city.node.app.elevator(CODE)
    assert chain is not None and chain.version == 2  # the manufacture record stays valid


def test_an_iot_terminal_reports_only_for_its_own_elevator(world: World) -> None:
    world.in_service(CODE)
    world.in_service(OTHER)
    terminal = SigningKey.generate()
    world.say(
        world.maintainer,
        key_registration(
            world.maintainer.uscc,
            world.maintainer.uscc,
            terminal.verifying_key,
            at(52),
            bound_elevator=CODE,
        ),
    )
    device = Org(world.maintainer.uscc, terminal, world.maintainer.roles)
    fault = statement(
        "fault.reported", OTHER, world.maintainer, at(60), detected_at=at(60).isoformat()
    )
    exc = rejected(world, world.city.envelope([device], fault), OTHER)
    assert exc.extra["rule"] == "terminal-not-bound"
    visit = statement(
        "maintenance.performed",
        CODE,
        world.maintainer,
        at(60),
        arrived_at=at(60).isoformat(),
        departed_at=(at(60) + timedelta(hours=1)).isoformat(),
    )
    assert rule(world, device, visit) == "terminal-may-not-sign"
    world.say(
        device,
        statement("fault.reported", CODE, world.maintainer, at(61), detected_at=at(61).isoformat()),
    )


def test_a_terminal_key_is_bound_only_by_the_elevators_own_parties(world: World) -> None:
    world.in_service(CODE)
    terminal = SigningKey.generate().verifying_key
    stranger = world.stranger.uscc
    binding = key_registration(stranger, stranger, terminal, at(52), bound_elevator=CODE)
    assert rule(world, world.stranger, binding) == "terminal-owner-not-a-party"
    nowhere = key_registration(stranger, stranger, terminal, at(52), bound_elevator=OTHER)
    assert rule(world, world.stranger, nowhere) == "terminal-elevator-unknown"
    owner = world.owner.uscc
    world.say(world.owner, key_registration(owner, owner, terminal, at(52), bound_elevator=CODE))


def test_a_maintainer_without_a_contract_neither_reports_nor_clears_a_fault(world: World) -> None:
    world.in_service(CODE)
    fault = statement(
        "fault.reported", CODE, world.stranger, at(60), detected_at=at(60).isoformat()
    )
    assert rule(world, world.stranger, fault) == "fault-reporter-not-a-party"
    world.say(
        world.owner,
        statement("fault.reported", CODE, world.owner, at(60), detected_at=at(60).isoformat()),
    )
    clear = statement("fault.cleared", CODE, world.stranger, at(61))
    assert rule(world, world.stranger, clear) == "only-contracted-maintainer-clears"
    world.say(world.maintainer, statement("fault.cleared", CODE, world.maintainer, at(61)))


def test_another_elevators_use_unit_raises_no_alarm_but_the_platform_does(world: World) -> None:
    world.in_service(CODE)
    neighbour = world.city.org(Role.USE_UNIT)
    platform = world.city.org(Role.RESCUE_PLATFORM)
    alarm_at = at(70).isoformat()
    alarm = statement("rescue.alarm", CODE, neighbour, at(70), alarm_at=alarm_at)
    assert rule(world, neighbour, alarm) == "rescue-alarm-not-a-party"
    world.say(platform, statement("rescue.alarm", CODE, platform, at(70), alarm_at=alarm_at))


# --- roles and licences -----------------------------------------------------------------------


def test_the_issuer_must_hold_a_role_allowed_for_the_type(world: World) -> None:
    world.manufactured()
    stmt = statement("registration.issued", CODE, world.owner, at(5), use_unit=world.owner.uscc)
    assert rule(world, world.owner, stmt) == "role-required"


def test_licensed_work_needs_a_valid_licence(world: World) -> None:
    world.manufactured()
    unlicensed = world.city.org(Role.CONSTRUCTION_UNIT, licensed=False)
    stmt = statement("construction.notified", CODE, unlicensed, at(10), planned_start=day(11))
    assert rule(world, unlicensed, stmt) == "licence-required"


def test_a_contract_must_be_co_signed_by_the_use_unit(world: World) -> None:
    world.in_service()
    m, o = world.maintainer, world.owner
    stmt = statement(
        "maintenance_contract.signed",
        CODE,
        m,
        at(60),
        contract_number="WB-2",
        maintenance_unit=m.uscc,
        use_unit=o.uscc,
        valid_from=day(851),
        valid_to=day(950),
    )
    assert rule(world, m, stmt) == "cosignature-required"
    assert rule(world, m, stmt, world.maker) == "cosignature-required"


# --- relationships ----------------------------------------------------------------------------


def test_only_the_contracted_maintenance_unit_records_maintenance(world: World) -> None:
    world.in_service()
    s = world.stranger
    visit = statement(
        "maintenance.performed",
        CODE,
        s,
        at(60),
        arrived_at=at(60).isoformat(),
        departed_at=(at(60) + timedelta(hours=1)).isoformat(),
    )
    assert rule(world, s, visit) == "maintenance-without-active-contract"


def test_only_the_registered_use_unit_stops_the_elevator(world: World) -> None:
    world.in_service()
    other_owner = world.city.org(Role.USE_UNIT)
    stmt = statement("use.stopped", CODE, other_owner, at(60))
    assert rule(world, other_owner, stmt) == "only-registered-use-unit"


# --- lifecycle --------------------------------------------------------------------------------


def test_no_registration_without_a_passed_supervisory_inspection(world: World) -> None:
    world.manufactured()
    b = world.builder
    world.say(b, statement("construction.notified", CODE, b, at(10), planned_start=day(11)))
    world.say(b, statement("construction.completed", CODE, b, at(40), completed_on=day(40)))
    stmt = statement("registration.issued", CODE, world.bureau, at(50), use_unit=world.owner.uscc)
    assert rule(world, world.bureau, stmt) == "registration-requires-supervisory-pass"


def test_re_inspection_only_after_a_failure(world: World) -> None:
    world.in_service()
    stmt = statement("inspection.concluded", CODE, world.institute, at(300), kind="re_inspection")
    assert rule(world, world.institute, stmt) == "re-inspection-without-failure"


def test_nothing_after_scrapping_but_cancellation(world: World) -> None:
    world.in_service()
    o = world.owner
    world.say(o, statement("elevator.scrapped", CODE, o, at(300), scrapped_on=day(300)))
    stmt = statement("supervision.checked", CODE, world.bureau, at(301))
    assert rule(world, world.bureau, stmt) == "elevator-scrapped"
    world.say(world.bureau, statement("registration.cancelled", CODE, world.bureau, at(302)))


def test_nothing_dated_before_manufacture(world: World) -> None:
    world.manufactured()
    stmt = statement("supervision.checked", CODE, world.bureau, at(-1))
    assert rule(world, world.bureau, stmt) == "before-manufacture"


def test_nothing_dated_in_the_future_beyond_the_clock_skew(world: World) -> None:
    world.manufactured()
    stmt = statement("supervision.checked", CODE, world.bureau, NOW + timedelta(hours=2))
    assert rule(world, world.bureau, stmt) == "occurred-in-the-future"


def test_statements_about_an_unknown_elevator_are_refused(world: World) -> None:
    stmt = statement("supervision.checked", CODE, world.bureau, at(1))
    assert rule(world, world.bureau, stmt) == "elevator-unknown"


# --- chain head, replays, lateness, malformed input ---------------------------------------------


def test_a_stale_prev_gets_409_with_the_current_head(world: World) -> None:
    world.manufactured()
    head = world.city.node.app.elevator(CODE).head  # type: ignore[union-attr]
    world.say(world.maker, statement("elevator.sold", CODE, world.maker, at(1), prev=None))
    stmt = statement("elevator.sold", CODE, world.maker, at(2))
    stmt["prev"] = head
    exc = rejected(world, world.city.envelope([world.maker], stmt))
    assert isinstance(exc, StaleChainHead) and exc.status == 409
    assert exc.head == world.city.node.app.elevator(CODE).head  # type: ignore[union-attr]
    stmt["prev"] = exc.head
    assert world.say(world.maker, stmt).version == 3


def test_the_same_envelope_again_gets_the_original_receipt(world: World) -> None:
    world.manufactured()
    env = world.city.envelope([world.maker], statement("elevator.sold", CODE, world.maker, at(1)))
    first = world.city.node.service.submit(env)
    size = world.city.node.log.size()
    again = world.city.node.service.submit(env)
    assert again.duplicate and not first.duplicate
    assert (again.entry_hash, again.log_index, again.version, again.recorded_at) == (
        first.entry_hash,
        first.log_index,
        first.version,
        first.recorded_at,
    )
    assert world.city.node.log.size() == size


def test_statements_recorded_long_after_they_occurred_are_accepted_but_marked_late(
    world: World,
) -> None:
    world.in_service()
    m = world.maintainer
    recent = NOW - timedelta(hours=3)
    old = NOW - timedelta(days=30)
    prompt = world.say(
        m,
        statement(
            "maintenance.performed",
            CODE,
            m,
            recent,
            visit_id="V-1",
            arrived_at=recent.isoformat(),
            departed_at=(recent + timedelta(hours=1)).isoformat(),
        ),
    )
    late = world.say(
        m,
        statement(
            "maintenance.performed",
            CODE,
            m,
            old,
            visit_id="V-2",
            arrived_at=old.isoformat(),
            departed_at=(old + timedelta(hours=1)).isoformat(),
        ),
    )
    assert not prompt.late and late.late


@pytest.mark.parametrize(
    "mangle, slug",
    [
        (lambda env: {**env, "payloadType": "application/json"}, "malformed-envelope"),
        (lambda env: {**env, "payload": "%%%"}, "malformed-envelope"),
        (lambda env: {**env, "signatures": []}, "malformed-envelope"),
        (lambda env: b"{not json", "malformed-envelope"),
        (lambda env: {**env, "payload": "A" * 70_000}, "malformed-envelope"),
    ],
)
def test_malformed_envelopes_are_refused(world: World, mangle: Any, slug: str) -> None:
    world.manufactured()
    env = world.city.envelope([world.maker], statement("elevator.sold", CODE, world.maker, at(1)))
    assert rejected(world, mangle(env)).slug == slug


def test_a_non_canonical_payload_is_refused(world: World) -> None:
    world.manufactured()
    stmt = {**statement("elevator.sold", CODE, world.maker, at(1)), "nonce": "n-0000001"}
    payload = b" " + canonical_json(stmt)
    env = sign("application/vnd.elevator-ledger.statement+json", payload, [world.maker.key])
    assert rejected(world, env.to_json()).slug == "non-canonical-payload"


def test_a_statement_failing_its_schema_is_refused(world: World) -> None:
    world.manufactured()
    stmt = statement("elevator.sold", CODE, world.maker, at(1), buyer="91430900MA4L00006X")
    exc = rejected(world, sign_statement(stmt, [world.maker.key]).to_json())
    assert exc.slug == "invalid-statement" and "buyer" in exc.detail


def test_a_key_registered_and_used_in_one_batch_is_logged_before_what_it_signs(
    world: World,
) -> None:
    """The elevator's chain is touched first in the batch, then its terminal is bound, then the
    terminal reports: every entry must come after the registration of the key that signs it,
    or ``verify`` (which replays the log in order) would refuse the log the ledger wrote."""
    world.in_service(CODE)
    m = world.maintainer
    terminal = SigningKey.generate()
    device = Org(m.uscc, terminal, m.roles)
    first = statement("fault.reported", CODE, m, at(60), fault_id="F-A")
    binding = key_registration(m.uscc, m.uscc, terminal.verifying_key, at(61), bound_elevator=CODE)
    by_terminal = statement("fault.reported", CODE, m, at(62), fault_id="F-B")
    envelopes = [
        world.city.envelope([m], first),
        world.city.envelope([m], binding),
        world.city.envelope([device], by_terminal),
    ]
    receipts = world.city.node.service.submit_batch(envelopes)
    logged = [r for r in receipts if not isinstance(r, Rejected)]
    assert len(logged) == 3, receipts
    _, key_at, used_at = (r.log_index for r in logged)
    assert key_at < used_at
