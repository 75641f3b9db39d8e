"""The enterprise desk (/desk) over a real ledger, on both backends: our elevators and what is
due on them, our statements with receipts that verify offline, our keys, and the rejected
submissions filed under us only when our key's signature verified — bounded, and never shown
to another organization."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.cli.submission import _submit_chunk
from api.rejection_log import RejectionLog, rejections
from api.web.session import require_desk_user
from domain.model.signing import sign_statement
from ledger.keys import SigningKey
from ledger.note import NoteVerifier
from ledger.receipt import Promise, verify_inclusion
from tests.support.city import NOW, City, Org, statement
from tests.support.lift_states import HISTORY, Parties, build, commissioned, in_service, tell
from tests.support.seeded import PlannedCity
from tests.support.web import enterprise_user

OTHERS_LIFT = "311023010201500199"
FAULT = "F-DESK-1"
ORDER = "ZG-DESK-1"


@dataclass
class Desk:
    city: City
    app: FastAPI
    client: TestClient
    ours: Parties
    others: Parties
    codes: dict[str, str]

    def as_(self, org: Org) -> TestClient:
        """The client signed in to the desk as a member of ``org``'s staff (what
        tests/support/web.py ``signed_in`` sets, for the rest of the test)."""
        user = enterprise_user(org.uscc)
        self.app.dependency_overrides[require_desk_user] = lambda: user
        return self.client

    def post(self, body: Any, url: str = "/v1/statements") -> httpx.Response:
        headers = {"content-type": "application/json"}
        response: httpx.Response = self.client.post(
            url, content=orjson.dumps(body), headers=headers
        )
        return response

    def filed(self) -> list[Any]:
        with self.city.node.engine.connect() as conn:
            return list(conn.execute(select(rejections).order_by(rejections.c.id)))


@pytest.fixture
def desk(tmp_path: Path, database_url: str) -> Iterator[Desk]:
    city = City.open(tmp_path, database_url)
    ours = Parties.onboard(city)
    others = Parties.onboard(city)
    codes = build(city, ("normal", "rescue", "hazard", "stopped"), ours)
    in_service(city, others, OTHERS_LIFT)
    now = NOW - timedelta(hours=2)
    fault = statement(
        "fault.reported",
        codes["normal"],
        ours.maintainer,
        now,
        fault_id=FAULT,
        detected_at=now.isoformat(),
    )
    city.say(ours.maintainer, fault)
    order = statement(
        "rectification.ordered",
        codes["hazard"],
        ours.bureau,
        now,
        order_id=ORDER,
        hazard_id="H-1",
        items=["更换曳引钢丝绳"],
        deadline=(NOW + timedelta(days=10)).date().isoformat(),
    )
    city.say(ours.bureau, order)
    city.node.projections.catch_up()
    app = create_app(node=city.node)
    with TestClient(app) as client:
        yield Desk(city, app, client, ours, others, codes)
    city.node.close()


def clearing(desk: Desk, signer: Org, fault_id: str = "F-NEVER") -> dict[str, Any]:
    """A fault clearing of a fault never reported: refused (fault-not-open) once it verifies."""
    stmt = statement(
        "fault.cleared", desk.codes["normal"], signer, NOW - timedelta(minutes=5), fault_id=fault_id
    )
    return desk.city.envelope([signer], stmt)


def text_of(response: httpx.Response) -> str:
    """The page's text without tags (to read what a person reads)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))


# --- rejected submissions -------------------------------------------------------------------


