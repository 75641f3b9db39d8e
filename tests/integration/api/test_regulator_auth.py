"""Who may read what.

Regulator endpoints (work lists, replay) need a regulator's bearer token: 401 with a
``WWW-Authenticate: Bearer`` challenge without a usable one, 403 when the token's organization
is not (or no longer) a regulator in the ledger; the OpenAPI document says so on exactly those
operations; the operator's ``token issue|list|revoke`` commands. And the anonymous read side
(every public GET, the QR page) never shows a value the catalogue marks personal, for an
elevator whose history holds every statement type with personal fields — the raw log entries
included, which hold salted digests where the values were signed; regulators read the values
with the disclosures that prove them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import fastapi.routing
import httpx
import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner, Result

from api.app import create_app
from api.auth import TokenStore, access_tokens, require_regulator
from api.cli.main import app as cli_app
from api.web.session import require_console_user, require_desk_user
from domain.model.catalogue import CATALOGUE
from domain.model.identifiers import make_uscc
from domain.model.onboarding import licences_for, onboarding_statements
from domain.model.roles import Role
from ledger.keys import SigningKey
from projections.schema import identifiers
from tests.support.city import LONG_AGO, NOW, City, Org, new_uscc, statement
from tests.support.lift_states import Commissioners, commissioned, tell
from tests.support.timeline import Days

CODE = "311023010201500098"
PROBLEM_JSON = "application/problem+json"
HISTORY = Days(NOW - timedelta(days=120))
at, day = HISTORY.at, HISTORY.day
REPO = Path(__file__).resolve().parents[3]


# --------------------------------------------------------------------------------------------
# An elevator whose history holds every statement type with personal fields
# --------------------------------------------------------------------------------------------

#: Personal values, one distinctive word each, so finding one anywhere is a leak.
TECHNICIANS = [
    {"name": "PIItechAlpha", "certificate_number": "PIIcert1001X"},
    {"name": "PIItechBravo", "certificate_number": "PIIcert2002Y"},
]
CONFIRMED_BY = "PIIconfirmCharlie"
COMPLAINANT = "PIIcontactDelta"
#: What each catalogue personal field holds in the history below.
PERSONAL: dict[tuple[str, str], list[str]] = {
    ("maintenance.performed", "technicians.*.name"): [t["name"] for t in TECHNICIANS],
    ("maintenance.performed", "technicians.*.certificate_number"): [
        t["certificate_number"] for t in TECHNICIANS
    ],
    ("maintenance.confirmed", "confirmed_by"): [CONFIRMED_BY],
    ("complaint.received", "complainant_contact"): [COMPLAINANT],
}


def representative(role: Role) -> str:
    return f"PIIrep{role.value.title().replace('_', '')}"


def onboard(city: City, role: Role, name: str) -> Org:
    """Like ``City.org``, with a legal representative of the organization's own."""
    org = Org(new_uscc(), SigningKey.generate(), (role,))
    licences = licences_for(
        (role,), f"TS-{org.uscc[-6:]}", ("3110", "3310"), LONG_AGO.date(), date(2099, 1, 1)
    )
    for stmt in onboarding_statements(
        regulator=city.authority.uscc,
        uscc=org.uscc,
        name=name,
        district="430902",
        address="益阳市赫山区",
        legal_representative=representative(role),
        roles=(role,),
        licences=licences,
        key=org.key.verifying_key,
        at=LONG_AGO,
        valid_from=LONG_AGO.date(),
    ):
        city.say(city.authority, stmt)
    return org


ROLES = {
    Role.MANUFACTURER: "日立电梯（中国）有限公司",
    Role.CONSTRUCTION_UNIT: "益阳市安装工程有限公司",
    Role.INSPECTION_INSTITUTE: "湖南省特检院益阳分院",
    Role.USE_UNIT: "幸福里物业管理有限公司",
    Role.MAINTENANCE_UNIT: "安顺电梯维保有限公司",
    Role.RESCUE_PLATFORM: "益阳96333应急处置平台",
    Role.REGULATOR: "益阳市赫山区市场监督管理局",
}
PERSONAL["org.registered", "legal_representative"] = [representative(r) for r in ROLES]


