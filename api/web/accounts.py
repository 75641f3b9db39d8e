"""Staff accounts, their sessions and failed sign-ins: the tables and the one store over them.

Operator state of the HTTP layer like the bearer tokens (api/auth.py), in the same Alembic set
(migration a0003), never signed, logged or exported.

- An account belongs to one organization and one desk: ``console`` (a regulator's staff, scoped
  to districts) or ``desk`` (an enterprise's staff, scoped to its organization). Only an argon2id
  hash of its password is kept (api/web/passwords.py).
- A session is a 256-bit secret in a cookie; the table keeps its SHA-256 (the row's key), so a
  copy of the table opens no session. It ends at the latest :data:`ABSOLUTE` after sign-in,
  after :data:`IDLE` without a request, at sign-out, or when its account is disabled or its
  password reset (server-side: ``ended_at``, with the reason the sign-in page then shows).
- A failed sign-in is a row (when, login, client address); api/web/throttle.py says when they
  lock. In the database, so every server process sees the same count.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Engine,
    Index,
    Integer,
    Row,
    String,
    Table,
    and_,
    delete,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from api.auth import metadata
from api.migrations import MIGRATIONS, VERSION_TABLE
from api.web import passwords, throttle
from api.web.identity import Desk
from ledger.db import lock_name, writer
from ledger.instant import Instant
from ledger.migrate import upgrade

ABSOLUTE = timedelta(hours=8)
IDLE = timedelta(minutes=30)
#: A session's last request is written at most this often (not on every page).
TOUCH = timedelta(seconds=60)
#: the advisory lock space of sign-in attempts, one lock per login (PostgreSQL; ledger/db.py)
SIGN_IN_LOCKS = 727_106
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")

staff_accounts = Table(
    "api_staff_accounts",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("login", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("organization", String(18), nullable=False),
    Column("desk", String(8), nullable=False),  # console | desk
    Column("districts", JSON, nullable=True),  # console only
    Column("admin", Boolean, nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("disabled_at", Instant, nullable=True),
    Index("api_staff_accounts_organization", "organization"),
)
staff_sessions = Table(
    "api_staff_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # hex SHA-256 of the cookie's secret
    Column("account_id", String(16), nullable=False),
    Column("desk", String(8), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("expires_at", Instant, nullable=False),
    Column("last_seen_at", Instant, nullable=False),
    Column("ended_at", Instant, nullable=True),
    Column("ended_reason", String(32), nullable=True),
    Index("api_staff_sessions_account", "account_id"),
)
sign_in_failures = Table(
    "api_sign_in_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Instant, nullable=False),
    Column("login", String(64), nullable=False),
    Column("client", String(64), nullable=False),
    Index("api_sign_in_failures_login", "login", "at"),
    Index("api_sign_in_failures_client", "client", "at"),
)

EndReason = Literal["signed-out", "expired", "idle", "disabled", "role-revoked", "password-reset"]


class AccountError(ValueError):
    """Bad input for an account (a taken or malformed login, a weak password…)."""


@dataclass(frozen=True)
class Account:
    id: str
    login: str
    name: str
    organization: str
    desk: Desk
    districts: tuple[str, ...]
    admin: bool
    created_at: datetime
    created_by: str
    disabled_at: datetime | None

    @classmethod
    def of(cls, row: Row[Any]) -> Account:
        return cls(
            row.id,
            row.login,
            row.name,
            row.organization,
            row.desk,
            tuple(row.districts or ()),
            bool(row.admin),
            row.created_at,
            row.created_by,
            row.disabled_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "login": self.login,
            "name": self.name,
            "organization": self.organization,
            "desk": self.desk,
            "districts": list(self.districts),
            "admin": self.admin,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "disabled_at": None if self.disabled_at is None else self.disabled_at.isoformat(),
        }


@dataclass(frozen=True)
class Session:
    id: str
    account_id: str
    desk: Desk
    csrf_token: str
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None
    ended_reason: str | None

    @classmethod
    def of(cls, row: Row[Any]) -> Session:
        return cls(*(row._mapping[c.name] for c in staff_sessions.columns))

    def ends_at(self) -> datetime:
        """When it ends if nothing else happens: absolute expiry or idle timeout."""
        return min(self.expires_at, self.last_seen_at + IDLE)

    def why_over(self, now: datetime) -> str | None:
        """Why this session no longer opens anything at ``now`` (None: it still does)."""
        if self.ended_at is not None:
            return self.ended_reason or "signed-out"
        if now >= self.expires_at:
            return "expired"
        if now >= self.last_seen_at + IDLE:
            return "idle"
        return None


@dataclass(frozen=True)
class Locked:
    """Sign-ins refused until ``until`` (too many failures)."""

    until: datetime


def session_id(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normal_login(login: str) -> str:
    return login.strip().lower()


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AccountStore:
    """Accounts, sessions and failed sign-ins in the ``api_staff_*`` tables."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, engine: Engine) -> AccountStore:
        """The store, its tables migrated to head first (idempotent, safe to race)."""
        upgrade(writer(engine), MIGRATIONS, VERSION_TABLE)
        return cls(engine)

    # --- accounts ---------------------------------------------------------------------------

    def add(
        self,
        *,
        organization: str,
        name: str,
        login: str,
        desk: Desk,
        password: str,
        created_by: str,
        districts: tuple[str, ...] = (),
        admin: bool = False,
        now: datetime | None = None,
    ) -> Account:
        login = normal_login(login)
        if not LOGIN.match(login):
            raise AccountError(
                f"login {login!r}: 3 to 64 of a-z 0-9 . _ -, starting with a letter or digit"
            )
        holder = name.strip()
        if not holder or len(holder) > 200 or any(ord(c) < 32 for c in holder):
            raise AccountError("name: 1 to 200 characters on one line")
        if desk == "console" and not districts:
            raise AccountError("a console account needs at least one district")
        try:
            hashed = passwords.hash_password(password)
        except passwords.WeakPassword as exc:
            raise AccountError(str(exc)) from None
        account = Account(
            secrets.token_hex(8),
            login,
            holder,
            organization,
            desk,
            districts if desk == "console" else (),
            admin,
            (now or _utcnow()).astimezone(UTC),
            created_by,
            None,
        )
        values = account.to_json() | {
            "districts": list(account.districts) if desk == "console" else None,
            "created_at": account.created_at,
            "disabled_at": None,
            "password_hash": hashed,
        }
        try:
            with writer(self.engine).begin() as conn:
                conn.execute(staff_accounts.insert().values(**values))
        except IntegrityError:
            raise AccountError(f"login {login!r} is taken") from None
        return account

    def get(self, account_id: str) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(staff_accounts).where(staff_accounts.c.id == account_id)
            ).first()
        return None if row is None else Account.of(row)

    def by_login(self, login: str) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(staff_accounts).where(staff_accounts.c.login == normal_login(login))
            ).first()
        return None if row is None else Account.of(row)

    def list(self, organization: str | None = None, desk: Desk | None = None) -> list[Account]:
        query = select(staff_accounts).order_by(staff_accounts.c.created_at, staff_accounts.c.id)
        if organization is not None:
            query = query.where(staff_accounts.c.organization == organization)
        if desk is not None:
            query = query.where(staff_accounts.c.desk == desk)
        with self.engine.connect() as conn:
            return [Account.of(row) for row in conn.execute(query)]

    def disable(self, account_id: str, now: datetime | None = None) -> tuple[Account, bool]:
        """Disable an account and end its sessions at once; (its record, whether this call
        disabled it). KeyError if unknown."""
        now = (now or _utcnow()).astimezone(UTC)
        with writer(self.engine).begin() as conn:
            done = conn.execute(
                update(staff_accounts)
                .where(staff_accounts.c.id == account_id, staff_accounts.c.disabled_at.is_(None))
                .values(disabled_at=now)
            ).rowcount
            self._end_all(conn, account_id, "disabled", now)
        account = self.get(account_id)
        if account is None:
            raise KeyError(account_id)
        return account, done == 1

    def set_password(self, account_id: str, password: str, now: datetime | None = None) -> None:
        """A new password; every session of the account ends (whoever had the old one is out)."""
        try:
            hashed = passwords.hash_password(password)
        except passwords.WeakPassword as exc:
            raise AccountError(str(exc)) from None
        with writer(self.engine).begin() as conn:
            done = conn.execute(
                update(staff_accounts)
                .where(staff_accounts.c.id == account_id)
                .values(password_hash=hashed)
            ).rowcount
            if not done:
                raise KeyError(account_id)
            self._end_all(conn, account_id, "password-reset", (now or _utcnow()).astimezone(UTC))

    @staticmethod
    def _end_all(conn: Any, account_id: str, reason: EndReason, now: datetime) -> None:
        conn.execute(
            update(staff_sessions)
            .where(staff_sessions.c.account_id == account_id, staff_sessions.c.ended_at.is_(None))
            .values(ended_at=now, ended_reason=reason)
        )

    # --- signing in -------------------------------------------------------------------------

    def authenticate(
        self, login: str, password: str, client: str, now: datetime | None = None
    ) -> Account | Locked | None:
        """The account if ``password`` is its password; :class:`Locked` while too many failures
        lock the login or the client (the password is not checked then); None otherwise — an
        unknown login and a wrong password alike, in the same time (a dummy hash is verified).
        A failure is recorded; a success clears the login's failures. A disabled account is
        returned (the caller says so only to whoever knew its password)."""
        now = (now or _utcnow()).astimezone(UTC)
        login = normal_login(login)[:64]
        client = client[:64]
        failures = sign_in_failures.c
        # the attempt is counted as a failure before the password is checked (and forgiven on
        # success): guesses sent at the same moment each see the others', so they cannot all
        # pass the lock check before any is recorded
        with writer(self.engine).begin() as conn:
            lock_name(conn, SIGN_IN_LOCKS, login)  # one attempt of a login at a time counts
            attempt = conn.execute(
                sign_in_failures.insert()
                .values(at=now, login=login, client=client)
                .returning(failures.id)
            ).scalar_one()
            since = now - max(throttle.PER_LOGIN.window, throttle.PER_CLIENT.window)
            earlier = failures.id != attempt
            by_login = self._failures(conn, and_(failures.login == login, earlier), since)
            by_client = self._failures(conn, and_(failures.client == client, earlier), since)
            row = conn.execute(
                select(staff_accounts).where(staff_accounts.c.login == login)
            ).first()
        until = throttle.lock_end(by_login, by_client, now)
        if until is not None:  # not checked, so not a failure: the lock does not grow
            with writer(self.engine).begin() as conn:
                conn.execute(delete(sign_in_failures).where(failures.id == attempt))
            return Locked(until)
        matches, rehashed = passwords.verify_password(
            None if row is None else str(row.password_hash), password
        )
        with writer(self.engine).begin() as conn:
            if not matches or row is None:
                conn.execute(delete(sign_in_failures).where(failures.at < now - throttle.KEEP))
                return None
            conn.execute(delete(sign_in_failures).where(failures.login == login))
            if rehashed is not None:
                conn.execute(
                    update(staff_accounts)
                    .where(staff_accounts.c.id == row.id)
                    .values(password_hash=rehashed)
                )
        assert row is not None
        return Account.of(row)

    @staticmethod
    def _failures(conn: Any, which: Any, since: datetime) -> Sequence[datetime]:
        query = select(sign_in_failures.c.at).where(and_(which, sign_in_failures.c.at > since))
        return list(conn.execute(query).scalars())

    # --- sessions ---------------------------------------------------------------------------

    def start_session(self, account: Account, now: datetime | None = None) -> tuple[str, Session]:
        """A new session for ``account``: (the cookie's secret, shown only here; its record)."""
        now = (now or _utcnow()).astimezone(UTC)
        secret = secrets.token_urlsafe(32)
        session = Session(
            session_id(secret),
            account.id,
            account.desk,
            secrets.token_urlsafe(32),
            now,
            now + ABSOLUTE,
            now,
            None,
            None,
        )
        with writer(self.engine).begin() as conn:
            conn.execute(
                staff_sessions.insert().values(
                    {c.name: getattr(session, c.name) for c in staff_sessions.columns}
                )
            )
        return secret, session

    def session(self, secret: str) -> tuple[Session, Account] | None:
        """The session a cookie's secret opens, with its account (None: no such session)."""
        query = (
            select(staff_sessions, staff_accounts)
            .join(staff_accounts, staff_accounts.c.id == staff_sessions.c.account_id)
            .where(staff_sessions.c.id == session_id(secret))
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        mapping = row._mapping
        session = Session(*(mapping[staff_sessions.c[c.name]] for c in staff_sessions.columns))
        account_row = {c.name: mapping[staff_accounts.c[c.name]] for c in staff_accounts.columns}
        return session, Account.of(_Row(account_row))  # type: ignore[arg-type]

    def session_by_id(self, id_: str) -> Session | None:
        """A session by its id (the SHA-256 of its secret), for the operator and tests."""
        with self.engine.connect() as conn:
            row = conn.execute(select(staff_sessions).where(staff_sessions.c.id == id_)).first()
        return None if row is None else Session.of(row)

    def touch(self, session: Session, now: datetime) -> None:
        """Note a request (the idle timeout counts from it), at most every :data:`TOUCH`."""
        if now - session.last_seen_at < TOUCH:
            return
        with writer(self.engine).begin() as conn:
            conn.execute(
                update(staff_sessions)
                .where(staff_sessions.c.id == session.id, staff_sessions.c.ended_at.is_(None))
                .values(last_seen_at=now)
            )

    def end_session(self, session: Session, reason: EndReason, now: datetime | None = None) -> None:
        now = (now or _utcnow()).astimezone(UTC)
        with writer(self.engine).begin() as conn:
            conn.execute(
                update(staff_sessions)
                .where(staff_sessions.c.id == session.id, staff_sessions.c.ended_at.is_(None))
                .values(ended_at=now, ended_reason=reason)
            )


class _Row:
    """Attribute access over a dict, for :meth:`Account.of` on a joined row's columns."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
