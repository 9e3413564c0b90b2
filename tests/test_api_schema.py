"""Schemathesis against the app's own OpenAPI: generated requests never cause a 5xx and every response
matches the documented schema (a bounded number of examples per operation). Valid requests
(positive generation) must also be answered as documented; invalid ones (negative generation) must be
refused with a 4xx, never a 5xx."""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks
from schemathesis.specs.openapi import checks as openapi_checks

from app.auth import RateLimiter
from tests.api_helpers import KEYS, keys_setting, make_client

POSITIVE_EXAMPLES = 25
NEGATIVE_EXAMPLES = 200
POSITIVE_CHECKS = [checks.not_a_server_error, openapi_checks.response_schema_conformance,
                   openapi_checks.content_type_conformance, openapi_checks.status_code_conformance]
NEGATIVE_CHECKS = [checks.not_a_server_error, openapi_checks.response_schema_conformance,
                   openapi_checks.content_type_conformance]

pytest_plugins = ["tests.api_fixtures"]


@pytest.fixture(scope="module")
def api_schema(graph, tmp_path_factory):
    client = make_client(graph, tmp_path_factory.mktemp("schema"), keys_setting())
    unlimited = RateLimiter(per_minute=1e9, burst=10**9)
    client.app.state.services.rate_limiters = {"cypher": unlimited, "load": unlimited, "save": unlimited}
    return schemathesis.openapi.from_asgi("/openapi.json", client.app)


def operations(schema) -> list:
    return [result.ok() for result in schema.get_all_operations()]


def has_inputs(op) -> bool:
    """The operation takes parameters or a body: something that can be made invalid."""
    return bool(op.body) or any(True for _ in op.iter_parameters())


def exercise(schema, mode: GenerationMode, examples: int, checks_: list) -> tuple[int, dict[str, BaseException]]:
    """Run ``examples`` generated cases of ``mode`` against every operation (negative: every operation with
    inputs), each even when another failed; the number of requests sent and the failure of each failing
    operation."""
    sent = 0
    failures: dict[str, BaseException] = {}
    for op in operations(schema):
        if mode is GenerationMode.NEGATIVE and not has_inputs(op):
            continue

        @given(case=op.as_strategy(generation_mode=mode))
        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def conforms(case) -> None:
            nonlocal sent
            sent += 1
            case.call_and_validate(headers={"X-API-Key": KEYS["editor"]}, checks=checks_)

        try:
            conforms()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis groups its failures in a BaseExceptionGroup
            failures[op.label] = exc
    return sent, failures


def report(failures: dict[str, BaseException]) -> str:
    return "\n\n".join(f"{label}:\n{exc}" for label, exc in failures.items())


def test_every_api_operation_is_documented(api_schema) -> None:
    paths = {(op.method.upper(), op.path) for op in operations(api_schema)}
    for expected in [("GET", "/api/stats"), ("GET", "/api/entities/{entity_id}/neighbors"), ("GET", "/api/paths"),
                     ("POST", "/api/cypher"), ("POST", "/api/queries"), ("GET", "/api/export"), ("POST", "/api/load")]:
        assert expected in paths


def test_api_conforms_to_its_openapi(api_schema) -> None:
    sent, failures = exercise(api_schema, GenerationMode.POSITIVE, POSITIVE_EXAMPLES, POSITIVE_CHECKS)
    assert sent > 0 and not failures, report(failures)


def test_invalid_requests_never_cause_a_server_error(api_schema, capsys) -> None:
    started = time.perf_counter()
    sent, failures = exercise(api_schema, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES, NEGATIVE_CHECKS)
    with capsys.disabled():
        print(f"\nnegative generation: {sent} requests in {time.perf_counter() - started:.1f} s")
    assert sent > 0 and not failures, report(failures)
