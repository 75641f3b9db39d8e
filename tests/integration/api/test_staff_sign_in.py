"""Signing in to the console and the desk, for real: passwords, sessions and their expiry,
CSRF, throttling, disabled accounts, a revoked regulator role, the other desk's session, and
issuing and disabling accounts within scope — on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.web.accounts import AccountStore, staff_accounts, staff_sessions
from domain.model.roles import Role
from tests.support.city import City, Org
from tests.support.web import csrf_of, sign_in

PASSWORD = "correct horse battery"
DESK_PASSWORD = "desk staple paperclip"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class Bureau:
    city: City
    store: AccountStore
    clock: Clock
    regulator: Org
    maintainer: Org

    def client(self) -> TestClient:
        return TestClient(create_app(node=self.city.node))

    def sessions(self) -> int:
        with self.city.node.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(staff_sessions)).scalar_one())

    def accounts(self) -> int:
        with self.city.node.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(staff_accounts)).scalar_one())


@pytest.fixture
def bureau(tmp_path: Path, database_url: str) -> Iterator[Bureau]:
    city = City.open(tmp_path, database_url)
    clock = Clock()
    city.node.clock = clock
    try:
        regulator = city.org(Role.REGULATOR, name="益阳市资阳区市场监督管理局")  # in 430902
        maintainer = city.org(Role.MAINTENANCE_UNIT, name="资阳电梯维保有限公司")  # in 430902
        city.node.projections.catch_up()
        store = AccountStore.open(city.node.engine)
        store.add(
            organization=regulator.uscc,
            name="李明",
            login="liming",
            desk="console",
            password=PASSWORD,
            created_by="test",
            districts=("430902",),
        )
        store.add(
            organization=maintainer.uscc,
            name="王强",
            login="wangqiang",
            desk="desk",
            password=DESK_PASSWORD,
            created_by="test",
            admin=True,
        )
        yield Bureau(city, store, clock, regulator, maintainer)
    finally:
        city.node.close()


def _post_sign_in(client: TestClient, login: str, password: str, desk: str = "console") -> object:
    token = csrf_of(client.get(f"/{desk}/sign-in").text)
    return client.post(
        f"/{desk}/sign-in",
        data={"login": login, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def test_a_wrong_password_and_an_unknown_login_get_the_same_answer(bureau: Bureau) -> None:
    with bureau.client() as client:
        wrong = _post_sign_in(client, "liming", "not the password")
        unknown = _post_sign_in(client, "nobody", "not the password")
    for answer in (wrong, unknown):
        assert answer.status_code == 401  # type: ignore[attr-defined]
        assert "登录名或密码错误" in answer.text  # type: ignore[attr-defined]
        assert "elr_console=" not in answer.headers.get("set-cookie", "")  # type: ignore[attr-defined]
    assert bureau.sessions() == 0


def test_a_sign_in_opens_the_console_as_the_person_and_sign_out_ends_the_session(
    bureau: Bureau,
) -> None:
    with bureau.client() as client:
        first = client.get("/console/accounts", follow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"] == "/console/sign-in?next=/console/accounts"
        sign_in(client, "LiMing ", PASSWORD)  # logins are trimmed and case-folded
        page = client.get("/console/accounts")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert "李明" in page.text and "430902" in page.text
        cookie = client.cookies.get("elr_console")
        assert cookie and bureau.sessions() == 1
        out = client.post(
            "/console/sign-out", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
        )
        assert out.status_code == 303 and out.headers["location"] == "/console/sign-in?signed_out=1"
        assert "您已退出登录" in client.get(out.headers["location"]).text
    with bureau.client() as replayed:  # the old cookie, kept by someone: ended on the server
        replayed.cookies.set("elr_console", cookie, path="/console")
        again = replayed.get("/console/accounts", follow_redirects=False)
        assert again.status_code == 303 and "/console/sign-in" in again.headers["location"]


def test_next_leads_back_to_the_page_asked_for_and_never_off_the_site(bureau: Bureau) -> None:
    with bureau.client() as client:
        for asked, led in (
            ("/console/accounts?done=x", "/console/accounts?done=x"),
            ("https://evil.example/", "/console"),
            ("/desk", "/console"),
        ):
            client.cookies.clear()
            token = csrf_of(client.get("/console/sign-in", params={"next": asked}).text)
            answer = client.post(
                "/console/sign-in",
                data={"login": "liming", "password": PASSWORD, "csrf_token": token, "next": asked},
                follow_redirects=False,
            )
            assert answer.status_code == 303 and answer.headers["location"] == led


@pytest.mark.parametrize(("idle", "later"), [(True, {"minutes": 31}), (False, {"minutes": 25})])
def test_an_expired_session_goes_back_to_sign_in_saying_so(
    bureau: Bureau, idle: bool, later: dict[str, float]
) -> None:
    with bureau.client() as client:
        sign_in(client, "liming", PASSWORD)
        if not idle:  # busy all day: every 20 minutes, never idle, still over at 8 hours
            for _ in range(23):
                bureau.clock.advance(minutes=20)
                client.get("/console/accounts")
        bureau.clock.advance(**later)
        answer = client.get("/console/accounts", follow_redirects=False)
        assert answer.status_code == 303
        shown = client.get(answer.headers["location"])
        assert "会话已过期" in shown.text
        assert 'elr_console=""' in shown.headers["set-cookie"]  # the dead cookie is forgotten


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(bureau: Bureau) -> None:
    with bureau.client() as client:
        client.get("/console/sign-in")
        forged = client.post(
            "/console/sign-in",
            data={"login": "liming", "password": PASSWORD, "csrf_token": "guessed"},
            follow_redirects=False,
        )
        assert forged.status_code == 403 and "登录表单已失效" in forged.text
        assert bureau.sessions() == 0
        sign_in(client, "liming", PASSWORD)
        accounts = bureau.accounts()
        form = {"organization": bureau.maintainer.uscc, "name": "赵六", "login": "zhaoliu"}
        for token in ("", "wrong"):
            issued = client.post("/console/accounts", data=form | {"csrf_token": token})
            assert issued.status_code == 403 and "text/html" in issued.headers["content-type"]
            assert "未通过安全校验" in issued.text and "未做任何更改" in issued.text
            out = client.post("/console/sign-out", data={"csrf_token": token})
            assert out.status_code == 403
        assert bureau.accounts() == accounts
        assert client.get("/console/accounts").status_code == 200  # still signed in


def test_five_failures_lock_the_login_for_every_server_until_the_window_passes(
    bureau: Bureau,
) -> None:
    with bureau.client() as client:
        for _ in range(5):
            assert _post_sign_in(client, "liming", "not the password").status_code == 401  # type: ignore[attr-defined]
    with bureau.client() as other_server:  # another app over the same database
        locked = _post_sign_in(other_server, "liming", PASSWORD)
        assert locked.status_code == 429  # type: ignore[attr-defined]
        assert "登录失败次数过多" in locked.text  # type: ignore[attr-defined]
        assert 0 < int(locked.headers["retry-after"]) <= 15 * 60  # type: ignore[attr-defined]
        assert bureau.sessions() == 0
        bureau.clock.advance(minutes=16)
        assert _post_sign_in(other_server, "liming", PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_guesses_sent_at_the_same_moment_get_no_more_checks_than_the_lock_allows(
    bureau: Bureau,
) -> None:
    """Each attempt is counted before its password is checked, so twelve guesses at once are
    checked at most five times (the rest are locked), as twelve in a row would be."""
    from concurrent.futures import ThreadPoolExecutor

    from api.web.accounts import Locked

    now = bureau.clock()
    with ThreadPoolExecutor(12) as pool:
        answers = list(
            pool.map(
                lambda n: bureau.store.authenticate("liming", f"guess {n}", "10.0.0.9", now),
                range(12),
            )
        )
    checked = [a for a in answers if a is None]
    assert 1 <= len(checked) <= 5, answers
    assert all(isinstance(a, Locked) for a in answers if a is not None)


def test_a_disabled_account_is_out_at_once_and_told_so_only_with_its_password(
    bureau: Bureau,
) -> None:
    with bureau.client() as client:
        sign_in(client, "liming", PASSWORD)
        account = bureau.store.by_login("liming")
        assert account is not None
        bureau.store.disable(account.id)
        answer = client.get("/console/accounts", follow_redirects=False)
        assert answer.status_code == 303
        assert "此账号已停用" in client.get(answer.headers["location"]).text
        refused = _post_sign_in(client, "liming", PASSWORD)
        assert refused.status_code == 403 and "此账号已停用" in refused.text  # type: ignore[attr-defined]
        wrong = _post_sign_in(client, "liming", "not the password")
        assert wrong.status_code == 401 and "停用" not in wrong.text  # type: ignore[attr-defined]


def test_a_revoked_regulator_role_ends_console_access_at_once(bureau: Bureau) -> None:
    city = bureau.city
    with bureau.client() as client:
        sign_in(client, "liming", PASSWORD)
        assert client.get("/console/accounts").status_code == 200
        revocation = {
            "type": "org.role_revoked",
            "organization": bureau.regulator.uscc,
            "issuer": city.authority.uscc,
            "occurred_at": datetime.now(UTC).isoformat(),
            "data": {"role": "regulator", "reason": "机构撤并"},
        }
        city.say(city.authority, revocation)
        answer = client.get("/console/accounts", follow_redirects=False)
        assert answer.status_code == 303
        assert "不再具有监管部门角色" in client.get(answer.headers["location"]).text
        refused = _post_sign_in(client, "liming", PASSWORD)
        assert refused.status_code == 403  # type: ignore[attr-defined]


def test_the_other_desks_account_or_session_gets_a_403_page_not_a_redirect(
    bureau: Bureau,
) -> None:
    with bureau.client() as client:
        refused = _post_sign_in(client, "wangqiang", DESK_PASSWORD, "console")
        assert refused.status_code == 403 and "企业工作台" in refused.text  # type: ignore[attr-defined]
        sign_in(client, "wangqiang", DESK_PASSWORD, "desk")
        desk_cookie = client.cookies.get("elr_desk")
    with bureau.client() as client:  # the desk's session presented to the console
        client.cookies.set("elr_console", desk_cookie, path="/console")
        answer = client.get("/console/accounts", follow_redirects=False)
        assert answer.status_code == 403 and "text/html" in answer.headers["content-type"]
        assert "/desk/sign-in" in answer.text


def test_a_bureau_issues_desk_accounts_only_for_enterprises_of_its_districts(
    bureau: Bureau,
) -> None:
    city = bureau.city
    elsewhere = city.org(Role.USE_UNIT, name="外县物业")
    city.node.projections.catch_up()
    with bureau.client() as client:
        sign_in(client, "liming", PASSWORD)
        token = csrf_of(client.get("/console/accounts").text)
        form = {"csrf_token": token, "name": "赵六", "admin": "1"}
        issued = client.post(
            "/console/accounts",
            data=form | {"organization": bureau.maintainer.uscc, "login": "zhaoliu"},
        )
        assert issued.status_code == 201
        password = issued.text.split('id="one-time-password">')[1].split("<")[0]
        for uscc, status, words in (
            (bureau.regulator.uscc, 422, "监管部门"),
            ("91430900MA4L0000XX", 422, "统一社会信用代码有误"),
        ):
            answer = client.post(
                "/console/accounts",
                data=form | {"organization": uscc, "login": "x-" + uscc[-4:].lower()},
            )
            assert answer.status_code == status and words in answer.text, answer.text
        assert bureau.store.by_login("zhaoliu") is not None
    # an organization registered in another district (its read model says 430902 for City.org,
    # so re-scope the bureau's account to a district that does not cover it)
    account = bureau.store.by_login("liming")
    assert account is not None and elsewhere.uscc
    with city.node.engine.begin() as conn:
        conn.execute(
            staff_accounts.update()
            .where(staff_accounts.c.id == account.id)
            .values(districts=["430903"])
        )
    with bureau.client() as client:
        sign_in(client, "liming", PASSWORD)
        token = csrf_of(client.get("/console/accounts").text)
        answer = client.post(
            "/console/accounts",
            data={
                "csrf_token": token,
                "name": "钱七",
                "login": "qianqi",
                "organization": elsewhere.uscc,
            },
        )
        assert answer.status_code == 403 and "不在您的辖区" in answer.text
        assert bureau.store.by_login("qianqi") is None
    with bureau.client() as desk:  # the one-time password opens the desk
        sign_in(desk, "zhaoliu", password, "desk")
        assert "赵六" in desk.get("/desk/accounts").text


def test_a_desk_admin_issues_and_disables_colleagues_and_others_may_not(bureau: Bureau) -> None:
    with bureau.client() as admin:
        sign_in(admin, "wangqiang", DESK_PASSWORD, "desk")
        token = csrf_of(admin.get("/desk/accounts").text)
        issued = admin.post(
            "/desk/accounts", data={"csrf_token": token, "name": "孙八", "login": "sunba"}
        )
        assert issued.status_code == 201
        password = issued.text.split('id="one-time-password">')[1].split("<")[0]
        colleague = bureau.store.by_login("sunba")
        assert colleague is not None and not colleague.admin
        with bureau.client() as plain:
            sign_in(plain, "sunba", password, "desk")
            own = plain.get("/desk/accounts")  # their own account, not the organization's
            assert own.status_code == 200 and "孙八" in own.text and "王强" not in own.text
            refused = plain.post(
                "/desk/accounts",
                data={"csrf_token": csrf_of(own.text), "name": "某人", "login": "mouren"},
            )
            assert refused.status_code == 403 and bureau.store.by_login("mouren") is None
            answer = admin.post(
                f"/desk/accounts/{colleague.id}/disable",
                data={"csrf_token": token},
                follow_redirects=False,
            )
            assert answer.status_code == 303
            assert plain.get("/desk/accounts", follow_redirects=False).status_code == 303
        me = bureau.store.by_login("wangqiang")
        assert me is not None
        self_disable = admin.post(f"/desk/accounts/{me.id}/disable", data={"csrf_token": token})
        assert self_disable.status_code == 403


def test_the_holder_changes_their_password_and_their_other_sessions_end(bureau: Bureau) -> None:
    new = "my own secret phrase"
    with bureau.client() as elsewhere, bureau.client() as here:
        sign_in(elsewhere, "liming", PASSWORD)
        sign_in(here, "liming", PASSWORD)
        token = csrf_of(here.get("/console/accounts").text)
        for form, status in (
            ({"current": "not the password", "new": new, "again": new}, 403),
            ({"current": PASSWORD, "new": new, "again": new + "x"}, 422),
            ({"current": PASSWORD, "new": "short", "again": "short"}, 422),
        ):
            answer = here.post("/console/accounts/password", data=form | {"csrf_token": token})
            assert answer.status_code == status
        changed = here.post(
            "/console/accounts/password",
            data={"csrf_token": token, "current": PASSWORD, "new": new, "again": new},
            follow_redirects=False,
        )
        assert changed.status_code == 303
        assert "密码已修改" in here.get(changed.headers["location"]).text  # still signed in here
        ended = elsewhere.get("/console/accounts", follow_redirects=False)
        assert ended.status_code == 303
        assert "密码已重置" in elsewhere.get(ended.headers["location"]).text
    with bureau.client() as client:
        assert _post_sign_in(client, "liming", PASSWORD).status_code == 401  # type: ignore[attr-defined]
        assert _post_sign_in(client, "liming", new).status_code == 303  # type: ignore[attr-defined]


def test_the_sign_in_page_sends_whoever_is_signed_in_on_to_next(bureau: Bureau) -> None:
    with bureau.client() as client:
        sign_in(client, "liming", PASSWORD)
        answer = client.get(
            "/console/sign-in", params={"next": "/console/accounts"}, follow_redirects=False
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/console/accounts"
