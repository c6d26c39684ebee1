"""Search by NHS number or name: in a POST body only, audited without the term,
within the user's access; and no URL of the site carries an identifier."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import AccessLog, Role
from patients.forms import ReferralFilterForm
from tests.factories import ReferralFactory, UserFactory

IDENTIFYING = ("nhs", "name", "birth", "dob", "postcode", "phone", "email", "address", "q")


@pytest.fixture
def found(db):
    referral = ReferralFactory(patient__family_name="Searchwell", patient__nhs_number="9434765919")
    manager = UserFactory(service=referral.service, role=Role.SERVICE_MANAGER)
    return referral.patient, manager


@pytest.mark.parametrize("term", ["9434765919", "943 476 5919", "searchwell", "Searchwell"])
def test_search_finds_by_nhs_number_or_family_name_in_a_post(client, found, term):
    patient, manager = found
    client.force_login(manager)
    response = client.post(reverse("patients:search"), {"q": term})
    assert response.status_code == 200
    assert response.context["patients"] == [patient]
    entry = AccessLog.objects.get(action="search")
    assert entry.detail["patient_ids"] == [str(patient.pk)]
    assert term not in str(entry.detail) and "9434765919" not in str(entry.detail)
    assert "Searchwell" not in f"{entry.object_id} {entry.detail}"


def test_a_search_in_the_query_string_is_ignored(client, found):
    _, manager = found
    client.force_login(manager)
    response = client.get(reverse("patients:search"), {"q": "9434765919"})
    assert response.status_code == 200 and response.context["patients"] is None
    assert not AccessLog.objects.filter(action="search").exists()


def test_search_stays_within_the_users_access(client, found):
    patient, _ = found
    client.force_login(UserFactory(role=Role.SERVICE_MANAGER))  # another service
    response = client.post(reverse("patients:search"), {"q": "9434765919"})
    assert response.context["patients"] == []
    pwp = UserFactory(service=patient.service, role=Role.PWP)  # not their caseload
    client.force_login(pwp)
    assert client.post(reverse("patients:search"), {"q": "Searchwell"}).context["patients"] == []


@pytest.mark.parametrize("term", ["", "x" * 5000, "nul\x00byte"])
def test_bad_search_terms_get_a_clear_error(client, found, term):
    _, manager = found
    client.force_login(manager)
    response = client.post(reverse("patients:search"), {"q": term})
    assert response.status_code == 200 and response.context["form"].errors
    assert response.context["patients"] is None


def test_the_referral_list_filters_take_no_identifier():
    assert not [name for name in ReferralFilterForm.base_fields if any(word in name for word in IDENTIFYING)]


def all_routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from all_routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.pattern


def test_no_url_takes_an_identifier():
    for route, pattern in all_routes():
        if route.startswith("admin/"):
            continue  # Django's admin: object ids only, and for system administrators
        if route.startswith("account/password/set/"):
            continue  # a staff member's one-use set-password link (account id, reset token): no patient in it
        if route.startswith("q/"):
            continue  # a patient's one-use questionnaire link: a random token (stored hashed), no identifier
        for name, converter in getattr(pattern, "converters", {}).items():
            assert type(converter).__name__ in ("UUIDConverter", "IntConverter"), f"{route}: {name}"
            assert not any(word in name for word in IDENTIFYING if word != "q"), f"{route}: {name}"
