"""Schemathesis against the app's own OpenAPI document: every operation, fed generated requests
(schema-conforming and schema-violating) over ASGI, on a ledger seeded with a small planned city
on SQLite.

Every answer must be no server error, of a documented status and content type, and match the
documented schema — RFC 9457 problem+json for every refusal. Each generated request is sent a
second time with real identifiers of the city in its path and a regulator's token, so the
handlers behind the lookups run on data, not only into 404s and 401s.

The default run is short (``FAST``); ``make soak`` runs the long one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.auth import TokenStore
from api.demo import SignedCity
from demo import plan_city
from ledger.keys import load_signing_key
from tests.support.city import NOW, City

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FAST = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI fails only on a change
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
LONG = settings(FAST, max_examples=400, derandomize=False)


@dataclass
class Seeded:
    """The app over a seeded ledger, a regulator's token, and real values for path parameters."""

    app: FastAPI
    token: str
    real: Mapping[str, Iterator[str]]

    def realistic(self, path_parameters: dict[str, Any]) -> dict[str, Any]:
        return {
            name: next(self.real[name]) if name in self.real else value
            for name, value in path_parameters.items()
        }


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    tmp = tmp_path_factory.mktemp("fuzz")
    city = City.open(tmp / "home", f"sqlite:///{tmp}/ledger.db")
    plan = plan_city(2, years=2, seed=11, now=NOW)
    signed = SignedCity(
        plan, load_signing_key(city.node.settings.authority_key_path), city.node.anchor.uscc
    )
    for envelope, at in signed.onboarding():
        city.node.service.submit_batch([envelope], [at])
    history = list(signed.history())
    city.node.service.submit_batch([e for _, e in history], [p.recorded_at for p, _ in history])
    city.node.projections.catch_up()
    token, _ = TokenStore.open(city.node.engine).issue(
        city.node.anchor.uscc, "fuzz", timedelta(days=1)
    )
    codes = list(plan.elevators)
    size = city.node.log.size()
    real = {
        "identifier": itertools.cycle(codes),
        "code": itertools.cycle(codes),
        "uscc": itertools.cycle([org.uscc for org in plan.organizations]),
        "index": itertools.cycle([str(i) for i in (0, size // 2, size - 1)]),
        "name": itertools.cycle(["maintenance-overdue", "hazards", "suspicious-maintenance"]),
    }
    yield Seeded(create_app(node=city.node), token, real)
    city.node.close()


@pytest.fixture(scope="module")
def api_schema(seeded: Seeded) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", seeded.app)


schema = schemathesis.pytest.from_fixture("api_schema")
Case = schemathesis.Case[Any]


def _exercise(case: Case, seeded: Seeded) -> None:
    case.call_and_validate(checks=CHECKS)
    if case.path_parameters:
        case.path_parameters = seeded.realistic(case.path_parameters)
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Bearer {seeded.token}"})


@schema.parametrize()
@FAST
def test_every_operation_keeps_its_contract(case: Case, seeded: Seeded) -> None:
    _exercise(case, seeded)


@pytest.mark.slow
@schema.parametrize()
@LONG
def test_every_operation_keeps_its_contract_at_length(case: Case, seeded: Seeded) -> None:
    _exercise(case, seeded)
