"""A round trip: register a patient and a referral, allocate it, record
sessions with measures and discharge it, all through the API; the API's
report gives the same outcome flags as reports/outcomes.py's pure functions."""

from datetime import timedelta

from django.utils import timezone

from patients import nhs_number
from patients.codes import ReferralSource
from reports.outcomes import Contact, ScorePoint, rates, referral_outcome
from tests.factories import gad7, phq9

VISITS = [  # days before today, appointment type, PHQ-9 total, GAD-7 total
    (50, "01", 17, 13),
    (40, "02", 12, 10),
    (30, "02", 8, 7),
    (20, "02", 5, 4),
]


def test_round_trip_through_the_api_matches_the_pure_outcome_functions(world):
    import random

    manager, pwp, supervisor = (world.client(r) for r in ("manager", "own_pwp", "own_supervisor"))
    today = timezone.localdate()
    received = today - timedelta(days=60)

    # given a patient and referral registered and allocated through the API
    patient = manager.post(
        "/api/v1/patients/",
        {
            "nhs_number": nhs_number.generate(random.Random(7)),
            "given_name": "Round",
            "family_name": "Trip",
            "date_of_birth": "1979-03-04",
            "sex": "1",
        },
        format="json",
    )
    assert patient.status_code == 201, patient.content
    referral = manager.post(
        "/api/v1/referrals/",
        {
            "patient": patient.json()["id"],
            "source": ReferralSource.GP,
            "received_on": received.isoformat(),
            "problem_descriptor": "F32",
        },
        format="json",
    )
    assert referral.status_code == 201, referral.content
    referral_id = referral.json()["id"]
    allocated = manager.post(
        f"/api/v1/referrals/{referral_id}/allocate/",
        {"practitioner": world.users["own_pwp"].pk, "step": 2},
        format="json",
    )
    assert allocated.status_code == 200, allocated.content

    # when the PWP records the sessions with their items
    contacts, points = [], []
    for days, appointment, phq, gad in VISITS:
        started = timezone.now() - timedelta(days=days)
        response = pwp.post(
            "/api/v1/sessions/",
            {
                "referral": referral_id,
                "started_at": started.isoformat(),
                "appointment_type": appointment,
                "attendance": "5",
                "medium": "02",
                "measures": [{"instrument": "PHQ9", "items": phq9(phq)}, {"instrument": "GAD7", "items": gad7(gad)}],
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        contacts.append(Contact(started, appointment, "5"))
        points += [ScorePoint(started, "PHQ9", phq), ScorePoint(started, "GAD7", gad)]

    # and proposes discharge, which the supervisor confirms
    proposal = pwp.post(
        "/api/v1/step-changes/",
        {
            "referral": referral_id,
            "kind": "discharge",
            "end_code": "46",
            "reason": "Recovered.",
            "effective_on": today.isoformat(),
        },
        format="json",
    )
    assert proposal.status_code == 201, proposal.content
    decided = supervisor.post(f"/api/v1/step-changes/{proposal.json()['id']}/decide/", {"confirm": True}, format="json")
    assert decided.status_code == 200, decided.content
    assert manager.get(f"/api/v1/referrals/{referral_id}/").json()["status"] == "ended"

    # then the report's counts and rates are the pure functions' flags and rates
    report = manager.get(
        "/api/v1/reports/service/",
        {"date_from": (received - timedelta(days=1)).isoformat(), "date_to": today.isoformat()},
    )
    assert report.status_code == 200, report.content
    outcome = referral_outcome(problem_descriptor="F32", contacts=contacts, points=points)
    expected = rates([outcome])
    total, got_rates = report.json()["total"], report.json()["rates"]
    assert outcome.finished_treatment and outcome.recovered  # the case is a real test of the flags
    assert total["finished"] == expected.finished == 1
    assert total["not_caseness"] == expected.not_caseness_at_start
    assert total["recovered"] == expected.recovered
    assert total["reliably_improved"] == expected.reliably_improved
    assert total["reliably_deteriorated"] == expected.reliably_deteriorated
    assert total["reliably_recovered"] == expected.reliably_recovered
    assert got_rates["recovery_rate"] == expected.recovery_rate
    assert got_rates["reliable_improvement_rate"] == expected.reliable_improvement_rate
    assert got_rates["reliable_recovery_rate"] == expected.reliable_recovery_rate
