"""Schemathesis against the app's own OpenAPI document: every operation, fed generated requests
(schema-conforming and schema-violating) over ASGI, on the ledger of a small planned city on
SQLite (the session's ``planned_city``).

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
from tests.support.seeded import PlannedCity

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
def seeded(planned_city: PlannedCity) -> Seeded:
    node, plan = planned_city.city.node, planned_city.plan
    token, _ = TokenStore.open(node.engine).issue(node.anchor.uscc, "fuzz", timedelta(days=1))
    codes = list(plan.elevators)
    size = node.log.size()
    real = {
        "identifier": itertools.cycle(codes),
        "code": itertools.cycle(codes),
        "uscc": itertools.cycle([org.uscc for org in plan.organizations]),
        "index": itertools.cycle([str(i) for i in (0, size // 2, size - 1)]),
        "name": itertools.cycle(["maintenance-overdue", "hazards", "suspicious-maintenance"]),
    }
    return Seeded(create_app(node=node), token, real)


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
