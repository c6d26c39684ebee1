"""The system administrator keeps the appointment configuration (working hours,
clinic templates, reminder lead times) in the admin site, by role; a clinician
does not reach it."""

import pytest
from django.urls import reverse

from accounts.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["workinghours", "clinictemplate", "reminderleadtime"])
def test_the_system_administrator_keeps_the_appointment_configuration(client, model):
    client.force_login(UserFactory(role=Role.SYSTEM_ADMIN, is_staff=True))
    assert client.get(reverse(f"admin:appointments_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:appointments_{model}_add")).status_code == 200


def test_a_practitioner_does_not_reach_it(client):
    client.force_login(UserFactory(role=Role.PWP, is_staff=True))
    assert client.get(reverse("admin:appointments_workinghours_changelist")).status_code in (302, 403)
