import pytest


@pytest.fixture(autouse=True)
def _media_and_email(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def service(db):
    from tests.factories import ServiceFactory

    return ServiceFactory()
