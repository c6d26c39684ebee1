"""Presenting problems (IDS603; decision 023): primary and secondary, dated, the
latest primary counting, kept in step with Referral.problem_descriptor by the
services alone."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, Role
from core.concurrency import VersionConflict
from patients import presenting
from patients.codes import PresentingProblemType, ProblemDescriptor, ReferralStatus
from patients.models import PresentingProblem, Referral
from patients.services import presenting_problem_record, presenting_problem_remove, referral_update
from tests.factories import ReferralFactory, UserFactory

P, S = PresentingProblemType.PRIMARY, PresentingProblemType.SECONDARY
pytestmark = pytest.mark.django_db


def disagreeing_referrals():
    return Referral.objects.problem_descriptor_disagreeing()


@pytest.fixture
def case():
    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(
        patient__service=pwp.service,
        assigned_practitioner=pwp,
        status=ReferralStatus.IN_TREATMENT,
        received_on=timezone.localdate() - timedelta(days=40),
        problem_descriptor="",
    )
    return pwp, referral


def record(pwp, referral, *, kind=P, code="F411", days_ago=10, version=None):
    referral.refresh_from_db()
    return presenting_problem_record(
        user=pwp,
        referral=referral,
        version=referral.version if version is None else version,
        kind=kind,
        code=code,
        recorded_on=timezone.localdate() - timedelta(days=days_ago),
    )


def test_the_choice_list_is_the_national_list_with_its_groups():
    assert tuple(ProblemDescriptor.values) == presenting.CODES
    groups = {presenting.group(code)[1] or presenting.group(code)[0] for code in presenting.CODES}
    assert {"Other F40-F43", "Other mental health problem", "Unspecified", "Depression"} <= groups


def test_the_latest_primary_by_date_counts_and_the_history_stays(case):
    # given: GAD at assessment, social phobia three weeks later
    pwp, referral = case
    record(pwp, referral, code="F411", days_ago=30)
    record(pwp, referral, code="F401", days_ago=9)
    referral.refresh_from_db()
    assert referral.problem_descriptor == "F401"
    # when: a primary dated earlier is recorded afterwards (a late entry)
    record(pwp, referral, code="F410", days_ago=20)
    # then: the latest by date still counts; all three are kept
    referral.refresh_from_db()
    assert referral.problem_descriptor == "F401"
    assert referral.presenting_problems.filter(kind=P, removed_at__isnull=True).count() == 3
    assert not disagreeing_referrals().exists()


def test_a_second_primary_on_the_same_day_corrects_the_first(case):
    pwp, referral = case
    first = record(pwp, referral, code="F411", days_ago=5)
    record(pwp, referral, code="F412", days_ago=5)
    first.refresh_from_db()
    referral.refresh_from_db()
    assert first.removed_at is not None and first.removed_by == pwp
    assert referral.problem_descriptor == "F412"
    # the same code again the same day is no duplicate
    again = record(pwp, referral, code="F412", days_ago=5)
    assert referral.presenting_problems.filter(kind=P, removed_at__isnull=True).get() == again


def test_removing_the_latest_primary_falls_back_to_the_one_before(case):
    pwp, referral = case
    record(pwp, referral, code="F411", days_ago=30)
    wrong = record(pwp, referral, code="F42", days_ago=3)
    referral.refresh_from_db()
    presenting_problem_remove(user=pwp, problem=wrong, version=referral.version)
    referral.refresh_from_db()
    assert referral.problem_descriptor == "F411"
    only = referral.presenting_problems.get(kind=P, removed_at__isnull=True)
    presenting_problem_remove(user=pwp, problem=only, version=referral.version)
    referral.refresh_from_db()
    assert referral.problem_descriptor == ""
    assert referral.presenting_problems.count() == 2  # both kept, marked removed
    assert AccessLog.objects.filter(action="delete", object_type="presentingproblem").count() == 2


def test_secondaries_are_listed_once_and_never_as_the_primary(case):
    pwp, referral = case
    record(pwp, referral, code="F32", days_ago=10)
    record(pwp, referral, kind=S, code="F411", days_ago=10)
    with pytest.raises(ValidationError) as listed:
        record(pwp, referral, kind=S, code="F411", days_ago=2)
    assert "already recorded" in listed.value.message_dict["code"][0]
    with pytest.raises(ValidationError) as primary:
        record(pwp, referral, kind=S, code="F32", days_ago=2)
    assert "primary" in primary.value.message_dict["code"][0]
    referral.refresh_from_db()
    assert referral.problem_descriptor == "F32"  # a secondary never counts
    assert referral.presenting_problems.filter(kind=S).count() == 1


@pytest.mark.parametrize(
    ("days_ago", "message"),
    [(-1, "future"), (41, "before the referral was received")],
)
def test_the_date_is_within_the_referral(case, days_ago, message):
    pwp, referral = case
    with pytest.raises(ValidationError) as error:
        record(pwp, referral, days_ago=days_ago)
    assert message in error.value.message_dict["recorded_on"][0]
    assert not PresentingProblem.objects.exists()


def test_a_code_off_the_list_is_a_field_error_and_nothing_is_written(case):
    pwp, referral = case
    version = Referral.objects.get(pk=referral.pk).version
    with pytest.raises(ValidationError) as error:
        record(pwp, referral, code="F20")
    assert "code" in error.value.message_dict
    assert Referral.objects.get(pk=referral.pk).version == version
    assert not PresentingProblem.objects.exists()


def test_a_stale_version_is_refused_and_nothing_is_written(case):
    pwp, referral = case
    record(pwp, referral, code="F411", days_ago=10)
    with pytest.raises(VersionConflict):
        record(pwp, referral, code="F401", days_ago=2, version=1)
    referral.refresh_from_db()
    assert referral.problem_descriptor == "F411"
    assert PresentingProblem.objects.count() == 1


def test_only_the_practitioner_holding_the_case_or_their_supervisor_records(case):
    _pwp, referral = case
    other = UserFactory(role=Role.PWP, service=referral.service)
    with pytest.raises(PermissionDenied):
        record(other, referral)
    assert not PresentingProblem.objects.exists()


def test_a_referral_edit_of_the_problem_descriptor_records_a_primary_dated_today(case):
    pwp, referral = case
    record(pwp, referral, code="F411", days_ago=10)
    referral.refresh_from_db()
    referral = referral_update(user=pwp, referral=referral, version=referral.version, problem_descriptor="F402")
    assert referral.problem_descriptor == "F402"
    latest = referral.presenting_problems.filter(kind=P, removed_at__isnull=True).first()
    assert (latest.code, latest.recorded_on, latest.recorded_by) == ("F402", timezone.localdate(), pwp)
    # and it is never cleared by an edit
    with pytest.raises(ValidationError) as error:
        referral_update(user=pwp, referral=referral, version=referral.version, problem_descriptor="")
    assert "problem_descriptor" in error.value.message_dict
    assert not disagreeing_referrals().exists()


# --- the record page ---------------------------------------------------------------


def test_the_record_shows_the_history_and_the_form(client, case):
    pwp, referral = case
    record(pwp, referral, code="F411", days_ago=30)
    record(pwp, referral, code="F401", days_ago=9)
    client.force_login(pwp)
    page = client.get(reverse("sessions:record", args=[referral.pk])).content.decode()
    assert "F41.1 Generalised anxiety disorder" in page and "F40.1 Social phobia" in page
    assert "counts</span>" in page and "Record a primary or secondary problem" in page


def test_a_refused_form_keeps_what_was_typed(client, case):
    pwp, referral = case
    client.force_login(pwp)
    future = (timezone.localdate() + timedelta(days=2)).strftime("%Y-%m-%d")
    response = client.post(
        reverse("patients:presenting_problem_add", args=[referral.pk]),
        {"version": referral.version, "kind": S, "code": "F432", "recorded_on": future},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "future" in form.errors["recorded_on"][0]
    assert form["code"].value() == "F432" and form["kind"].value() == S
    assert not PresentingProblem.objects.exists()


def test_the_form_records_and_a_stale_form_says_so(client, case):
    pwp, referral = case
    client.force_login(pwp)
    url = reverse("patients:presenting_problem_add", args=[referral.pk])
    today = timezone.localdate().isoformat()
    response = client.post(url, {"version": referral.version, "kind": P, "code": "F431", "recorded_on": today})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.problem_descriptor == "F431"
    stale = client.post(url, {"version": referral.version - 1, "kind": S, "code": "F32", "recorded_on": today})
    assert stale.status_code == 200 and "Someone else saved" in stale.content.decode()
    assert PresentingProblem.objects.count() == 1


def test_the_remove_button_removes_and_another_pwp_gets_404(client, case):
    pwp, referral = case
    problem = record(pwp, referral, code="F411", days_ago=3)
    referral.refresh_from_db()
    stranger = UserFactory(role=Role.PWP)
    client.force_login(stranger)
    url = reverse("patients:presenting_problem_remove", args=[referral.pk, problem.pk])
    assert client.post(url, {"version": referral.version}).status_code == 404
    client.force_login(pwp)
    assert client.post(url, {"version": referral.version}).status_code == 302
    problem.refresh_from_db()
    referral.refresh_from_db()
    assert problem.removed_at is not None and referral.problem_descriptor == ""


# --- the API -------------------------------------------------------------------------


def test_the_api_lists_records_and_removes(client, case):
    pwp, referral = case
    client.force_login(pwp)
    url = f"/api/v1/referrals/{referral.pk}/presenting-problems/"
    today = timezone.localdate().isoformat()
    created = client.post(
        url,
        {"kind": P, "code": "F410", "recorded_on": today},
        content_type="application/json",
        headers={"If-Match": f'"{referral.version}"'},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["code"], body["kind"], body["group"], body["recorded_on"]) == ("F410", P, "Panic disorder", today)
    listed = client.get(url)
    assert [row["code"] for row in listed.json()] == ["F410"]
    referral.refresh_from_db()
    assert referral.problem_descriptor == "F410"
    removed = client.post(
        f"{url}{body['id']}/remove/", content_type="application/json", headers={"If-Match": created["ETag"]}
    )
    assert removed.status_code == 200 and removed.json()["removed_at"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "P", "code": "F20", "recorded_on": "2026-01-01"}, "code"),
        ({"kind": "X", "code": "F32", "recorded_on": "2026-01-01"}, "kind"),
        ({"kind": "P", "code": "F32", "recorded_on": "not a date"}, "recorded_on"),
        ({"kind": "P", "code": "F32", "recorded_on": "1990-01-01"}, "recorded_on"),  # before the referral
    ],
)
def test_the_api_answers_bad_input_with_field_messages(client, case, payload, field):
    pwp, referral = case
    client.force_login(pwp)
    response = client.post(
        f"/api/v1/referrals/{referral.pk}/presenting-problems/",
        {**payload, "version": referral.version},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not PresentingProblem.objects.exists()


def test_the_api_refuses_a_stale_version_and_hides_other_caseloads(client, case):
    pwp, referral = case
    client.force_login(pwp)
    url = f"/api/v1/referrals/{referral.pk}/presenting-problems/"
    today = timezone.localdate().isoformat()
    stale = client.post(
        url, {"kind": P, "code": "F32", "recorded_on": today, "version": 0}, content_type="application/json"
    )
    assert stale.status_code == 409
    client.force_login(UserFactory(role=Role.PWP))
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("view", ["record", "api"])
def test_the_history_reads_in_a_fixed_number_of_queries(client, case, view):
    """The record page and the API list read the history in one query, whatever
    its length (CaptureQueriesContext at 1 and 8 rows: the counts are equal)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pwp, referral = case
    client.force_login(pwp)
    url = (
        reverse("sessions:record", args=[referral.pk])
        if view == "record"
        else f"/api/v1/referrals/{referral.pk}/presenting-problems/"
    )
    counts = []
    for size in (1, 8):
        PresentingProblem.objects.all().delete()
        for n in range(size):
            PresentingProblem.objects.create(
                referral=referral,
                kind=P,
                code=presenting.CODES[n],
                recorded_on=referral.received_on + timedelta(days=n),
                recorded_by=pwp,
            )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