def test_a_refusal_signed_by_our_verified_key_is_on_our_desk_with_rule_and_message(
    desk: Desk,
) -> None:
    maintainer = desk.ours.maintainer
    refused = desk.post(clearing(desk, maintainer))
    assert refused.status_code == 422 and refused.json()["rule"] == "fault-not-open"
    [row] = desk.filed()
    assert row.issuer == maintainer.uscc and row.key_id == maintainer.key.verifying_key.key_id
    assert (row.statement_type, row.subject) == (
        "fault.cleared",
        f"elevator:{desk.codes['normal']}",
    )
    assert (row.status, row.problem_type, row.rule) == (422, "rule-violation", "fault-not-open")
    page = desk.as_(maintainer).get("/desk/rejected")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    shown = text_of(page)
    assert "fault-not-open" in shown and "has no open fault F-NEVER" in shown
    # a Chinese reader reads why: the problem type and the rule in words, the English labelled
    compact = shown.replace(" ", "")
    assert "违反业务规则：没有该编号的未排除故障" in compact
    assert "原文（英文）：elevator" in compact
    assert "故障排除" in shown and desk.codes["normal"] in shown
    for other in (desk.ours.owner, desk.others.maintainer):  # the use unit too: not its key
        assert "没有记在贵单位名下的被拒提交" in desk.as_(other).get("/desk/rejected").text


def test_a_refusal_in_a_batch_is_filed_and_an_accepted_statement_is_not(desk: Desk) -> None:
    maintainer = desk.ours.maintainer
    visit = NOW - timedelta(hours=1)
    accepted = statement(
        "maintenance.performed",
        desk.codes["normal"],
        maintainer,
        visit,
        visit_id="V-DESK-BATCH",
        arrived_at=visit.isoformat(),
        departed_at=(visit + timedelta(minutes=50)).isoformat(),
    )
    envelopes = [sign_statement(accepted, [maintainer.key]).to_json(), clearing(desk, maintainer)]
    answer = desk.post(envelopes, "/v1/statements/batch")
    assert answer.status_code == 200 and answer.json()["accepted"] == 1
    [row] = desk.filed()
    assert row.rule == "fault-not-open" and row.issuer == maintainer.uscc


def test_a_refusal_with_a_bad_or_unknown_signature_is_filed_under_nobody(desk: Desk) -> None:
    maintainer = desk.ours.maintainer
    stranger = SigningKey.generate()  # claims to be the maintainer, with a key never registered
    claim = statement(
        "fault.cleared",
        desk.codes["normal"],
        maintainer,
        NOW - timedelta(minutes=5),
        fault_id="F-X",
    )
    unknown = desk.city.envelope([stranger], claim)
    assert desk.post(unknown).status_code == 401
    forged = clearing(desk, maintainer)
    sig = forged["signatures"][0]["sig"]
    forged["signatures"][0]["sig"] = ("A" if sig[0] != "A" else "B") + sig[1:]
    assert desk.post(forged).status_code == 401
    assert desk.post({"payloadType": "x", "payload": "", "signatures": []}).status_code in (
        400,
        422,
    )
    assert desk.filed() == []
    for org in (maintainer, desk.ours.owner):
        assert "没有记在贵单位名下的被拒提交" in desk.as_(org).get("/desk/rejected").text


def test_a_refusal_signed_with_another_organizations_key_is_filed_under_the_signer(
    desk: Desk,
) -> None:
    """Signed by the other maintainer, claiming to be ours: refused as not authorized, and
    filed under the key's owner, never under the organization it claims to be."""
    impostor, claimed = desk.others.maintainer, desk.ours.maintainer
    stmt = statement(
        "fault.cleared", desk.codes["normal"], claimed, NOW - timedelta(minutes=5), fault_id="F-Y"
    )
    assert desk.post(desk.city.envelope([impostor], stmt)).status_code == 403
    assert [r.issuer for r in desk.filed()] == [impostor.uscc]
    assert "没有记在贵单位名下的被拒提交" in desk.as_(claimed).get("/desk/rejected").text


