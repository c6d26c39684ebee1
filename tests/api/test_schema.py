"""The OpenAPI schema is valid, generates without a warning, and every
operation documents its answers."""

from io import StringIO

import pytest
import yaml
from django.core.management import call_command


@pytest.mark.django_db
def test_the_schema_is_valid_and_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    # --validate checks it against the OpenAPI 3 meta-schema; --fail-on-warn fails on any guess
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out), stderr=StringIO())
    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert {"200", "201"} & set(operation["responses"]) or method == "delete", (method, path)
            assert {"400", "404", "409"} <= set(operation["responses"]), (method, path)


def test_the_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/sessions/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui-dist" in docs.content
    assert b"//cdn" not in docs.content and b"unpkg" not in docs.content