@dataclass
class Town:
    city: City
    orgs: dict[Role, Org]
    client: TestClient

    @property
    def bureau(self) -> Org:
        return self.orgs[Role.REGULATOR]

    def token(self, org: Org | str, lifetime: timedelta = timedelta(days=1), **kw: Any) -> str:
        uscc = org if isinstance(org, str) else org.uscc
        token, _ = TokenStore.open(self.city.node.engine).issue(uscc, "alice", lifetime, **kw)
        return token

    def get(self, url: str, token: str | None = None, **params: Any) -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        response: httpx.Response = self.client.get(url, params=params, headers=headers)
        return response


def _history(city: City) -> dict[Role, Org]:
    orgs = {role: onboard(city, role, name) for role, name in ROLES.items()}
    owner, maintainer = orgs[Role.USE_UNIT], orgs[Role.MAINTENANCE_UNIT]
    platform = orgs[Role.RESCUE_PLATFORM]
    crew = Commissioners(
        orgs[Role.MANUFACTURER],
        orgs[Role.CONSTRUCTION_UNIT],
        orgs[Role.INSPECTION_INSTITUTE],
        owner,
        maintainer,
        orgs[Role.REGULATOR],
    )
    steps = commissioned(
        crew,
        CODE,
        HISTORY,
        next_due=day(390),
        rescue_platform=platform,
        contract_fields={"contract_number": "WB-1", "valid_to": day(400)},
    )
    tell(city, steps)
    for n, visit_day in enumerate((40, 54, 68, 82, 96, 110), 1):
        city.say(
            maintainer,
            statement(
                "maintenance.performed",
                CODE,
                maintainer,
                at(visit_day),
                visit_id=f"V-{n}",
                arrived_at=at(visit_day - 0.1).isoformat(),
                departed_at=at(visit_day - 0.05).isoformat(),
                technicians=TECHNICIANS,
            ),
        )
        city.say(
            owner,
            statement(
                "maintenance.confirmed",
                CODE,
                owner,
                at(visit_day + 0.1),
                visit_id=f"V-{n}",
                confirmed_by=CONFIRMED_BY,
            ),
        )
    city.say(
        platform,
        statement("complaint.received", CODE, platform, at(100), complainant_contact=COMPLAINANT),
    )
    city.node.projections.catch_up()
    return orgs


@pytest.fixture
def town(tmp_path: Path, database_url: str) -> Iterator[Town]:
    city = City.open(tmp_path, database_url)
    try:
        orgs = _history(city)
        with TestClient(create_app(node=city.node)) as client:
            yield Town(city, orgs, client)
    finally:
        city.node.close()


# --------------------------------------------------------------------------------------------
# Regulator endpoints need a regulator's token
# --------------------------------------------------------------------------------------------

REPLAY = f"/v1/elevators/{CODE}/replay"


def regulator_calls(town: Town) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("/v1/regulator/worklists", {}),
        ("/v1/regulator/worklists/maintenance-overdue", {"district": "430902"}),
        ("/v1/regulator/worklists/suspicious-maintenance", {}),
        (REPLAY, {"as_of": NOW.isoformat(), "axis": "recorded"}),
        ("/v1/regulator/entries/0", {}),
        (f"/v1/regulator/organizations/{town.orgs[Role.MAINTENANCE_UNIT].uscc}/scorecard", {}),
    ]


