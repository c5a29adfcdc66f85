import re

import pytest
import yaml
from django.core.management import call_command
from openapi_spec_validator import validate

API_PATHS = {
    "/customers": {"get", "post"},
    "/customers/{id}": {"get", "put", "patch", "delete"},
    "/customers/login": {"post"},
    "/auth/login": {"post"},
    "/auth/refresh": {"post"},
    "/mechanics": {"get", "post"},
    "/mechanics/{id}": {"get", "put", "patch", "delete"},
    "/mechanics/top-3-mechanics": {"get"},
    "/tickets": {"get", "post"},
    "/tickets/{id}": {"get", "put", "patch"},
    "/tickets/my-tickets": {"get"},
    "/tickets/{id}/assign-mechanic/{mechanic_id}": {"put"},
    "/tickets/{id}/remove-mechanic/{mechanic_id}": {"put"},
    "/tickets/{id}/update-mechanics": {"put"},
    "/tickets/{id}/inventory": {"post"},
    "/inventory": {"get", "post"},
    "/inventory/{id}": {"get", "put", "patch", "delete"},
    "/healthz": {"get"},
}


@pytest.fixture(scope="module")
def schema():
    from rest_framework.test import APIClient

    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_schema_documents_every_path_and_method_of_the_contract(schema):
    documented = {path: set(ops) - {"parameters"} for path, ops in schema["paths"].items()}
    for path, methods in API_PATHS.items():
        assert path in documented, path
        assert methods <= documented[path], (path, documented[path])


def test_generating_the_schema_gives_no_warning(tmp_path):
    # --fail-on-warn turns any drf-spectacular warning or validation error into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert yaml.safe_load((tmp_path / "schema.yaml").read_text())["info"]["title"] == "Mechanic Shop API"


def test_bearer_scheme_and_per_endpoint_security(schema):
    scheme = schema["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schema["paths"]["/tickets"]["get"]["security"] == [{"bearerAuth": []}]
    # No security requirement (or an empty one) means "no token needed".
    assert schema["paths"]["/customers/login"]["post"].get("security", [{}]) == [{}]
    assert schema["paths"]["/inventory"]["get"].get("security", [{}]) == [{}]
    assert schema["paths"]["/customers"]["post"].get("security", [{}]) == [{}]
    assert schema["paths"]["/customers"]["get"]["security"] == [{"bearerAuth": []}]


def test_errors_and_pagination_are_described(schema):
    list_op = schema["paths"]["/tickets"]["get"]
    assert {p["name"] for p in list_op["parameters"]} >= {"page", "per_page"}
    assert list_op["responses"]["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert "missing_ids" in schema["components"]["schemas"]["Error"]["properties"]


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/", "/api/docs"])
def test_docs_pages_use_only_local_assets(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, "the page loads its assets"
    assert all(not re.match(r"^(https?:)?//", src) for src in sources), sources


def test_swagger_assets_are_served(api_client):
    html = api_client.get("/api/docs/").content.decode()
    script = next(src for src in re.findall(r'src="([^"]+)"', html) if "swagger-ui" in src)
    assert api_client.get(script).status_code == 200
