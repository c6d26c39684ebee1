"""The data migration (patients 0006): every referral's problem descriptor becomes
its first primary presenting problem, dated its assessment (or receipt when not
assessed); going back keeps the current primary in problem_descriptor."""

from datetime import date

import pytest
from django.db import connection

from tests.factories import UserFactory
from tests.migrating import leaf_nodes, migrate_to

BEFORE = ("patients", "0004_merge_this_rounds_branches")


@pytest.mark.django_db(transaction=True)
def test_migrating_forward_and_back_loses_no_problem():
    service = UserFactory().service
    try:
        # given: referrals as they were before presenting problems existed
        old = migrate_to([BEFORE])
        patient_model, referral_model = old.get_model("patients", "Patient"), old.get_model("patients", "Referral")
        patient = patient_model.objects.create(
            service_id=service.pk, nhs_number="9434765919", given_name="A", family_name="B",
            date_of_birth=date(1980, 1, 1), sex="2",
        )  # fmt: skip
        common = {"patient": patient, "service_id": service.pk, "source": "self", "received_on": date(2026, 1, 5)}
        assessed = referral_model.objects.create(problem_descriptor="F411", assessed_on=date(2026, 1, 20), **common)
        waiting = referral_model.objects.create(problem_descriptor="F32", **common)
        unknown = referral_model.objects.create(problem_descriptor="", **common)

        # when: forward
        new = migrate_to(leaf_nodes())
        problem_model = new.get_model("patients", "PresentingProblem")
        rows = {r.referral_id: (r.kind, r.code, r.recorded_on) for r in problem_model.objects.all()}
        # then: a primary each, dated the assessment, else the receipt; none for no descriptor
        assert rows == {assessed.pk: ("P", "F411", date(2026, 1, 20)), waiting.pk: ("P", "F32", date(2026, 1, 5))}
        assert unknown.pk not in rows

        # when: a later primary is recorded, then the migration is undone
        problem_model.objects.create(referral_id=assessed.pk, kind="P", code="F401", recorded_on=date(2026, 2, 9))
        new.get_model("patients", "Referral").objects.filter(pk=assessed.pk).update(problem_descriptor="F401")
        old = migrate_to([BEFORE])
        # then: the current primary is what the referral keeps
        kept = dict(old.get_model("patients", "Referral").objects.values_list("pk", "problem_descriptor"))
        assert kept == {assessed.pk: "F401", waiting.pk: "F32", unknown.pk: ""}
        with connection.cursor() as cursor:
            assert "patients_presentingproblem" not in connection.introspection.table_names(cursor)

        # and forward again gives the rows back, dated as before
        new = migrate_to(leaf_nodes())
        again = {r.referral_id: r.code for r in new.get_model("patients", "PresentingProblem").objects.all()}
        assert again == {assessed.pk: "F401", waiting.pk: "F32"}
    finally:
        migrate_to(leaf_nodes())
