"""The pure rules of signing in: password hashes, throttling, where ``next`` may lead, the
cookies' flags, who may disable which account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from fastapi import Response

from api.web import cookies, passwords, throttle
from api.web.account_rules import may_disable, registered_within
from api.web.accounts import Account, Session
from tests.support.web import enterprise_user, regulator_user

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def test_a_password_is_stored_as_an_argon2id_hash_that_verifies_only_the_password() -> None:
    stored = passwords.hash_password("correct horse battery", FAST)
    assert stored.startswith("$argon2id$") and "correct" not in stored
    assert passwords.verify_password(stored, "correct horse battery", FAST) == (True, None)
    assert passwords.verify_password(stored, "correct horse batterY", FAST) == (False, None)
    assert passwords.verify_password("not a hash", "correct horse battery", FAST) == (False, None)


def test_an_unknown_login_is_verified_against_a_dummy_hash_and_never_matches() -> None:
    assert passwords.verify_password(None, "anything at all", FAST) == (False, None)


def test_a_hash_made_under_other_parameters_is_replaced_at_the_next_success() -> None:
    old = passwords.hash_password("correct horse battery", FAST)
    ok, new = passwords.verify_password(old, "correct horse battery", passwords.HASHER)
    assert ok and new is not None and new != old
    assert passwords.HASHER.check_needs_rehash(new) is False


def test_short_and_overlong_passwords_are_refused() -> None:
    with pytest.raises(passwords.WeakPassword, match="at least 10"):
        passwords.hash_password("short", FAST)
    with pytest.raises(passwords.WeakPassword, match="at most 200"):
        passwords.hash_password("x" * 201, FAST)


def test_random_passwords_are_long_unambiguous_and_different() -> None:
    made = {passwords.new_password() for _ in range(50)}
    assert len(made) == 50
    for password in made:
        assert len(password) == 19 and not set(password) & set("0O1lI")


def test_five_failures_in_fifteen_minutes_lock_a_login_until_the_first_leaves_the_window() -> None:
    failures = [T0 + timedelta(minutes=m) for m in (0, 1, 2, 3)]
    assert throttle.PER_LOGIN.locked_until(failures, T0 + timedelta(minutes=4)) is None
    failures.append(T0 + timedelta(minutes=4))
    until = throttle.PER_LOGIN.locked_until(failures, T0 + timedelta(minutes=4))
    assert until == T0 + timedelta(minutes=15)
    assert throttle.PER_LOGIN.locked_until(failures, T0 + timedelta(minutes=15)) is None


def test_failures_spread_over_more_than_the_window_do_not_lock() -> None:
    failures = [T0 + timedelta(minutes=4 * m) for m in range(10)]  # one every four minutes
    assert throttle.PER_LOGIN.locked_until(failures, T0 + timedelta(minutes=37)) is None


def test_one_address_is_locked_after_twenty_failures_whatever_the_logins() -> None:
    by_client = [T0 + timedelta(seconds=s) for s in range(20)]
    assert throttle.lock_end([], by_client[:19], T0 + timedelta(minutes=1)) is None
    assert throttle.lock_end([], by_client, T0 + timedelta(minutes=1)) == T0 + timedelta(minutes=15)


@pytest.mark.parametrize(
    ("asked", "followed"),
    [
        (
            "/console/lists/hazards?district=430903&page=2",
            "/console/lists/hazards?district=430903&page=2",
        ),
        ("/console", "/console"),
        ("", "/console"),
        ("https://evil.example/console", "/console"),
        ("//evil.example/console", "/console"),
        ("/\\evil.example", "/console"),
        ("/console/../desk", "/console"),
        ("/consoleevil", "/console"),
        ("/desk/accounts", "/console"),
        ("/console/sign-in?next=//evil.example", "/console"),
        ("/console/sign-out", "/console"),
        ("javascript:alert(1)", "/console"),
        ("/console/a\nb", "/console"),
    ],
)
def test_next_is_followed_only_to_a_local_path_of_the_same_desk(asked: str, followed: str) -> None:
    assert cookies.safe_next(asked, "console") == followed


def test_the_session_cookie_is_httponly_strict_path_scoped_and_lives_until_expiry() -> None:
    response = Response()
    cookies.set_session(response, "console", "s3cret", T0 + timedelta(hours=8), T0, tls=False)
    header = response.headers["set-cookie"]
    assert header.startswith("elr_console=s3cret;")
    for flag in ("HttpOnly", "Max-Age=28800", "Path=/console", "SameSite=strict"):
        assert flag in header
    assert "Secure" not in header
    response = Response()
    cookies.set_session(response, "desk", "s3cret", T0 + timedelta(hours=8), T0, tls=True)
    header = response.headers["set-cookie"]
    assert header.startswith("elr_desk=") and "Path=/desk" in header and "Secure" in header


def test_the_sign_in_forms_token_cookie_is_scoped_to_the_sign_in_page() -> None:
    response = Response()
    cookies.set_form_token(response, "desk", "tok", tls=True)
    header = response.headers["set-cookie"]
    assert header.startswith("elr_desk_form=tok;")
    for flag in ("HttpOnly", "Path=/desk/sign-in", "SameSite=strict", "Secure"):
        assert flag in header


def test_a_session_ends_at_its_absolute_expiry_or_after_thirty_idle_minutes() -> None:
    session = Session("id", "acc", "console", "csrf", T0, T0 + timedelta(hours=8), T0, None, None)
    assert session.why_over(T0 + timedelta(minutes=29)) is None
    assert session.why_over(T0 + timedelta(minutes=30)) == "idle"
    busy = Session(
        "id",
        "acc",
        "console",
        "csrf",
        T0,
        T0 + timedelta(hours=8),
        T0 + timedelta(hours=7, minutes=59),
        None,
        None,
    )
    assert busy.why_over(T0 + timedelta(hours=8)) == "expired"
    ended = Session("id", "acc", "console", "csrf", T0, T0 + timedelta(hours=8), T0, T0, "disabled")
    assert ended.why_over(T0) == "disabled"


def _account(id_: str, org: str, desk: str, districts: tuple[str, ...] = ()) -> Account:
    return Account(id_, id_, id_, org, desk, districts, False, T0, "cli", None)  # type: ignore[arg-type]


def test_a_bureau_disables_desk_accounts_of_its_districts_and_never_itself() -> None:
    county = regulator_user("11430900MB1P000008", ("430903",))
    heshan_desk = _account("a1", "91430903MA4L000017", "desk")
    assert registered_within(county, "430903") and not registered_within(county, "430902")
    assert may_disable(county, heshan_desk, "430903")
    assert not may_disable(county, heshan_desk, "430902")
    assert not may_disable(county, heshan_desk, None)
    me = _account(county.account_id, county.organization, "console", ("430903",))
    assert not may_disable(county, me, None)


def test_only_an_admin_disables_console_colleagues_and_only_within_its_districts() -> None:
    city = regulator_user("11430900MB1P000008", ("430900",))
    colleague = _account("c2", city.organization, "console", ("430903",))
    assert not may_disable(city, colleague, None)  # not an admin
    admin = regulator_user("11430900MB1P000008", ("430900",))
    admin = type(admin)(**{**admin.__dict__, "admin": True})
    assert may_disable(admin, colleague, None)
    county_admin = type(admin)(**{**admin.__dict__, "districts": ("430903",)})
    city_account = _account("c3", city.organization, "console", ("430900",))
    assert not may_disable(county_admin, city_account, None)


def test_a_desk_admin_disables_its_own_organizations_accounts_only() -> None:
    admin = enterprise_user("91430903MA4L000017", admin=True)
    assert may_disable(admin, _account("d1", admin.organization, "desk"), None)
    assert not may_disable(admin, _account("d2", "91430902MA4L000025", "desk"), None)
    assert not may_disable(
        enterprise_user(admin.organization), _account("d1", admin.organization, "desk"), None
    )
