"""Who may call the regulator endpoints: opaque bearer tokens, checked against the ledger.

A token is issued by the operator (``elevator-ledger token issue``) to a named person of an
organization and printed once; the server keeps only its SHA-256 hash, with the organization,
the name, when it was made, when it expires and whether it was revoked. A request is a
regulator's when it carries ``Authorization: Bearer <token>`` and

1. the token is well formed, its id is known and the SHA-256 of the token equals the stored
   hash (compared in constant time), it has not expired and it has not been revoked — else
   ``401`` with ``WWW-Authenticate: Bearer``;
2. its organization holds the regulator role in the ledger now (the Organization aggregate's
   state, so an ``org.role_revoked`` statement takes effect at once), or is the root authority —
   else ``403``.

Tokens look like ``elr_<16 hex id>_<43 base64url characters>``: the id lets the server find the
row and name the token in logs without the secret; the secret carries 256 bits of entropy, so a
plain SHA-256 is enough (no dictionary to guard against) and guessing is hopeless.

Routers made with :func:`regulator_router` require a token for every operation and say so in
the OpenAPI document (the ``regulatorToken`` bearer scheme); a route outside one can ask for
the caller with ``regulator: RegulatorDep``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import (
    JSON,
    Column,
    Engine,
    Index,
    MetaData,
    Row,
    String,
    Table,
    select,
    update,
)

from api.deps import NodeDep
from api.migrations import MIGRATIONS, VERSION_TABLE
from api.node import LedgerNode
from api.problems import Problem, problem_responses
from domain.model.roles import Role
from ledger.db import writer
from ledger.instant import Instant
from ledger.migrate import upgrade
from projections import read

PREFIX = "elr"
TOKEN = re.compile(rf"^{PREFIX}_(?P<id>[0-9a-f]{{16}})_[A-Za-z0-9_-]{{43}}$")
MAX_LIFETIME = timedelta(days=366)
REALM = "elevator-ledger regulator API"
access_log = logging.getLogger("elevator_ledger.access")

metadata = MetaData()

#: Operator state, not ledger data (see api/migrations). Never holds a token, only its hash.
access_tokens = Table(
    "api_access_tokens",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("token_hash", String(64), nullable=False),  # hex SHA-256 of the whole token
    Column("organization", String(18), nullable=False),
    Column("name", String(200), nullable=False),
    # Instant: UTC on both backends (same DDL as DateTime(timezone=True), so no migration)
    Column("created_at", Instant, nullable=False),
    Column("expires_at", Instant, nullable=False),
    Column("revoked_at", Instant, nullable=True),
    # the districts it is scoped to (migration a0003); NULL: its organization's own district
    Column("districts", JSON, nullable=True),
    Index("api_access_tokens_organization", "organization"),
)
_NO_HASH = "0" * 64  # compared against when the id is unknown, so both paths do the same work


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class AccessToken:
    """A token as stored: everything but the secret."""

    id: str
    organization: str
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    districts: tuple[str, ...] | None = None  # None: the organization's registered district

    @classmethod
    def of(cls, row: Row[Any]) -> AccessToken:
        districts = row.districts
        return cls(
            row.id,
            row.organization,
            row.name,
            row.created_at,
            row.expires_at,
            row.revoked_at,
            None if districts is None else tuple(districts),
        )

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "organization": self.organization,
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "revoked_at": None if self.revoked_at is None else self.revoked_at.isoformat(),
            "status": self.status(now),
            "districts": None if self.districts is None else list(self.districts),
        }


class InvalidToken(Exception):
    """The token is malformed, unknown, expired or revoked (the message says which)."""


class TokenStore:
    """Issue, list, revoke and check tokens in the ``api_access_tokens`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, engine: Engine) -> TokenStore:
        """The store, its table migrated to head first (idempotent, safe to race)."""
        upgrade(writer(engine), MIGRATIONS, VERSION_TABLE)
        return cls(engine)

    def issue(
        self,
        organization: str,
        name: str,
        lifetime: timedelta,
        now: datetime | None = None,
        districts: tuple[str, ...] | None = None,
    ) -> tuple[str, AccessToken]:
        """A new token (the only time its secret exists outside the holder) and its record."""
        if not timedelta(0) < lifetime <= MAX_LIFETIME:
            raise ValueError(f"a token lives between a moment and {MAX_LIFETIME.days} days")
        now = (now or datetime.now(UTC)).astimezone(UTC)
        token_id = secrets.token_hex(8)
        token = f"{PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
        record = AccessToken(token_id, organization, name, now, now + lifetime, None, districts)
        with writer(self.engine).begin() as conn:
            conn.execute(
                access_tokens.insert().values(
                    id=token_id,
                    token_hash=token_hash(token),
                    organization=organization,
                    name=name,
                    created_at=record.created_at,
                    expires_at=record.expires_at,
                    districts=None if districts is None else list(districts),
                )
            )
        return token, record

    def get(self, token_id: str) -> AccessToken | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(access_tokens).where(access_tokens.c.id == token_id)).first()
        return None if row is None else AccessToken.of(row)

    def list(self) -> list[AccessToken]:
        query = select(access_tokens).order_by(access_tokens.c.created_at, access_tokens.c.id)
        with self.engine.connect() as conn:
            return [AccessToken.of(row) for row in conn.execute(query)]

    def revoke(self, token_id: str, now: datetime | None = None) -> tuple[AccessToken, bool]:
        """Revoke a token at once; (its record, whether this call revoked it). KeyError if
        unknown. Revoking twice keeps the first time."""
        now = (now or datetime.now(UTC)).astimezone(UTC)
        with writer(self.engine).begin() as conn:
            done = conn.execute(
                update(access_tokens)
                .where(access_tokens.c.id == token_id, access_tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            ).rowcount
        record = self.get(token_id)
        if record is None:
            raise KeyError(token_id)
        return record, done == 1

    def check(self, token: str, now: datetime | None = None) -> AccessToken:
        """The token's record if it may be used now; InvalidToken otherwise."""
        now = now or datetime.now(UTC)
        match = TOKEN.match(token)
        if match is None:
            raise InvalidToken("the bearer token is malformed")
        with self.engine.connect() as conn:
            row = conn.execute(
                select(access_tokens).where(access_tokens.c.id == match["id"])
            ).first()
        stored = _NO_HASH if row is None else str(row.token_hash)
        same = hmac.compare_digest(stored.encode(), token_hash(token).encode())
        if row is None or not same:
            raise InvalidToken("the bearer token is not known")
        record = AccessToken.of(row)  # below: only for whoever holds the very token
        if record.revoked_at is not None:
            raise InvalidToken(f"the token was revoked at {record.revoked_at.isoformat()}")
        if now >= record.expires_at:
            raise InvalidToken(f"the token expired at {record.expires_at.isoformat()}")
        return record


def dates_somewhere(now: datetime) -> list[date]:
    """Every calendar date it is somewhere on Earth at ``now`` (UTC−12 to UTC+14)."""
    first, last = (now - timedelta(hours=12)).date(), (now + timedelta(hours=14)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def is_regulator(node: LedgerNode, uscc: str, now: datetime | None = None) -> bool:
    """Whether ``uscc`` is the root authority or holds the regulator role in the ledger now.

    The aggregate is read through the repository, which catches up with the event store, so a
    role revocation counts from the next request. Grants and revocations are dated in the
    signer's local calendar, so the role must be in force on every date that is today somewhere:
    fail-closed, a revocation dated today takes effect at once wherever it was signed."""
    if uscc == node.anchor.uscc:
        return True
    org = node.app.organization(uscc)
    if org is None:
        return False
    when = (now or datetime.now(UTC)).astimezone(UTC)
    return all(org.state.has_role(Role.REGULATOR, on) for on in dates_somewhere(when))


# --- FastAPI ---------------------------------------------------------------------------------


class AuthProblem(Problem):
    """A problem answered with a ``WWW-Authenticate`` challenge (RFC 6750 §3)."""

    def __init__(self, status: int, slug: str, title: str, detail: str, error: str | None):
        super().__init__(status, slug, title, detail)
        challenge = f'Bearer realm="{REALM}"'
        if error is not None:
            safe = detail.replace("\\", "").replace('"', "'")
            challenge += f', error="{error}", error_description="{safe}"'
        self.challenge = challenge

    def response(self, instance: str) -> JSONResponse:
        answer = super().response(instance)
        answer.headers["WWW-Authenticate"] = self.challenge
        answer.headers["Cache-Control"] = "no-store"
        return answer


def unauthenticated(detail: str, error: str | None = "invalid_token") -> AuthProblem:
    return AuthProblem(401, "unauthenticated", "Authentication required", detail, error)


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="regulatorToken",
    bearerFormat="opaque (elr_…), issued by `elevator-ledger token issue`",
    description="A regulator's access token: `Authorization: Bearer elr_…`. Valid while not "
    "expired or revoked and while its organization holds the regulator role in the ledger.",
)
_stores = threading.Lock()


def token_store(request: Request, node: NodeDep) -> TokenStore:
    """The app's token store, its table created on first use."""
    store: TokenStore | None = getattr(request.app.state, "token_store", None)
    if store is None or store.engine is not node.engine:
        with _stores:
            store = getattr(request.app.state, "token_store", None)
            if store is None or store.engine is not node.engine:
                store = TokenStore.open(node.engine)
                request.app.state.token_store = store
    return store


@dataclass(frozen=True)
class Regulator:
    """The caller of a regulator endpoint: the token used and whose it is."""

    token_id: str
    organization: str
    name: str
    #: The districts the caller sees (GB/T 2260 codes, ``domain/model/jurisdiction.covers``):
    #: the token's, else its organization's registered district; empty: it sees no elevator.
    districts: tuple[str, ...] = ()


def scope_of(
    node: LedgerNode, organization: str, districts: tuple[str, ...] | None
) -> tuple[str, ...]:
    """``districts`` if given, else the district ``organization`` is registered in, as the read
    models know it (none known: an empty scope, which sees no elevator)."""
    if districts is not None:
        return districts
    found = read.organization(node.engine, organization)
    district = None if found is None else found.get("district")
    return (district,) if district else ()


def require_regulator(
    request: Request,
    response: Response,
    node: NodeDep,
    store: Annotated[TokenStore, Depends(token_store)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Regulator:
    """401 without a usable token, 403 unless its organization is a regulator today."""
    where = f"{request.method} {request.url.path}"
    if credentials is None:
        access_log.info("regulator access refused (no bearer token): %s", where)
        raise unauthenticated("this endpoint needs a regulator's bearer token", error=None)
    try:
        record = store.check(credentials.credentials)
    except InvalidToken as exc:
        access_log.warning("regulator access refused (%s): %s", exc, where)
        raise unauthenticated(str(exc)) from None
    if not is_regulator(node, record.organization):
        access_log.warning(
            "regulator access refused (token %s: %s is not a regulator): %s",
            record.id,
            record.organization,
            where,
        )
        raise AuthProblem(
            403,
            "not-a-regulator",
            "Not a regulator",
            f"organization {record.organization} does not hold the regulator role now",
            "insufficient_scope",
        )
    access_log.info(
        "regulator access: token %s (%s, %s) %s", record.id, record.organization, record.name, where
    )
    response.headers["Cache-Control"] = "no-store"
    return Regulator(
        record.id,
        record.organization,
        record.name,
        scope_of(node, record.organization, record.districts),
    )


RegulatorDep = Annotated[Regulator, Depends(require_regulator)]

AUTH_RESPONSES = problem_responses(
    (401, "no token, or a malformed, unknown, expired or revoked one"),
    (403, "the token's organization is not (or no longer) a regulator"),
)


def regulator_router(prefix: str = "") -> APIRouter:
    """A router every operation of which needs a regulator's token (and the OpenAPI document
    says so): use it for anything showing personal data or bulk exports."""
    return APIRouter(
        prefix=prefix,
        tags=["regulator"],
        dependencies=[Depends(require_regulator)],
        responses=AUTH_RESPONSES,
    )