def refused(response: httpx.Response, status: int, slug: str, error: str | None) -> str:
    """A problem document with a Bearer challenge (RFC 6750 §3); the detail."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["type"].endswith(f"/problems/{slug}") and body["status"] == status
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="elevator-ledger regulator API"'), challenge
    if error is None:
        assert "error=" not in challenge
    else:
        assert f'error="{error}"' in challenge
    for forbidden in ("steps", "items", "maintenance-overdue"):
        assert forbidden not in body
    detail: str = body["detail"]
    return detail


def test_without_a_usable_token_every_regulator_endpoint_answers_401(town: Town) -> None:
    good = town.token(town.bureau)
    token_id, secret = good.split("_", 2)[1:]
    wrong_secret = good[:-1] + ("A" if good[-1] != "A" else "B")
    for url, params in regulator_calls(town):
        detail = refused(town.get(url, **params), 401, "unauthenticated", None)
        assert "bearer token" in detail
        basic = town.client.get(url, params=params, headers={"Authorization": "Basic YTpi"})
        refused(basic, 401, "unauthenticated", None)
        for bad, why in (
            ("not-a-token", "malformed"),
            (f"elr_{token_id}_short", "malformed"),
            (good + "x", "malformed"),
            (wrong_secret, "not known"),
            (f"elr_{'0' * 16}_{secret}", "not known"),
        ):
            detail = refused(town.get(url, bad, **params), 401, "unauthenticated", "invalid_token")
            assert why in detail, (bad, detail)
    # unauthenticated callers learn nothing about the request: 401 before validation or 404
    refused(town.get("/v1/elevators/311023010201500099/replay"), 401, "unauthenticated", None)
    refused(town.get("/v1/regulator/worklists/no-such-list"), 401, "unauthenticated", None)


def test_a_regulators_token_opens_them(town: Town) -> None:
    for org in (town.bureau, town.city.authority):  # a regulator; the root authority
        token = town.token(org)
        for url, params in regulator_calls(town):
            response = town.get(url, token, **params)
            assert response.status_code == 200, (url, response.text)
            assert response.headers["cache-control"] == "no-store"
        replay = town.get(REPLAY, token, as_of=NOW.isoformat()).json()
        assert replay["verified"] is True and replay["state"]["lifecycle"] == "in_service"
        # authenticated, the usual answers come back
        missing = town.get(REPLAY, token)
        assert missing.status_code == 422 and missing.headers["content-type"] == PROBLEM_JSON
        assert town.get("/v1/regulator/worklists/no-such-list", token).status_code == 404


def test_the_old_name_sanwu_answers_a_problem_naming_the_renamed_list(town: Town) -> None:
    token = town.token(town.bureau)
    names = town.get("/v1/regulator/worklists", token).json()
    assert "sanwu" not in names and names["no-maintenance-contract"].startswith("无维保合同")
    answer = town.get("/v1/regulator/worklists/sanwu", token)
    assert answer.status_code == 404 and answer.headers["content-type"] == PROBLEM_JSON
    problem = answer.json()
    assert problem["type"].endswith("/worklist-renamed")
    assert problem["renamed_to"] == "no-maintenance-contract"
    assert "no-maintenance-contract" in problem["detail"]
    listed = town.get("/v1/regulator/worklists/no-maintenance-contract", token).json()
    assert listed["name"] == "no-maintenance-contract" and isinstance(listed["items"], list)


def test_expired_and_revoked_tokens_are_refused(town: Town) -> None:
    store = TokenStore.open(town.city.node.engine)
    past = datetime.now(UTC) - timedelta(days=2)
    expired, _ = store.issue(town.bureau.uscc, "bob", timedelta(days=1), now=past)
    answer = town.get(REPLAY, expired, as_of=NOW.isoformat())
    detail = refused(answer, 401, "unauthenticated", "invalid_token")
    assert detail.startswith("the token expired at ")

    token, record = store.issue(town.bureau.uscc, "carol", timedelta(days=30))
    assert town.get("/v1/regulator/worklists", token).status_code == 200
    revoked, first = store.revoke(record.id)
    assert first and revoked.revoked_at is not None
    again, second = store.revoke(record.id)
    assert not second and again.revoked_at == revoked.revoked_at  # the first time is kept
    answer = town.get("/v1/regulator/worklists", token)
    detail = refused(answer, 401, "unauthenticated", "invalid_token")
    assert detail.startswith("the token was revoked at ")
    with pytest.raises(KeyError):
        store.revoke("0" * 16)
    with pytest.raises(ValueError, match="366 days"):
        store.issue(town.bureau.uscc, "dave", timedelta(days=367))


def test_a_token_of_an_organization_that_is_not_or_no_longer_a_regulator_gets_403(
    town: Town,
) -> None:
    maintainer = town.orgs[Role.MAINTENANCE_UNIT]
    for uscc in (maintainer.uscc, make_uscc("91430900MA4L99999")):  # not one; unknown
        token = town.token(uscc)
        for url, params in regulator_calls(town):
            detail = refused(
                town.get(url, token, **params), 403, "not-a-regulator", "insufficient_scope"
            )
            assert uscc in detail

    token = town.token(town.bureau)
    assert town.get("/v1/regulator/worklists", token).status_code == 200
    revocation = {
        "type": "org.role_revoked",
        "organization": town.bureau.uscc,
        "issuer": town.city.authority.uscc,
        "occurred_at": datetime.now(UTC).isoformat(),
        "data": {"role": "regulator", "reason": "机构撤并"},
    }
    town.city.say(town.city.authority, revocation)
    refused(
        town.get("/v1/regulator/worklists", token), 403, "not-a-regulator", "insufficient_scope"
    )


def test_only_a_hash_of_the_token_is_stored(town: Town) -> None:
    token = town.token(town.bureau)
    token_id, secret = token.split("_", 2)[1:]
    assert re.fullmatch(r"[0-9a-f]{16}", token_id) and len(secret) == 43
    assert set(secret) <= set(string.ascii_letters + string.digits + "-_")
    with town.city.node.engine.connect() as conn:
        rows = [r._asdict() for r in conn.execute(select(access_tokens))]
    [row] = [r for r in rows if r["id"] == token_id]
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    for value in (str(v) for r in rows for v in r.values()):
        assert secret not in value and token not in value
    assert (row["organization"], row["name"], row["revoked_at"]) == (
        town.bureau.uscc,
        "alice",
        None,
    )


# --------------------------------------------------------------------------------------------
# The OpenAPI document and the routes agree on who needs a token
# --------------------------------------------------------------------------------------------


def served_routes(app: FastAPI) -> list[Any]:
    """Every route the app serves, flat (newer FastAPI nests included routers)."""
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    return list(app.routes if flatten is None else flatten(app.routes))


def requires_regulator(route: Any) -> bool:
    def needs(dependant: Any) -> bool:
        return dependant.call is require_regulator or any(needs(d) for d in dependant.dependencies)

    dependant = getattr(route, "dependant", None)
    return dependant is not None and needs(dependant)


def requires_session(route: Any) -> bool:
    """A console or desk page: it answers only a signed-in session (its own tests sign in)."""

    def needs(dependant: Any) -> bool:
        calls = (require_console_user, require_desk_user)
        return dependant.call in calls or any(needs(d) for d in dependant.dependencies)

    dependant = getattr(route, "dependant", None)
    return dependant is not None and needs(dependant)


def test_openapi_declares_the_bearer_scheme_on_the_regulator_operations_only(town: Town) -> None:
    doc = town.client.get("/openapi.json").json()
    scheme = doc["components"]["securitySchemes"]["regulatorToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    secured = set()
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if "security" in operation:
                assert operation["security"] == [{"regulatorToken": []}], (path, method)
                assert {"401", "403"} <= set(operation["responses"]), (path, method)
                assert operation["tags"] == ["regulator"], (path, method)
                secured.add((method, path))
            else:
                assert "regulator" not in operation.get("tags", []), (path, method)
    assert secured == {
        ("get", "/v1/regulator/worklists"),
        ("get", "/v1/regulator/worklists/{name}"),
        ("get", "/v1/elevators/{code}/replay"),
        ("get", "/v1/regulator/entries/{index}"),
        ("get", "/v1/regulator/organizations/{uscc}/scorecard"),
    }
    app: FastAPI = town.client.app  # type: ignore[assignment]
    routes = served_routes(app)
    for route in routes:
        regulators_only = route.path.startswith("/v1/regulator") or "regulator" in getattr(
            route, "tags", []
        )
        assert requires_regulator(route) == regulators_only, route.path
    paths = {r.path for r in routes if not requires_regulator(r)}
    assert {"/e/{identifier}", "/v1/elevators/{identifier}", "/v1/log/checkpoint"} <= paths


# --------------------------------------------------------------------------------------------
# Nothing personal leaves through the anonymous read side
# --------------------------------------------------------------------------------------------

RAW_ENTRIES = "/v1/log/entries/{index}"
BASE64 = re.compile(rb"[A-Za-z0-9+/_-]{16,}={0,2}")


def readable(body: bytes) -> str:
    """The body as text, HTML entities resolved, plus whatever its base64 runs decode to (a
    statement payload inside an envelope is base64)."""
    parts = [html.unescape(body.decode("utf-8", "replace"))]
    for run in BASE64.findall(body):
        text = run.rstrip(b"=").replace(b"-", b"+").replace(b"_", b"/")
        try:
            decoded = base64.b64decode(text + b"=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            continue
        parts.append(decoded.decode("utf-8", "ignore"))
    return "\n".join(parts)


def personal_values() -> list[str]:
    return [value for values in PERSONAL.values() for value in values]


def public_requests(town: Town) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(route path, URL, query) for every anonymous GET route, with every way to fill it in."""
    with town.city.node.engine.connect() as conn:
        aliases = [
            r.identifier
            for r in conn.execute(select(identifiers).where(identifiers.c.equipment_code == CODE))
        ]
    usccs = [town.city.authority.uscc, *(o.uscc for o in town.orgs.values())]
    size = town.city.node.log.latest_checkpoint().size
    fills: dict[str, list[str]] = {
        "identifier": aliases,
        "uscc": usccs,
        "index": [str(i) for i in range(size)],
    }
    queries: dict[str, list[dict[str, Any]]] = {
        "/v1/elevators/{identifier}/entries": [
            {"order": "newest", "limit": 200},
            {"order": "oldest", "limit": 200},
        ],
        "/v1/elevators/{identifier}/responsibility": [{}, {"at": at(70).isoformat()}],
        "/v1/search": [{"q": q} for q in (CODE[:6], *aliases, "有限公司", "电梯", "PII")],
        "/v1/log/proof/inclusion": [{"index": i} for i in range(size)],
        "/v1/log/proof/consistency": [{"old": 1}, {"old": size // 2}],
        "/v1/log/entries": [{"start": 0}, {"start": size // 2, "count": 3}],
    }
    app: FastAPI = town.client.app  # type: ignore[assignment]
    for route in served_routes(app):
        if "GET" not in (route.methods or ()):
            continue
        if requires_regulator(route) or requires_session(route):
            continue
        names = re.findall(r"{(\w+)}", route.path)
        unknown = [n for n in names if n not in fills]
        assert not unknown, f"new public route {route.path}: teach this test its {unknown}"
        urls = [route.path]
        for name in names:
            urls = [u.replace(f"{{{name}}}", value) for u in urls for value in fills[name]]
        for url in urls:
            for query in queries.get(route.path, [{}]):
                yield route.path, url, query


#: Routes that exist to answer "no such elevator" (with 96333) to whatever under /e is no code.
NOT_AN_ELEVATOR = {"/e", "/e/", "/e/{rest:path}"}


def test_no_public_response_shows_a_personal_value(town: Town) -> None:
    personal = {(st.name, path) for st in CATALOGUE.values() for path in st.personal_fields}
    assert personal == set(PERSONAL), "a personal field this history does not hold"
    assert all(PERSONAL.values())
    walked: set[str] = set()
    for route, url, query in public_requests(town):
        response = town.client.get(url, params=query)  # anonymous
        expected = 404 if route in NOT_AN_ELEVATOR else 200
        assert response.status_code == expected, (url, query, response.text[:300])
        text = readable(response.content)
        leaked = [value for value in personal_values() if value in text]
        assert not leaked, (url, query, leaked)
        walked.add(route)
    assert {
        "/v1/elevators/{identifier}",
        "/v1/elevators/{identifier}/entries",
        "/v1/elevators/{identifier}/responsibility",
        "/v1/organizations/{uscc}",
        "/v1/search",
        "/v1/trust",
        "/v1/log/checkpoint",
        RAW_ENTRIES,
        "/v1/log/entries",
        "/e/{identifier}",
    } <= walked
    # the walk is not vacuous: the public entries show the history, minus the personal parts
    entries = town.get(f"/v1/elevators/{CODE}/entries", limit=200).json()["entries"]
    kinds = {e["statement"]["type"] for e in entries}
    assert {"maintenance.performed", "maintenance.confirmed", "complaint.received"} <= kinds


def test_a_regulator_reads_each_personal_value_with_the_disclosure_that_proves_it(
    town: Town,
) -> None:
    token = town.token(town.bureau)
    size = town.city.node.log.latest_checkpoint().size
    found: dict[tuple[str, str], list[str]] = {}
    for index in range(size):
        body = town.get(f"/v1/regulator/entries/{index}", token).json()
        public = orjson.loads(town.get(f"/v1/log/entries/{index}").content)
        payload = orjson.loads(base64.b64decode(public["envelope"]["payload"]))
        assert body["subject"] == public["subject"] and body["version"] == public["version"]
        digests = set(
            re.findall(r'"concealed":"([A-Za-z0-9_-]{43})"', orjson.dumps(payload).decode())
        )
        proved = {disclosure_digest(d) for d in body["disclosures"]}
        assert proved == digests  # every concealed value disclosed, nothing else
        for path in CATALOGUE[payload["type"]].personal_fields:
            values = values_at(body["statement"]["data"], path.split("."))
            if values:
                found.setdefault((payload["type"], path), []).extend(values)
    assert set(found) == set(PERSONAL)
    for field, values in PERSONAL.items():
        assert set(values) <= set(found[field]), field
    assert town.get("/v1/regulator/entries/999999", token).status_code == 404


def disclosure_digest(encoded: str) -> str:
    """RFC 9901 §4.2.3, written out here rather than imported: the digest is over the ASCII
    disclosure string as received."""
    digest = hashlib.sha256(encoded.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def values_at(node: Any, path: list[str]) -> list[str]:
    head, rest = path[0], path[1:]
    if head == "*":
        return [v for item in node for v in values_at(item, rest)]
    if not isinstance(node, dict) or node.get(head) is None:
        return []
    return values_at(node[head], rest) if rest else [node[head]]


# --------------------------------------------------------------------------------------------
# The operator's commands
# --------------------------------------------------------------------------------------------


def test_token_issue_list_and_revoke(town: Town, tmp_path: Path, database_url: str) -> None:
    env: dict[str, str | None] = {
        "LEDGER_HOME": str(tmp_path),
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_ORIGIN": None,
        "COLUMNS": "250",
    }

    def cli(*args: str) -> Result:
        return CliRunner().invoke(cli_app, list(args), env=env)

    def error(result: Result, fragment: str) -> None:
        assert result.exit_code == 1 and result.stdout == "", result.output
        [line] = result.stderr.splitlines()
        assert line.startswith("error: ") and fragment in line, line

    issued = cli("token", "issue", "--organization", town.bureau.uscc, "--name", "alice")
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    assert issued.stdout == token + "\n" and token.startswith("elr_")
    token_id, secret = token.split("_", 2)[1:]
    assert f"token {token_id} for alice of {town.bureau.uscc}" in issued.stderr
    assert "shown once" in issued.stderr
    assert town.get("/v1/regulator/worklists", token).status_code == 200

    short = cli("token", "issue", "--organization", town.city.authority.uscc, "--name", "root")
    assert short.exit_code == 0, short.output
    listed = cli("token", "list", "--json")
    assert listed.exit_code == 0, listed.output
    records = {r["id"]: r for r in map(orjson.loads, listed.stdout.splitlines())}
    mine = records[token_id]
    assert (mine["organization"], mine["name"], mine["status"]) == (
        town.bureau.uscc,
        "alice",
        "active",
    )
    expires = datetime.fromisoformat(mine["expires_at"]) - datetime.fromisoformat(
        mine["created_at"]
    )
    assert expires == timedelta(days=90)  # the default
    assert token not in listed.stdout and secret not in listed.stdout
    table = cli("token", "list")
    assert table.exit_code == 0 and token_id in table.stdout and "active" in table.stdout

    revoked = cli("token", "revoke", token_id)
    assert revoked.exit_code == 0, revoked.output
    assert revoked.stderr.startswith(f"revoked token {token_id} (alice of {town.bureau.uscc})")
    assert "already revoked" in cli("token", "revoke", token_id).stderr
    refused(town.get("/v1/regulator/worklists", token), 401, "unauthenticated", "invalid_token")
    listed = cli("token", "list", "--json")
    statuses = {r["id"]: r["status"] for r in map(orjson.loads, listed.stdout.splitlines())}
    assert statuses[token_id] == "revoked"

    week = cli(
        "token", "issue", "--organization", town.bureau.uscc, "--name", "b", "--expires", "1w"
    )
    assert week.exit_code == 0, week.output
    maintainer = town.orgs[Role.MAINTENANCE_UNIT].uscc
    error(
        cli("token", "issue", "--organization", maintainer, "--name", "eve"),
        "does not hold the regulator role",
    )
    error(cli("token", "issue", "--organization", "12345", "--name", "eve"), "--organization")
    bureau = town.bureau.uscc
    for lifetime, why in (("400d", "366 days"), ("soon", "lifetime like"), ("0d", "lifetime")):
        error(
            cli("token", "issue", "--organization", bureau, "--name", "a", "--expires", lifetime),
            why,
        )
    error(cli("token", "issue", "--organization", bureau, "--name", " "), "--name")
    error(cli("token", "revoke", "0123456789abcdef"), "no token 0123456789abcdef")
