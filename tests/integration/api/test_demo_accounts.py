"""The demo city's staff accounts: made once with random passwords, kept in a 0600 file, the
same on every later run (``make run`` prints them each time), and they sign in."""

from __future__ import annotations

import stat
from pathlib import Path

import orjson
from fastapi.testclient import TestClient

from api.app import create_app
from api.demo_accounts import accounts_path, ensure_demo_accounts
from api.web.accounts import AccountStore
from domain.model.roles import Role
from tests.support.city import City
from tests.support.web import sign_in


def test_demo_accounts_are_made_once_kept_private_and_sign_in(tmp_path: Path) -> None:
    city = City.open(tmp_path, f"sqlite:///{tmp_path}/ledger.db")
    try:
        regulator = city.org(Role.REGULATOR, name="益阳市市场监督管理局")
        maintainer = city.org(Role.MAINTENANCE_UNIT, name="益阳市安达电梯维保有限公司")
        owner = city.org(Role.USE_UNIT, name="益阳市赫山区碧水湾物业服务有限公司")
        city.node.projections.catch_up()
        settings = city.node.settings
        describe = [
            {"uscc": o.uscc, "name": n}
            for o, n in (
                (maintainer, "益阳市安达电梯维保有限公司"),
                (owner, "益阳市赫山区碧水湾物业服务有限公司"),
            )
        ]
        settings.demo_marker_path.write_bytes(
            orjson.dumps(
                {
                    "regulator": {"uscc": regulator.uscc, "name": "益阳市市场监督管理局"},
                    "organizations": describe,
                }
            )
        )
        first = ensure_demo_accounts(city.node, settings)
        again = ensure_demo_accounts(city.node, settings)
        assert first == again  # the same passwords, printed again
        path = accounts_path(settings)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        rows = {line.split("\t")[1]: line.split("\t") for line in first if not line.startswith("#")}
        assert set(rows) == {"city-bureau", "heshan-bureau", "anda-admin", "bishuiwan-admin"}
        store = AccountStore(city.node.engine)
        county = store.by_login("heshan-bureau")
        assert county is not None and county.districts == ("430903",) and county.desk == "console"
        anda = store.by_login("anda-admin")
        assert anda is not None and anda.organization == maintainer.uscc and anda.admin
        with TestClient(create_app(node=city.node)) as client:
            sign_in(client, "city-bureau", rows["city-bureau"][2])
            assert "周敏" in client.get("/console/accounts").text
            sign_in(client, "anda-admin", rows["anda-admin"][2], "desk")
            assert "刘洋" in client.get("/desk/accounts").text
            # the session cookie does not open the JSON API: it stays bearer-only
            cookie = client.cookies.get("elr_console")
            api = client.get("/v1/regulator/worklists", headers={"Cookie": f"elr_console={cookie}"})
            assert api.status_code == 401
    finally:
        city.node.close()