def test_the_log_keeps_at_most_its_bound_per_issuer(desk: Desk) -> None:
    maintainer, owner = desk.ours.maintainer, desk.ours.owner
    desk.post(clearing(desk, owner))  # the owner's refusal is not pushed out by the maintainer's
    node = desk.city.node
    bounded = RejectionLog(node.engine, keep=3, turn=node.service.turn)
    for i in range(5):
        result = node.service.submit_batch([clearing(desk, maintainer, f"F-BOUND-{i}")])
        assert bounded.record(result) == 1
    kept = bounded.page(maintainer.uscc)
    assert [r.detail.rsplit(" ", 1)[-1] for r in kept] == ["F-BOUND-4", "F-BOUND-3", "F-BOUND-2"]
    assert bounded.count(maintainer.uscc) == 3 and bounded.count(owner.uscc) == 1


def test_the_cli_submitting_directly_files_its_refusals_too(desk: Desk) -> None:
    results = _submit_chunk([clearing(desk, desk.ours.maintainer)], None, desk.city.node)
    assert results[0]["problem"]["rule"] == "fault-not-open"
    assert [r.rule for r in desk.filed()] == ["fault-not-open"]


def test_filing_that_fails_leaves_the_refusal_as_it_is(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> None:
        raise RuntimeError("the table is gone")

    monkeypatch.setattr(RejectionLog, "_file", broken)
    refused = desk.post(clearing(desk, desk.ours.maintainer))
    assert refused.status_code == 422 and refused.json()["rule"] == "fault-not-open"
    assert desk.filed() == []


# --- our elevators ---------------------------------------------------------------------------


def test_my_elevators_lists_what_names_us_and_the_days_work(desk: Desk) -> None:
    page = desk.as_(desk.ours.maintainer).get("/desk")
    assert page.status_code == 200
    shown = text_of(page)
    for code in desk.codes.values():
        assert code in shown
    assert OTHERS_LIFT not in shown
    assert re.search(r'id="count-elevators">4<', page.text)
    assert re.search(r'id="count-rescues">1<', page.text)
    assert re.search(r'id="count-faults">1<', page.text)
    assert re.search(r'id="count-orders">1<', page.text)
    assert re.search(r'id="count-hazards">1<', page.text)
    assert FAULT in shown and ORDER in shown and "曳引钢丝绳断丝超标" in shown
    assert "赫山花园物业服务有限公司" in shown, "each row names the use unit"
    assert "R-LIVE-1" in shown


EXPIRED_LIFT = "311023010201500121"


def test_a_use_unit_whose_contract_expired_is_told_it_has_none_in_force(desk: Desk) -> None:
    """The console's 无维保合同 list and the use unit's desk say the same, by the same flag."""
    contract = {"contract_number": "WB-EXPIRED", "valid_to": HISTORY.day(150)}  # 50 days ago
    tell(desk.city, commissioned(desk.ours, EXPIRED_LIFT, contract_fields=contract))
    desk.city.node.projections.catch_up()
    owner = desk.as_(desk.ours.owner).get("/desk")
    assert owner.status_code == 200
    assert re.search(r'id="count-no-contract">1<', owner.text)
    section = text_of(owner).split("无维保合同", 1)[1].split("天内应维保", 1)[0]
    assert EXPIRED_LIFT in section and "WB-EXPIRED" in section
    assert HISTORY.day(150) in section and "安达电梯维保有限公司" in section
    assert "在用电梯今天没有有效的维保合同" in section, "the console list's words"
    for code in desk.codes.values():  # under contract: not listed
        assert code not in section
    # the maintainer (no longer under contract) is not the one told; nor is anyone else
    maintainer = desk.as_(desk.ours.maintainer).get("/desk")
    assert re.search(r'id="count-no-contract">0<', maintainer.text)
    assert EXPIRED_LIFT not in desk.as_(desk.others.owner).get("/desk").text
    lift = text_of(desk.as_(desk.ours.owner).get(f"/desk/elevators/{EXPIRED_LIFT}"))
    assert "没有在有效期内的维保合同（最近的合同WB-EXPIRED" in lift.replace(" ", "")


def test_a_use_unit_under_contract_is_told_all_is_in_force(desk: Desk) -> None:
    page = desk.as_(desk.ours.owner).get("/desk")
    assert re.search(r'id="count-no-contract">0<', page.text)
    assert 'id="no-contract-none"' in page.text


def test_the_elevators_page_shows_its_status_due_and_history(desk: Desk) -> None:
    client = desk.as_(desk.ours.maintainer)
    page = client.get(f"/desk/elevators/{desk.codes['rescue']}")
    assert page.status_code == 200
    assert re.search(r'id="status-badge">困人救援中<', page.text), "the QR page's words"
    shown = text_of(page)
    assert "维保单位" in shown and "下次维保" in shown and "维保合同" in shown
    assert re.search(rf'id="contract">C-{desk.codes["rescue"][-4:]}（有效至 \d{{4}}-', page.text)
    page = client.get(f"/desk/elevators/{desk.codes['normal']}")
    assert FAULT in text_of(page)
    # each record read as labelled lines, the signed JSON behind a <details>
    history = page.text.split('id="history"', 1)[1]
    code = desk.codes["normal"]
    assert f"合同编号：C-{code[-4:]}" in history and "维保单位：安达电梯维保有限公司" in history
    assert re.search(r"<details class=\"raw\"><summary>[^<]*JSON[^<]*</summary><pre", history)


def test_another_organizations_elevator_and_entries_are_not_found(desk: Desk) -> None:
    client = desk.as_(desk.ours.maintainer)
    theirs = client.get(f"/desk/elevators/{OTHERS_LIFT}")
    nothing = client.get("/desk/elevators/311023010201599999")
    assert theirs.status_code == nothing.status_code == 404
    assert text_of(theirs) == text_of(nothing), "the answer says nothing of whether it exists"
    assert OTHERS_LIFT not in text_of(theirs).replace(f"/desk/elevators/{OTHERS_LIFT}", "")
    index = _index_of(desk, desk.others.maintainer.uscc)
    assert client.get(f"/desk/statements/{index}").status_code == 404
    assert client.get(f"/desk/statements/{index}/receipt.json").status_code == 404
    for bad in ("abc", "-1", "9" * 40):
        assert client.get(f"/desk/statements/{bad}").status_code == 404


def _index_of(desk: Desk, issuer: str) -> int:
    from projections.schema import entries

    with desk.city.node.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.max(entries.c.log_index)).where(entries.c.issuer == issuer)
            ).scalar_one()
        )


