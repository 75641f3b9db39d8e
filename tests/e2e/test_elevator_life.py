"""One elevator's whole life over HTTP, each step signed by a different organization's key.

Manufacture → installation → failed supervisory inspection → re-inspection → registration →
maintenance under contract (co-signed) → confirmation → terminal-reported fault → entrapment
rescue → hazard under supervision → stop / resume → periodic inspection → supervision,
penalty, complaint, insurance → scrapping → registration cancelled. Afterwards the chain links
up, every receipt verifies offline, and the log's checkpoint covers every entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.application.service import Receipt
from domain.model.roles import Role
from ledger.entry import Entry, entry_hash
from ledger.keys import SigningKey
from ledger.note import NoteVerifier
from ledger.receipt import Promise, verify_inclusion
from tests.support.city import NOW, City, Org, statement
from tests.support.timeline import Days

CODE = "311023010201500098"


@pytest.fixture
def city(tmp_path: Path, database_url: str) -> Iterator[tuple[City, TestClient]]:
    city = City.open(tmp_path, database_url)
    with TestClient(create_app(node=city.node)) as client:

        def post(envelope: dict[str, Any]) -> Receipt:
            response = client.post("/v1/statements", json=envelope)
            assert response.status_code == 201, response.text
            return Receipt(**response.json())

        city.submit = post
        yield city, client
    city.node.close()


def test_an_elevator_from_manufacture_to_cancellation(city: tuple[City, TestClient]) -> None:
    city_, client = city
    maker = city_.org(Role.MANUFACTURER, name="日立电梯（中国）有限公司")
    builder = city_.org(Role.CONSTRUCTION_UNIT, name="益阳市安装工程有限公司")
    institute = city_.org(Role.INSPECTION_INSTITUTE, name="湖南省特种设备检验检测研究院益阳分院")
    tester = city_.org(Role.TESTING_BODY, name="益阳检测有限公司")
    owner = city_.org(Role.USE_UNIT, name="幸福里物业管理有限公司")
    maintainer = city_.org(Role.MAINTENANCE_UNIT, name="安顺电梯维保有限公司")
    platform = city_.org(Role.RESCUE_PLATFORM, name="益阳96333应急处置平台")
    insurer = city_.org(Role.INSURER, name="人保财险益阳分公司")
    bureau = city_.org(Role.REGULATOR, name="益阳市赫山区市场监督管理局")
    history = Days(NOW - timedelta(days=1000))
    at, day = history.at, history.day

    say = city_.say
    receipts = [
        say(maker, statement("elevator.manufactured", CODE, maker, at(0), manufactured_on=day(0))),
        say(maker, statement("elevator.sold", CODE, maker, at(1), buyer=owner.uscc)),
        say(
            builder,
            statement("construction.notified", CODE, builder, at(10), planned_start=day(12)),
        ),
        say(
            builder,
            statement("construction.completed", CODE, builder, at(40), completed_on=day(40)),
        ),
        say(
            institute,
            statement(
                "inspection.concluded",
                CODE,
                institute,
                at(45),
                conclusion="fail",
                findings=["限速器动作速度偏高"],
                rectification_deadline=day(60),
                next_due=None,
            ),
        ),
        say(
            institute,
            statement(
                "inspection.concluded",
                CODE,
                institute,
                at(60),
                kind="re_inspection",
                next_due=day(425),
            ),
        ),
        say(
            bureau,
            statement(
                "registration.issued",
                CODE,
                bureau,
                at(65),
                use_unit=owner.uscc,
                regime="tsg_t7001_2023",
            ),
        ),
        say(platform, statement("rescue_code.assigned", CODE, platform, at(66))),
        say(
            maintainer,
            statement(
                "maintenance_contract.signed",
                CODE,
                maintainer,
                at(67),
                maintenance_unit=maintainer.uscc,
                use_unit=owner.uscc,
                valid_from=day(67),
                valid_to=day(900),
            ),
            owner,
        ),
        say(
            insurer,
            statement(
                "insurance.policy_issued",
                CODE,
                insurer,
                at(68),
                insured=owner.uscc,
                valid_from=day(68),
                valid_to=day(433),
            ),
        ),
        say(
            maintainer,
            statement(
                "maintenance.performed",
                CODE,
                maintainer,
                at(80),
                arrived_at=at(80).isoformat(),
                departed_at=(at(80) + timedelta(hours=1)).isoformat(),
            ),
        ),
        say(owner, statement("maintenance.confirmed", CODE, owner, at(81))),
    ]
    terminal = SigningKey.generate()
    from domain.model.onboarding import key_registration

    say(
        maintainer,
        key_registration(
            maintainer.uscc, maintainer.uscc, terminal.verifying_key, at(85), bound_elevator=CODE
        ),
    )
    terminal_org = Org(maintainer.uscc, terminal, maintainer.roles)
    receipts += [
        say(
            terminal_org,
            statement("fault.reported", CODE, maintainer, at(90), detected_at=at(90).isoformat()),
        ),
        say(maintainer, statement("fault.cleared", CODE, maintainer, at(90.2))),
        say(
            platform,
            statement("rescue.alarm", CODE, platform, at(100), alarm_at=at(100).isoformat()),
        ),
        say(
            platform,
            statement(
                "rescue.dispatched",
                CODE,
                platform,
                at(100.001),
                dispatched_at=at(100.001).isoformat(),
                responder=maintainer.uscc,
            ),
        ),
        say(
            maintainer,
            statement(
                "rescue.arrived", CODE, maintainer, at(100.01), arrived_at=at(100.01).isoformat()
            ),
        ),
        say(
            maintainer,
            statement(
                "rescue.released",
                CODE,
                maintainer,
                at(100.015),
                released_at=at(100.015).isoformat(),
            ),
        ),
        say(bureau, statement("hazard.listed", CODE, bureau, at(120), deadline=day(150))),
        say(bureau, statement("rectification.ordered", CODE, bureau, at(121), deadline=day(140))),
        say(maintainer, statement("rectification.completed", CODE, maintainer, at(135))),
        say(bureau, statement("hazard.closed", CODE, bureau, at(141))),
        say(owner, statement("use.stopped", CODE, owner, at(150))),
        say(owner, statement("use.resumed", CODE, owner, at(160))),
        say(
            institute,
            statement(
                "inspection.concluded",
                CODE,
                institute,
                at(420),
                kind="periodic",
                next_due=day(1500),
            ),
        ),
        say(
            tester,
            statement(
                "inspection.concluded",
                CODE,
                tester,
                at(790),
                kind="self_test",
                report_number="ZJ-2025-01",
                next_due=None,
            ),
        ),
        say(bureau, statement("supervision.checked", CODE, bureau, at(800))),
        say(bureau, statement("penalty.imposed", CODE, bureau, at(801), target=maintainer.uscc)),
        say(bureau, statement("complaint.received", CODE, bureau, at(802))),
        say(bureau, statement("complaint.resolved", CODE, bureau, at(803))),
        say(institute, statement("assessment.concluded", CODE, institute, at(804))),
        say(insurer, statement("insurance.claim_paid", CODE, insurer, at(805), rescue_id=None)),
        say(owner, statement("maintenance_contract.ended", CODE, owner, at(900))),
        say(owner, statement("elevator.scrapped", CODE, owner, at(901), scrapped_on=day(901))),
        say(bureau, statement("registration.cancelled", CODE, bureau, at(902))),
    ]
    assert [r.version for r in receipts] == list(range(1, len(receipts) + 1))

    verifier = NoteVerifier.parse(client.get("/v1/log/key").text)
    prev = None
    for r in receipts:
        entry_bytes = client.get(f"/v1/log/entries/{r.log_index}").content
        assert entry_hash(entry_bytes) == r.entry_hash
        entry = Entry.from_bytes(entry_bytes)
        assert (entry.subject, entry.version, entry.prev) == (f"elevator:{CODE}", r.version, prev)
        prev = r.entry_hash
        promise = Promise.open(r.promise, verifier)
        assert (promise.entry_hash, promise.index) == (r.entry_hash, r.log_index)
        verify_inclusion(entry_bytes, r.inclusion_proof, verifier)

    late = client.post(
        "/v1/statements",
        json=city_.envelope([bureau], statement("supervision.checked", CODE, bureau, at(903))),
    )
    assert late.status_code == 422 and late.json()["rule"] == "elevator-cancelled"
