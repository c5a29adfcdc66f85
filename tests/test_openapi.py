"""The OpenAPI document (GET /api/schema/): valid OpenAPI 3, every route the URLconf serves
documented with exactly its methods, the contract's paths, security and errors described, and
the documentation pages working without internet access."""

import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import get_resolver
from openapi_spec_validator import validate

API_PATHS = {
    "/customers": {"get", "post"},
    "/customers/{id}": {"get", "put", "patch", "delete"},
    "/customers/login": {"post"},
    "/customers/logout": {"post"},
    "/auth/login": {"post"},
    "/auth/refresh": {"post"},
    "/auth/logout": {"post"},
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
    "/tickets/{id}/inventory/{inventory_id}": {"delete"},
    "/tickets/{id}/transition": {"post"},
    "/tickets/{id}/history": {"get"},
    "/tickets/{id}/approve": {"post"},
    "/tickets/{id}/changes": {"get"},
    "/tickets/{id}/lines": {"post"},
    "/tickets/{id}/lines/{line_id}": {"delete"},
    "/tickets/{id}/payments": {"get", "post"},
    "/tickets/{id}/estimate.pdf": {"get"},
    "/tickets/{id}/invoice.pdf": {"get"},
    "/tickets/{id}/send-estimate": {"post"},
    "/customers/password-reset": {"post"},
    "/customers/password-reset/confirm": {"post"},
    "/vehicles": {"get", "post"},
    "/vehicles/{id}": {"get", "put", "patch", "delete"},
    "/vehicles/{id}/tickets": {"get"},
    "/inventory": {"get", "post"},
    "/inventory/{id}": {"get", "put", "patch", "delete"},
    "/inventory/{id}/movements": {"get", "post"},
    "/inventory/low-stock": {"get"},
    "/webhooks": {"get", "post"},
    "/webhooks/{id}": {"get", "patch", "delete"},
    "/webhooks/{id}/deliveries": {"get"},
    "/webhooks/{id}/deliveries/{delivery_id}/redeliver": {"post"},
    "/reports/sales": {"get"},
    "/reports/payments": {"get"},
    "/reports/mechanics": {"get"},
    "/reports/receivables": {"get"},
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


def documented_operations(schema) -> dict[str, set[str]]:
    return {
        path: set(ops) - {"parameters", "summary", "description", "servers"} for path, ops in schema["paths"].items()
    }


def test_schema_documents_every_path_and_method_of_the_contract(schema):
    documented = documented_operations(schema)
    for path, methods in API_PATHS.items():
        assert path in documented, path
        assert methods <= documented[path], (path, documented[path])


# Served by the URLconf but not part of the API the document describes.
# The pages customers open from their emails are HTML, not the API.
UNDOCUMENTED_PREFIXES = ("admin/", "api/schema", "api/docs", "api/redoc", "static/", "estimates/", "password-reset")
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def routed_operations() -> dict[str, set[str]]:
    """Every path the URLconf routes, written as the document writes it (`/tickets/{id}`),
    with the methods its view serves."""
    routes: dict[str, set[str]] = {}

    def walk(patterns, prefix: str = "") -> None:
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
                continue
            route = (prefix + str(pattern.pattern)).replace("^", "").replace("$", "")
            if route.startswith(UNDOCUMENTED_PREFIXES):
                continue
            path = "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: "{id}" if m[1] == "pk" else f"{{{m[1]}}}", route)
            path = path.replace("/?", "").replace("\\.", ".").rstrip("/") or "/"
            callback = pattern.callback
            view = callback.cls
            if getattr(callback, "actions", None):  # a ViewSet route: its action map
                # (DRF adds "head" to it at the first request; HEAD is GET's, not documented apart.)
                methods = {m for m in callback.actions if m in HTTP_METHODS and m in view.http_method_names}
            else:
                methods = {m for m in HTTP_METHODS if hasattr(view, m) and m in view.http_method_names}
            routes.setdefault(path, set()).update(methods)

    walk(get_resolver().url_patterns)
    return routes


def test_every_route_is_documented_with_exactly_the_methods_it_serves(schema):
    routed = routed_operations()

    assert set(API_PATHS) <= set(routed)  # the walk itself finds the contract's routes
    assert documented_operations(schema) == routed


def test_the_logout_endpoints_are_documented(schema):
    for path in ("/auth/logout", "/customers/logout"):
        operation = schema["paths"][path]["post"]
        assert "204" in operation["responses"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        properties = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]["properties"]
        assert "refresh_token" in properties


def test_generating_the_schema_gives_no_warning(tmp_path):
    # --fail-on-warn turns any drf-spectacular warning or validation error into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert yaml.safe_load((tmp_path / "schema.yaml").read_text())["info"]["title"] == "Mechanic Shop API"


def test_bearer_scheme_and_per_endpoint_security(schema):
    schemes = schema["components"]["securitySchemes"]
    assert list(schemes.values()) == [{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}]
    bearer = [{next(iter(schemes)): []}]
    assert schema["paths"]["/tickets"]["get"]["security"] == bearer
    assert schema["paths"]["/customers"]["get"]["security"] == bearer
    assert schema["paths"]["/customers/{id}"]["get"]["security"] == bearer
    # No security requirement (or an empty one) means "no token needed".
    for path, method in [
        ("/customers/login", "post"),
        ("/auth/login", "post"),
        ("/auth/refresh", "post"),
        ("/inventory", "get"),
        ("/customers", "post"),
        ("/healthz", "get"),
    ]:
        assert schema["paths"][path][method].get("security", [{}]) in ([{}], []), (path, method)


def test_errors_and_pagination_are_described(schema):
    list_op = schema["paths"]["/tickets"]["get"]
    assert {p["name"] for p in list_op["parameters"]} >= {"page", "per_page"}
    assert list_op["responses"]["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert "missing_ids" in schema["components"]["schemas"]["Error"]["properties"]


def test_the_workflow_conflicts_are_described(schema):
    """API.md "Ticket status": a refused move is `409 {"error", "status", "allowed"}`, closing with a
    balance a `409` (with `balance`); a frozen ticket's `409` names its `status`."""
    error = schema["components"]["schemas"]["Error"]["properties"]
    assert error["status"]["type"] == "string"
    assert error["allowed"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": error["allowed"]["description"],
    }
    assert error["balance"]["type"] == "number"
    conflict = schema["paths"]["/tickets/{id}/transition"]["post"]["responses"]["409"]
    assert conflict["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert "`allowed`" in conflict["description"] and "`balance`" in conflict["description"]


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


def test_every_operation_documents_the_400_of_a_control_character_in_its_url(schema):
    # core.middleware.ControlCharacterMiddleware refuses one on every path, before any view.
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "400" not in operation["responses"]
    ]
    assert missing == []
    retrieve = schema["paths"]["/customers/{id}"]["get"]["responses"]
    assert retrieve["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
