"""Schemathesis runs every operation of the API's own OpenAPI schema, in
process against the WSGI app, as a PWP and as a service manager: schema-valid
(positive) and schema-breaking (negative) requests, a fixed seed
(hypothesis derandomize) and a bounded number of examples per operation.

Checks: no 5xx; every status code, content type, header and body conforms to
the schema; a schema-breaking request is refused (4xx)."""

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from iapt.wsgi import application

from .conftest import token_client

RAW_SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
OPERATIONS = [
    (method.upper(), path)
    for path, item in RAW_SCHEMA["paths"].items()
    for method in item
    if method in {"get", "post", "patch", "put", "delete"}
]
EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 6}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _schema():
    import json

    schema = schemathesis.openapi.from_dict(json.loads(json.dumps(RAW_SCHEMA, default=str)))
    schema.app = application
    return schema


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """The WSGI handler closes the database connection at the end of a request;
    Django's test client stops that so the test's transaction survives, and so
    does this (the fuzzer calls the WSGI app directly)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _known_ids(world) -> dict:
    """Real ids for each path, so the fuzzer reaches existing records too, not only 404s."""
    return {
        "/api/v1/patients/{id}/": str(world.referral.patient_id),
        "/api/v1/referrals/{id}/": str(world.referral.pk),
        "/api/v1/referrals/{id}/allocate/": str(world.referral.pk),
        "/api/v1/sessions/{id}/": world.session.pk,
        "/api/v1/risk-events/{id}/": world.risk.pk,
        "/api/v1/step-changes/{id}/": world.step_change.pk,
        "/api/v1/step-changes/{id}/decide/": world.step_change.pk,
        "/api/v1/flags/{id}/": world.flag.pk,
        "/api/v1/reviews/{id}/": world.review.pk,
        "/api/v1/exports/{id}/": str(world.export.pk),
        "/api/v1/exports/{id}/download/": str(world.export.pk),
    }


def test_the_schema_covers_every_api_route():
    # given the operations the fuzzer will run; then every resource of issue 6 is among them
    paths = {path for _, path in OPERATIONS}
    for resource in (
        "patients",
        "referrals",
        "sessions",
        "risk-events",
        "step-changes",
        "flags",
        "reviews",
        "exports",
        "reports/service",
    ):
        assert f"/api/v1/{resource}/" in paths
    assert len(OPERATIONS) >= 25


@pytest.mark.parametrize("role", ["own_pwp", "manager"])
@pytest.mark.parametrize("method,path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_fuzz_operation(world, wsgi_keeps_the_test_connection, role, method, path):
    schema = _schema()
    operation = schema[path][method]
    client = token_client(world.users[role])
    headers = {"Authorization": client._credentials["HTTP_AUTHORIZATION"]}
    known = _known_ids(world).get(path)
    calls = {"n": 0}

    for mode, examples in EXAMPLES.items():
        _fuzz(operation, mode, examples, headers, known, calls)
    assert calls["n"] > 0


def _fuzz(operation, mode, examples, headers, known, calls):
    checks = CHECKS + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE else [])

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), use_known=st.booleans())
    def run(case, use_known):
        if known is not None and use_known and mode == GenerationMode.POSITIVE:
            case.path_parameters = {**(case.path_parameters or {}), "id": known}
        case.call_and_validate(headers=headers, checks=checks)
        calls["n"] += 1

    run()
