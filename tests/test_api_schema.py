"""Schemathesis against the app's own OpenAPI: generated requests never cause a 5xx and every response
matches the documented schema (a bounded number of examples per operation)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from app.auth import RateLimiter
from tests.api_helpers import KEYS, keys_setting, make_client

EXAMPLES = 25
CHECKS = [checks.not_a_server_error, openapi_checks.response_schema_conformance,
          openapi_checks.content_type_conformance, openapi_checks.status_code_conformance]

pytest_plugins = ["tests.api_fixtures"]


@pytest.fixture(scope="module")
def api_schema(graph, tmp_path_factory):
    client = make_client(graph, tmp_path_factory.mktemp("schema"), keys_setting())
    unlimited = RateLimiter(per_minute=1e9, burst=10**9)
    client.app.state.services.rate_limiters = {"cypher": unlimited, "load": unlimited}
    return schemathesis.openapi.from_asgi("/openapi.json", client.app)


def operations(schema) -> list:
    return [result.ok() for result in schema.get_all_operations()]


def test_every_api_operation_is_documented(api_schema) -> None:
    paths = {(op.method.upper(), op.path) for op in operations(api_schema)}
    for expected in [("GET", "/api/stats"), ("GET", "/api/entities/{entity_id}/neighbors"), ("GET", "/api/paths"),
                     ("POST", "/api/cypher"), ("POST", "/api/queries"), ("GET", "/api/export"), ("POST", "/api/load")]:
        assert expected in paths


def test_api_conforms_to_its_openapi(api_schema) -> None:
    for op in operations(api_schema):
        @given(case=op.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def conforms(case) -> None:
            case.call_and_validate(headers={"X-API-Key": KEYS["editor"]}, checks=CHECKS)

        conforms()
