"""The OpenAPI document shows the safe-write headers (API.md "Safe retries and concurrent edits"):
Idempotency-Key on every POST that honours it with its 409 and 422, ETag and If-None-Match (304) on
single-resource reads, If-Match (412) on PUT, PATCH, DELETE and transitions."""

import pytest
from rest_framework.test import APIClient


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def headers_of(operation) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}


@pytest.mark.parametrize(
    "path",
    [
        "/tickets",
        "/tickets/{id}/payments",
        "/tickets/{id}/transition",
        "/tickets/{id}/approve",
        "/tickets/{id}/inventory",
        "/tickets/{id}/lines",
        "/inventory/{id}/movements",
        "/webhooks",
        "/webhooks/{id}/deliveries/{delivery_id}/redeliver",
        "/vehicles",
        "/mechanics",
        "/customers",
    ],
)
def test_posts_document_the_idempotency_key_and_its_answers(schema, path):
    operation = schema["paths"][path]["post"]

    assert "Idempotency-Key" in headers_of(operation)
    assert {"409", "422"} <= set(operation["responses"])
    success = next(code for code in operation["responses"] if code.startswith("2"))
    assert "Idempotent-Replayed" in operation["responses"][success]["headers"]


@pytest.mark.parametrize("path", ["/auth/login", "/customers/login", "/auth/refresh"])
def test_sign_in_takes_no_idempotency_key(schema, path):
    assert "Idempotency-Key" not in headers_of(schema["paths"][path]["post"])


@pytest.mark.parametrize("resource", ["customers", "mechanics", "inventory", "vehicles", "tickets"])
def test_single_reads_and_writes_document_etags(schema, resource):
    operations = schema["paths"][f"/{resource}/{{id}}"]

    assert "If-None-Match" in headers_of(operations["get"])
    assert "304" in operations["get"]["responses"]
    assert "ETag" in operations["get"]["responses"]["200"]["headers"]
    for method in ("put", "patch", "delete"):
        if method in operations:
            assert "If-Match" in headers_of(operations[method]), method
            assert "412" in operations[method]["responses"], method
    assert "ETag" in operations["patch"]["responses"]["200"]["headers"]


def test_transitions_document_if_match(schema):
    operation = schema["paths"]["/tickets/{id}/transition"]["post"]

    assert "If-Match" in headers_of(operation)
    assert "412" in operation["responses"]
