"""The duty worker moves to supervision (questionnaires 0002, decision 028): a
service's duty worker set before the move is its duty worker after it, the
notifications the questionnaires made become the patient-risk kind, and going
back loses neither."""

import pytest
from django.db import connection

from accounts.models import Role
from tests.factories import UserFactory
from tests.migrating import leaf_nodes, migrate_to

BEFORE = [
    ("questionnaires", "0001_initial"),
    ("selfreferral", "0001_initial"),
    ("supervision", "0006_duty_worker_and_notification_kind"),
]
RISK_MESSAGE = "Risk: a patient's answer before their appointment (PHQ-9 item 9) needs a clinician today."


@pytest.mark.django_db(transaction=True)
def test_the_duty_worker_and_the_notifications_survive_the_move_both_ways():
    duty = UserFactory(role=Role.PWP)
    try:
        # given: a duty worker and a patient-risk notification as the questionnaires kept them
        old = migrate_to(BEFORE)
        old.get_model("questionnaires", "DutyWorker").objects.create(service_id=duty.service_id, user_id=duty.pk)
        notification = old.get_model("supervision", "Notification").objects.create(
            user_id=duty.pk, message=RISK_MESSAGE
        )

        # when: forward
        new = migrate_to(leaf_nodes())
        # then: the service's duty worker is in supervision, and the notification is of its kind
        moved = new.get_model("supervision", "DutyWorker").objects.values_list("service_id", "user_id")
        assert list(moved) == [(duty.service_id, duty.pk)]
        assert new.get_model("supervision", "Notification").objects.get(pk=notification.pk).kind == "patient_risk"
        with connection.cursor() as cursor:
            assert "questionnaires_dutyworker" not in connection.introspection.table_names(cursor)

        # when: back again
        old = migrate_to(BEFORE)
        kept = old.get_model("questionnaires", "DutyWorker").objects.values_list("service_id", "user_id")
        assert list(kept) == [(duty.service_id, duty.pk)]
    finally:
        migrate_to(leaf_nodes())
