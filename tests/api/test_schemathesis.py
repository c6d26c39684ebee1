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
from patients.codes import ReferralSource

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


def test_valid_writes_succeed_and_their_answers_conform_to_the_schema(world, wsgi_keeps_the_test_connection):
    """Random data rarely makes a valid session or review, so each write is also
    sent once with a valid body: it must succeed, and its 2xx answer must match
    the schema like every other answer."""
    from datetime import timedelta

    from django.utils import timezone

    from patients import nhs_number
    from tests.factories import gad7, phq9

    schema = _schema()
    today = timezone.localdate()
    referral, patient = str(world.referral.pk), str(world.referral.patient_id)
    tokens = {role: token_client(world.users[role])._credentials["HTTP_AUTHORIZATION"] for role in world.users}
    created = {}

    def send(role, method, path, *, body=None, path_parameters=None, query=None, expect):
        kwargs = {"body": body, "media_type": "application/json"} if body is not None else {}
        case = schema[path][method].Case(path_parameters=path_parameters, query=query, **kwargs)
        response = case.call_and_validate(headers={"Authorization": tokens[role]}, checks=CHECKS)
        assert response.status_code == expect, (method, path, response.text[:300])
        return response.json()

    send("own_supervisor", "POST", "/api/v1/step-changes/{id}/decide/", path_parameters={"id": world.step_change.pk},
         body={"confirm": False, "note": "Continue at step 2."}, expect=200)  # fmt: skip
    send("own_pwp", "POST", "/api/v1/sessions/", expect=201, body={
        "referral": referral,
        "started_at": (timezone.now() - timedelta(days=2)).isoformat(),
        "appointment_type": "02", "attendance": "5", "medium": "11", "duration_minutes": 30,
        "interventions": ["ba", "gsh"],
        "notes": "Reviewed the activity diary.",
        "measures": [{"instrument": "PHQ9", "items": phq9(9, item9=1)}, {"instrument": "GAD7", "items": gad7(6)}],
        "risk": {"risk_to_self": "low", "risk_to_others": "none", "risk_from_others": "none", "level": "low",
                 "plan": "Safety plan reviewed."},
    })  # fmt: skip
    send("own_pwp", "POST", "/api/v1/risk-events/", expect=201, body={
        "referral": referral, "risk_to_self": "medium", "risk_to_others": "none", "risk_from_others": "none",
        "level": "medium", "plan": "Crisis numbers given.",
    })  # fmt: skip
    send("own_pwp", "POST", "/api/v1/flags/", expect=201, body={"referral": referral, "question": "Step up?"})
    send("own_pwp", "POST", "/api/v1/step-changes/", expect=201, body={
        "referral": referral, "kind": "step_up", "to_step": 3, "reason": "No reliable improvement.",
        "effective_on": today.isoformat(),
    })  # fmt: skip
    send("own_supervisor", "POST", "/api/v1/reviews/", expect=201, body={
        "referral": referral, "decisions": ["continue"], "next_review_on": (today + timedelta(days=7)).isoformat(),
    })  # fmt: skip
    version = send("own_pwp", "GET", "/api/v1/referrals/{id}/", path_parameters={"id": referral}, expect=200)["version"]
    send("own_pwp", "PATCH", "/api/v1/referrals/{id}/", path_parameters={"id": referral}, expect=200,
         body={"notes": "Prefers video.", "version": version})  # fmt: skip
    version = send("admin", "GET", "/api/v1/patients/{id}/", path_parameters={"id": patient}, expect=200)["version"]
    send("admin", "PATCH", "/api/v1/patients/{id}/", path_parameters={"id": patient}, expect=200,
         body={"phone": "01632 960777", "version": version})  # fmt: skip
    import random

    created["patient"] = send("manager", "POST", "/api/v1/patients/", expect=201, body={
        "nhs_number": nhs_number.generate(random.Random(11)), "given_name": "Valid", "family_name": "Example",
        "date_of_birth": "1990-02-03", "sex": "2", "contact_preferences": ["telephone"],
    })["id"]  # fmt: skip
    created["referral"] = send("manager", "POST", "/api/v1/referrals/", expect=201, body={
        "patient": created["patient"], "source": ReferralSource.SELF, "received_on": today.isoformat(),
        "problem_descriptor": "F411",
    })["id"]  # fmt: skip
    send("manager", "POST", "/api/v1/referrals/{id}/allocate/", path_parameters={"id": created["referral"]},
         body={"practitioner": world.users["own_pwp"].pk, "step": 2}, expect=200)  # fmt: skip
    send("manager", "POST", "/api/v1/exports/", expect=201,
         body={"date_from": "2026-01-01", "date_to": "2026-06-30", "format": "xlsx"})  # fmt: skip
    send("manager", "GET", "/api/v1/reports/service/", query={"date_from": "2026-01-01", "date_to": "2026-06-30"},
         expect=200)  # fmt: skip
