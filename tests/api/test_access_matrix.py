"""The access matrix: every object endpoint x every relationship x GET, PATCH,
DELETE answers as the policy says (README "Who sees what"): 404 outside the
relationship (no enumeration), referral administrators see no clinical
entries, clinical entries are never edited or deleted over the API (405)."""

import pytest

ROLES = ["own_pwp", "other_pwp", "own_supervisor", "other_supervisor", "manager", "admin", "sysadmin"]
CLINICAL_GET = {
    "own_pwp": 200,
    "other_pwp": 404,
    "own_supervisor": 200,
    "other_supervisor": 404,
    "manager": 200,
    "admin": 404,
    "sysadmin": 404,
}
RECORD_GET = {**CLINICAL_GET, "admin": 200}  # administrators see patients and referrals, not clinical notes
EXPORT_GET = {role: 404 for role in ROLES} | {"manager": 200}  # only the person who asked for it
ALL_405 = dict.fromkeys(ROLES, 405)

# endpoint -> (GET, PATCH, DELETE) expectations
MATRIX = {
    "patients": (RECORD_GET, RECORD_GET, ALL_405),
    "referrals": (RECORD_GET, RECORD_GET, ALL_405),
    "sessions": (CLINICAL_GET, ALL_405, ALL_405),
    "risk-events": (CLINICAL_GET, ALL_405, ALL_405),
    "step-changes": (CLINICAL_GET, ALL_405, ALL_405),
    "flags": (CLINICAL_GET, ALL_405, ALL_405),
    "reviews": (CLINICAL_GET, ALL_405, ALL_405),
    "exports": (EXPORT_GET, ALL_405, ALL_405),
}


def _object_id(world, endpoint):
    return {
        "patients": world.referral.patient_id,
        "referrals": world.referral.pk,
        "sessions": world.session.pk,
        "risk-events": world.risk.pk,
        "step-changes": world.step_change.pk,
        "flags": world.flag.pk,
        "reviews": world.review.pk,
        "exports": world.export.pk,
    }[endpoint]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_access_matrix(world, endpoint, role):
    client = world.client(role)
    url = f"/api/v1/{endpoint}/{_object_id(world, endpoint)}/"
    get_expected, patch_expected, delete_expected = MATRIX[endpoint]

    got = client.get(url)
    assert got.status_code == get_expected[role], (endpoint, role, "GET", got.content[:200])

    # PATCH with the current version: allowed roles save (200), the rest 404/405
    version = {"patients": world.referral.patient.version, "referrals": world.referral.version}.get(endpoint, 1)
    body = {"version": version}
    if endpoint == "patients":
        body["phone"] = "01632 960001"
    elif endpoint == "referrals":
        body["notes"] = "Updated through the API."
    patched = client.patch(url, body, format="json")
    assert patched.status_code == patch_expected[role], (endpoint, role, "PATCH", patched.content[:200])

    deleted = client.delete(url)
    assert deleted.status_code == delete_expected[role], (endpoint, role, "DELETE", deleted.content[:200])


@pytest.mark.parametrize("role", ROLES)
def test_lists_hold_only_what_the_relationship_allows(world, role):
    client = world.client(role)
    referrals = client.get("/api/v1/referrals/")
    assert referrals.status_code == 200
    ids = {row["id"] for row in referrals.json()["results"]}
    expected = {
        "own_pwp": {str(world.referral.pk)},
        "other_pwp": {str(world.other_referral.pk)},
        "own_supervisor": {str(world.referral.pk)},
        "other_supervisor": {str(world.other_referral.pk)},
        "manager": {str(world.referral.pk), str(world.other_referral.pk)},
        "admin": {str(world.referral.pk), str(world.other_referral.pk)},
        "sysadmin": set(),
    }[role]
    assert ids == expected
    sessions = client.get("/api/v1/sessions/").json()["results"]
    assert bool(sessions) == (role in ("own_pwp", "own_supervisor", "manager"))


def test_reads_are_audited(world):
    from accounts.models import AccessLog

    client = world.client("own_pwp")
    before = AccessLog.objects.count()
    client.get(f"/api/v1/sessions/{world.session.pk}/")
    client.get("/api/v1/referrals/")
    entries = list(AccessLog.objects.order_by("-id")[: AccessLog.objects.count() - before])
    assert {(e.action, e.object_type) for e in entries} == {("view", "therapysession"), ("list", "referral")}
    view = next(e for e in entries if e.action == "view")
    assert view.patient_id == world.referral.patient_id and view.username == "own_pwp"


def test_no_token_or_a_revoked_one_is_refused(world):
    from rest_framework.test import APIClient

    from accounts.models import ApiToken
    from accounts.services import api_token_issue, api_token_revoke

    assert APIClient().get("/api/v1/referrals/").status_code in (401, 403)
    token, secret = api_token_issue(user=world.users["own_pwp"], name="revoke me")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/referrals/").status_code == 200
    api_token_revoke(token=token)
    assert client.get("/api/v1/referrals/").status_code == 401
    # the secret is never stored, only its digest
    assert not ApiToken.objects.filter(digest=secret).exists()
    assert secret not in str(list(ApiToken.objects.values_list("digest", "prefix")))


def test_the_browser_session_works_and_its_writes_need_csrf(world):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.users["manager"])
    url = f"/api/v1/patients/{world.referral.patient_id}/"
    assert client.get(url).status_code == 200
    body = {"phone": "01632 960555", "version": world.referral.patient.version}
    refused = client.patch(url, body, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    token = "a" * 32
    client.cookies["csrftoken"] = token
    assert client.patch(url, body, format="json", HTTP_X_CSRFTOKEN=token).status_code == 200
