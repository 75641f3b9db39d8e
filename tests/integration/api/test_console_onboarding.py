"""The console's onboarding (/console/onboarding), on both backends: the form prepares the
statements for offline signing and writes nothing; the authority signs them away from the
server; the envelopes uploaded back go through the write path, each answered with its receipt
or its refusal; a private key pasted by mistake is refused and never shown again."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.model.identifiers import make_uscc
from domain.model.roles import Role
from domain.model.signing import sign_statement
from ledger.keys import SigningKey
from tests.support.city import City
from tests.support.web import CSRF, regulator_user, signed_in

ENTERPRISE = make_uscc("91430900MA4L77701")
DOWNLOAD = re.compile(r'href="data:application/x-ndjson;base64,([^"]+)"')


@dataclass
class Console:
    city: City
    client: TestClient

    def log_size(self) -> int:
        return self.city.node.log.size()


@pytest.fixture
def console(tmp_path: Path, database_url: str) -> Iterator[Console]:
    city = City.open(tmp_path, database_url)
    app = create_app(node=city.node)
    user = regulator_user(city.authority.uscc, ("430900",))
    with signed_in(app, user), TestClient(app) as client:
        yield Console(city, client)
    city.node.close()


def form(key: SigningKey, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrf_token": CSRF,
        "issuer": "11430900MB1C2D3E45",
        "name": "益阳市新入驻电梯维保有限公司",
        "uscc": ENTERPRISE,
        "district": "430903",
        "address": "益阳市赫山区龙岭大道99号",
        "legal_representative": "赵六",
        "roles": ["maintenance_unit"],
        "valid_from": "2020-01-01",
        "licence_kind": ["installation_repair", ""],
        "licence_number": ["TS3343099-2030", ""],
        "licence_scope": ["3110, 3120", ""],
        "licence_from": ["2020-01-01", ""],
        "licence_to": ["2030-12-31", ""],
        "public_key": key.verifying_key.public_b64(),
    }
    data.update(changes)
    return data


def prepared(html: str) -> list[dict[str, Any]]:
    found = DOWNLOAD.search(html)
    assert found, "the page offers the statements as a download"
    return [orjson.loads(line) for line in base64.b64decode(found.group(1)).splitlines()]


def signed(statements: list[dict[str, Any]], key: SigningKey) -> str:
    """As ``elevator-ledger sign`` does offline: one envelope per line."""
    return "".join(sign_statement(s, [key]).to_bytes().decode() + "\n" for s in statements)


def outcomes(html: str) -> list[str]:
    return re.findall(r'<tr class="(accepted|refused)">', html)


def test_prepare_sign_offline_upload_and_the_organization_is_in_the_ledger(
    console: Console,
) -> None:
    key = SigningKey.generate()
    before = console.log_size()
    page = console.client.post("/console/onboarding/prepare", data=form(key))
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    statements = prepared(page.text)
    assert console.log_size() == before, "preparing writes nothing"
    assert "elevator-ledger sign onboarding-" in page.text
    assert [s["type"] for s in statements] == [
        "org.registered",
        "org.role_granted",
        "org.licence_granted",
        "key.registered",
    ]

    envelopes = signed(statements, console.city.authority.key)
    done = console.client.post(
        "/console/onboarding/submit",
        data={"csrf_token": CSRF},
        files={"file": ("signed.jsonl", envelopes.encode(), "application/x-ndjson")},
    )
    assert done.status_code == 200, done.text
    assert outcomes(done.text) == ["accepted"] * 4
    assert "4 个已写入账本，0 个被拒收" in done.text
    indexes = re.findall(r'class="log-index">(\d+)<', done.text)
    assert [int(i) for i in indexes] == list(range(before, before + 4))

    org = console.city.node.app.organization(ENTERPRISE)
    assert org is not None and org.state.registered
    assert org.state.name == "益阳市新入驻电梯维保有限公司"
    assert org.state.district == "430903"
    assert set(org.state.roles) == {Role.MAINTENANCE_UNIT}
    assert set(org.state.licences) == {"TS3343099-2030"}
    assert org.state.key_ids == {key.key_id}
    assert f'href="/console/organizations/{ENTERPRISE}"' in done.text

    again = console.client.post(
        "/console/onboarding/submit", data={"csrf_token": CSRF, "envelopes": envelopes}
    )
    assert outcomes(again.text) == ["accepted"] * 4
    assert again.text.count("重复提交") == 4, "the ledger answers duplicates with their receipts"
    assert console.log_size() == before + 4


def test_a_tampered_envelope_is_refused_and_shown_with_its_rule(console: Console) -> None:
    key = SigningKey.generate()
    statements = prepared(console.client.post("/console/onboarding/prepare", data=form(key)).text)
    lines = signed(statements, console.city.authority.key).splitlines()
    first = orjson.loads(lines[0])
    payload = orjson.loads(base64.b64decode(first["envelope"]["payload"]))
    payload["data"]["name"] = "冒名顶替有限公司"
    first["envelope"]["payload"] = base64.b64encode(orjson.dumps(payload)).decode()
    before = console.log_size()

    done = console.client.post(
        "/console/onboarding/submit",
        data={"csrf_token": CSRF, "envelopes": "\n".join([orjson.dumps(first).decode()])},
    )

    assert outcomes(done.text) == ["refused"]
    assert "拒收" in done.text
    assert re.search(r'<code class="rule">(bad-signature|non-canonical-payload)</code>', done.text)
    assert console.log_size() == before
    assert console.city.node.app.organization(ENTERPRISE) is None


def test_a_form_without_the_csrf_token_is_refused_and_nothing_is_prepared(
    console: Console,
) -> None:
    key = SigningKey.generate()
    answer = console.client.post(
        "/console/onboarding/prepare", data={**form(key), "csrf_token": "forged"}
    )
    assert answer.status_code == 403
    assert not DOWNLOAD.search(answer.text) and "org.registered" not in answer.text
    upload = console.client.post("/console/onboarding/submit", data={"envelopes": "{}"})
    assert upload.status_code == 403


def test_a_private_key_pasted_by_mistake_is_refused_with_a_warning_and_never_echoed(
    console: Console,
) -> None:
    private = SigningKey.generate().to_pem().decode()
    answer = console.client.post(
        "/console/onboarding/prepare", data=form(SigningKey.generate(), public_key=private)
    )
    assert answer.status_code == 422
    assert 'id="private-key-warning"' in answer.text
    assert "私钥" in answer.text
    body = "".join(private.split("\n")[1:-2])
    assert body[:20] not in answer.text and "PRIVATE KEY-----" not in answer.text
    assert not DOWNLOAD.search(answer.text)
    assert 'value="益阳市新入驻电梯维保有限公司"' in answer.text, "the rest of the form is kept"


def test_bad_fields_come_back_named_beside_the_form_and_nothing_is_prepared(
    console: Console,
) -> None:
    key = SigningKey.generate()
    answer = console.client.post(
        "/console/onboarding/prepare",
        data=form(key, uscc=ENTERPRISE[:-1] + "0", district="440300", roles=[]),
    )
    assert answer.status_code == 422
    assert 'id="error-uscc"' in answer.text and "check character" in answer.text
    assert 'id="error-district"' in answer.text and "不在您的辖区" in answer.text
    assert 'id="error-roles"' in answer.text
    assert not DOWNLOAD.search(answer.text)


def test_an_organization_already_registered_or_a_key_already_used_is_refused_before_signing(
    console: Console,
) -> None:
    existing = console.city.org(Role.USE_UNIT)
    answer = console.client.post(
        "/console/onboarding/prepare",
        data=form(existing.key, uscc=existing.uscc),
    )
    assert answer.status_code == 422
    assert "已登记" in answer.text
    assert "此公钥已登记过" in answer.text


def test_an_upload_that_is_not_envelopes_submits_nothing(console: Console) -> None:
    before = console.log_size()
    answer = console.client.post(
        "/console/onboarding/submit", data={"csrf_token": CSRF, "envelopes": "hello\nworld"}
    )
    assert answer.status_code == 400
    assert 'id="upload-error"' in answer.text and "第 1 行不是 JSON" in answer.text
    assert console.log_size() == before


def test_only_onboarding_statements_are_submitted_here(console: Console) -> None:
    org = console.city.org(Role.USE_UNIT)
    other = {
        "type": "key.revoked",
        "organization": org.uscc,
        "issuer": org.uscc,
        "occurred_at": "2026-01-01T00:00:00+08:00",
        "data": {"key_id": org.key.key_id, "reason": "测试"},
    }
    envelope = sign_statement(other, [org.key]).to_bytes().decode()
    answer = console.client.post(
        "/console/onboarding/submit", data={"csrf_token": CSRF, "envelopes": envelope}
    )
    assert outcomes(answer.text) == ["refused"]
    assert "不是入驻声明" in answer.text
    assert console.city.node.app.organization(org.uscc).state.key_ids == {org.key.key_id}  # type: ignore[union-attr]


def test_the_form_page_offers_every_role_in_chinese_and_posts_the_csrf_token(
    console: Console,
) -> None:
    page = console.client.get("/console/onboarding")
    assert page.status_code == 200
    for label in ("使用单位", "维保单位", "检验机构", "检测机构", "制造单位"):
        assert label in page.text
    assert page.text.count(f'name="csrf_token" value="{CSRF}"') >= 3


def test_a_bureau_holding_the_regulator_role_may_sign_the_statements_itself(
    tmp_path: Path, database_url: str
) -> None:
    """Who may sign org.registered: the root authority, or an organization holding the
    regulator role on the date (domain/model/authorization.py); the form offers both."""
    city = City.open(tmp_path, database_url)
    bureau = city.org(Role.REGULATOR, name="赫山区市场监督管理局")
    app = create_app(node=city.node)
    key = SigningKey.generate()
    try:
        with signed_in(app, regulator_user(bureau.uscc, ("430903",))), TestClient(app) as client:
            assert f'<option value="{bureau.uscc}"' in client.get("/console/onboarding").text
            page = client.post("/console/onboarding/prepare", data=form(key, issuer=bureau.uscc))
            statements = prepared(page.text)
            assert {s["issuer"] for s in statements} == {bureau.uscc}
            assert "本局私钥.pem" in page.text
            done = client.post(
                "/console/onboarding/submit",
                data={"csrf_token": CSRF, "envelopes": signed(statements, bureau.key)},
            )
            assert outcomes(done.text) == ["accepted"] * 4
        org = city.node.app.organization(ENTERPRISE)
        assert org is not None and org.state.key_ids == {key.key_id}
    finally:
        city.node.close()


def test_an_issuer_other_than_the_authority_or_the_user_s_bureau_is_refused(
    console: Console,
) -> None:
    other = console.city.org(Role.MAINTENANCE_UNIT)
    answer = console.client.post(
        "/console/onboarding/prepare", data=form(SigningKey.generate(), issuer=other.uscc)
    )
    assert answer.status_code == 422
    assert 'id="error-issuer"' in answer.text
    assert not DOWNLOAD.search(answer.text)


def test_signed_statements_about_another_district_are_not_submitted_here(
    console: Console,
) -> None:
    key = SigningKey.generate()
    statements = prepared(console.client.post("/console/onboarding/prepare", data=form(key)).text)
    for s in statements:  # as if prepared elsewhere for a Changsha company
        if s["type"] == "org.registered":
            s["data"]["district"] = "430102"
    before = console.log_size()
    done = console.client.post(
        "/console/onboarding/submit",
        data={"csrf_token": CSRF, "envelopes": signed(statements, console.city.authority.key)},
    )
    assert outcomes(done.text) == ["refused"] * 4
    assert "不在您的辖区内" in done.text
    assert console.log_size() == before
