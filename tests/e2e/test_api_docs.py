"""The interactive API docs render in a real browser from the project's own
static files: every request the page makes stays on the test server."""

from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_from_local_files_only(page, live_server):
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto("/api/docs/")
    # Swagger UI draws the operations from /api/schema/
    page.wait_for_selector(".swagger-ui .opblock-tag", timeout=20000)
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("NHS Talking Therapies case management API")
    assert page.locator(".opblock-summary-path", has_text="/api/v1/sessions/").count() >= 1

    server = urlparse(live_server.url)
    hosts = {urlparse(url).hostname for url in requested if not url.startswith(("data:", "blob:"))}
    assert hosts == {server.hostname}, requested
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/" in url for url in requested)
    assert any(url.endswith("/api/schema/") for url in requested)