# --- statements and receipts -----------------------------------------------------------------


def test_our_statements_carry_receipts_that_verify_offline(desk: Desk) -> None:
    maintainer = desk.ours.maintainer
    client = desk.as_(maintainer)
    page = client.get("/desk/statements")
    assert page.status_code == 200
    indices = [int(i) for i in re.findall(r'data-log-index="(\d+)"', page.text)]
    assert indices and "不保存、不接收任何私钥" in page.text
    verifier = NoteVerifier.parse(client.get("/v1/log/key").text)
    download = client.get(f"/desk/statements/{indices[0]}/receipt.json")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    receipt = download.json()
    assert set(receipt) == {
        "entry_hash",
        "subject",
        "version",
        "log_index",
        "recorded_at",
        "type",
        "late",
        "duplicate",
        "promise",
        "inclusion_proof",
    }
    entry = client.get(f"/v1/log/entries/{receipt['log_index']}").content
    verify_inclusion(entry, receipt["inclusion_proof"], verifier)
    promise = Promise.open(receipt["promise"], verifier)
    assert (promise.index, promise.entry_hash) == (receipt["log_index"], receipt["entry_hash"])
    detail = client.get(f"/desk/statements/{indices[0]}")
    assert detail.status_code == 200 and receipt["entry_hash"] in detail.text


