import pytest
from django.contrib.auth.models import Permission

from accounts.models import Role
from tests.factories import ServiceFactory, TeamFactory, UserFactory


@pytest.fixture(autouse=True)
def _export_root(settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"


@pytest.fixture
def service(db):
    return ServiceFactory(ods_code="RPT01", name="Report Service")


@pytest.fixture
def team(service):
    return TeamFactory(service=service, name="North team")


@pytest.fixture
def manager(service):
    return UserFactory(username="manager", role=Role.SERVICE_MANAGER, band=8, service=service)


@pytest.fixture
def identifiable_manager(manager):
    manager.user_permissions.add(
        Permission.objects.get(codename="export_identifiable", content_type__app_label="reports")
    )
    return manager


@pytest.fixture
def sysadmin(service):
    return UserFactory(
        username="sysadmin", role=Role.SYSTEM_ADMIN, band=None, service=None, is_superuser=True, is_staff=True
    )


@pytest.fixture
def practitioner(service):
    return UserFactory(username="pwp", role=Role.PWP, service=service)