def test_the_statements_filters_and_bad_input(desk: Desk) -> None:
    client = desk.as_(desk.ours.maintainer)
    only = client.get("/desk/statements", params={"type": "fault.reported"})
    assert only.status_code == 200
    assert len(re.findall(r'data-log-index="', only.text)) == 1
    future = client.get("/desk/statements", params={"from": "2099-01-01"})
    assert "没有符合筛选条件的记录" in future.text
    for params in (
        {"type": "no.such"},
        {"from": "yesterday"},
        {"page": "0"},
        {"page": "x"},
        {"from": "2026-02-01", "to": "2026-01-01"},
    ):
        assert client.get("/desk/statements", params=params).status_code == 400, params
    assert client.get("/desk", params={"page": "-3"}).status_code == 400
    assert client.get("/desk/rejected", params={"page": "y"}).status_code == 400


def test_our_keys_and_their_status(desk: Desk) -> None:
    maintainer = desk.ours.maintainer
    spare = SigningKey.generate()
    registered = {
        "type": "key.registered",
        "organization": maintainer.uscc,
        "issuer": maintainer.uscc,
        "occurred_at": (NOW - timedelta(minutes=30)).isoformat(),
        "data": {
            "key_id": spare.verifying_key.key_id,
            "algorithm": "ed25519",
            "public_key": spare.verifying_key.public_b64(),
        },
    }
    desk.city.say(maintainer, registered)
    revoked = {
        "type": "key.revoked",
        "organization": maintainer.uscc,
        "issuer": maintainer.uscc,
        "occurred_at": (NOW - timedelta(minutes=20)).isoformat(),
        "data": {"key_id": spare.verifying_key.key_id, "reason": "终端更换"},
    }
    desk.city.say(maintainer, revoked)
    desk.city.node.projections.catch_up()
    stale = statement(
        "fault.cleared",
        desk.codes["normal"],
        maintainer,
        NOW - timedelta(minutes=5),
        fault_id="F-Z",
    )
    refused = desk.post(desk.city.envelope([spare], stale))
    assert refused.status_code == 403 and refused.json()["rule"] == "key-revoked"
    assert desk.filed() == [], "a revoked key (perhaps in other hands) files nothing under us"
    page = desk.as_(maintainer).get("/desk/keys")
    shown = text_of(page)
    assert maintainer.key.verifying_key.key_id in shown and spare.verifying_key.key_id in shown
    assert "已吊销" in shown and "终端更换" in shown and "有效" in shown
    assert desk.others.maintainer.key.verifying_key.key_id not in shown
    assert "<form" not in page.text.split("<main>")[1], "no upload, no form: the desk takes no key"


def test_every_demo_organizations_desk_opens(planned_city: PlannedCity) -> None:
    """On the demo's planned city (every role, years of history, read-only here), each
    organization's pages answer, and each elevator on its desk opens."""
    plan, node = planned_city.plan, planned_city.city.node
    app = create_app(node=node)
    lifts, receipts = 0, 0
    with TestClient(app) as client:
        for org in (plan.regulator, *plan.organizations):
            user = enterprise_user(org.uscc)
            app.dependency_overrides[require_desk_user] = lambda user=user: user
            for path in ("/desk", "/desk/statements", "/desk/rejected", "/desk/keys"):
                assert client.get(path).status_code == 200, (org.name, path)
            home = client.get("/desk").text
            for code in sorted(set(re.findall(r'href="/desk/elevators/(\w+)"', home))):
                assert client.get(f"/desk/elevators/{code}").status_code == 200, (org.name, code)
                lifts += 1
            mine = re.findall(r'data-log-index="(\d+)"', client.get("/desk/statements").text)
            if mine:
                assert client.get(f"/desk/statements/{mine[0]}/receipt.json").status_code == 200
                receipts += 1
    app.dependency_overrides.clear()
    assert lifts >= len(plan.elevators) and receipts >= 3, "the city's parties have desks to open"
