"""Every failure, however malformed the request, answers with the JSON error shape and never 500."""

import json

import pytest
from django.conf import settings
from rest_framework.exceptions import ErrorDetail

from core.exceptions import flatten_errors
from customers.models import Customer
from inventory.models import Inventory

BIG_ID = "99999999999999999999999"
# 19 digits (the paths' limit) but past the largest 64-bit id: a lookup must not overflow.
OVERFLOWING_IDS = ["9223372036854775808", "9999999999999999999"]


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert isinstance(body, dict)
    assert isinstance(body["error"], str) and body["error"]
    return body


def sign_up_body(**fields) -> dict:
    return {"name": "Ann", "email": "ann@example.com", "phone": "555-0100", "password": "Correct-Horse-42", **fields}


# --- unknown paths and ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/nope/",
        "/customers/abc",
        "/customers/abc/",
        "/customers/-1",
        "/customers/1.5",
        "/inventory/abc",
        "/mechanics/abc",
        "/tickets/abc",
        "/customers/1/nope",
        "/api/nope",
    ],
)
@pytest.mark.django_db
def test_unknown_path_is_json_404(staff_client, path):
    assert_json_error(staff_client.get(path), 404)


@pytest.mark.django_db
def test_unknown_path_is_json_404_for_anonymous_callers_and_every_method(api_client):
    for method in ("get", "post", "put", "patch", "delete"):
        response = getattr(api_client, method)("/nope", data={}, format="json")
        assert_json_error(response, 404)


@pytest.mark.parametrize(
    ("method", "prefix"),
    [
        *[(m, p) for m in ("get", "put", "patch", "delete") for p in ("/customers", "/inventory", "/mechanics")],
        *[(m, "/tickets") for m in ("get", "put", "patch")],
    ],
)
@pytest.mark.django_db
def test_huge_id_in_path_is_404_not_500(staff_client, prefix, method):
    response = getattr(staff_client, method)(f"{prefix}/{BIG_ID}", data={}, format="json")
    assert_json_error(response, 404)


@pytest.mark.parametrize("big_id", OVERFLOWING_IDS)
@pytest.mark.parametrize(
    ("method", "prefix"),
    [
        *[(m, p) for m in ("get", "put", "patch", "delete") for p in ("/customers", "/inventory", "/mechanics")],
        *[(m, "/tickets") for m in ("get", "put", "patch")],
    ],
)
@pytest.mark.django_db
def test_nineteen_digit_id_past_the_largest_id_is_404_not_500(staff_client, prefix, method, big_id):
    response = getattr(staff_client, method)(f"{prefix}/{big_id}", data={}, format="json")
    assert_json_error(response, 404)


@pytest.mark.parametrize("big_id", OVERFLOWING_IDS)
@pytest.mark.parametrize(
    "path",
    [
        "/tickets/{big}/assign-mechanic/1",
        "/tickets/{ticket}/assign-mechanic/{big}",
        "/tickets/{ticket}/remove-mechanic/{big}",
        "/tickets/{big}/remove-mechanic/1",
        "/tickets/{big}/update-mechanics",
        "/tickets/{big}/inventory",
    ],
)
@pytest.mark.django_db
def test_nineteen_digit_ids_in_ticket_actions_are_404_not_500(staff_client, make_ticket, make_mechanic, path, big_id):
    ticket = make_ticket(mechanics=[make_mechanic()])
    url = path.format(big=big_id, ticket=ticket.pk)
    method = staff_client.post if url.endswith("/inventory") else staff_client.put
    body = {"add_inventory_items": [{"inventory_id": 1, "quantity": 1}]} if url.endswith("/inventory") else {}
    assert_json_error(method(url, data=body, format="json"), 404)


@pytest.mark.parametrize("big_id", OVERFLOWING_IDS)
@pytest.mark.django_db
def test_nineteen_digit_id_of_another_customer_is_403_not_a_crash(customer_client, big_id):
    # API.md: a customer's own record only, else 403, decided before anything else (the path
    # matches; no lookup happens, so no overflow either).
    assert_json_error(customer_client.get(f"/customers/{big_id}"), 403)


@pytest.mark.parametrize(
    "path",
    [
        f"/tickets/{BIG_ID}/assign-mechanic/1",
        f"/tickets/1/assign-mechanic/{BIG_ID}",
        f"/tickets/{BIG_ID}/remove-mechanic/1",
        f"/tickets/{BIG_ID}/update-mechanics",
    ],
)
@pytest.mark.django_db
def test_huge_ids_in_ticket_actions_are_404_not_500(staff_client, make_ticket, path):
    make_ticket()
    assert_json_error(staff_client.put(path, data={}, format="json"), 404)


@pytest.mark.django_db
def test_huge_id_in_customer_path_is_404_for_a_customer_too(customer_client):
    # Ids in paths are 1 to 19 digits: a longer one names no route at all, for any caller.
    assert_json_error(customer_client.get(f"/customers/{BIG_ID}"), 404)


@pytest.mark.django_db
def test_unknown_but_valid_id_is_json_404(staff_client):
    body = assert_json_error(staff_client.get("/customers/424242"), 404)
    assert "fields" not in body


# --- methods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "/customers"),
        ("put", "/customers"),
        ("patch", "/inventory/"),
        ("post", "/inventory/1"),
        ("post", "/customers/1"),
        ("get", "/customers/login"),
        ("delete", "/customers/login/"),
        ("get", "/auth/login"),
        ("delete", "/healthz"),
    ],
)
@pytest.mark.django_db
def test_wrong_method_is_json_405(staff_client, make_item, make_customer, method, path):
    make_item()
    make_customer()
    body = assert_json_error(getattr(staff_client, method)(path, data={}, format="json"), 405)
    assert method.upper() in body["error"]


# --- bodies ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b'{"name": "Ann",}',
        b"{'name': 'Ann'}",
        b"not json at all",
        b'{"name": "Ann"} trailing',
        b"\xff\xfe\x00garbage",
    ],
)
@pytest.mark.django_db
def test_malformed_json_is_400(api_client, raw):
    response = api_client.post("/customers", data=raw, content_type="application/json")
    assert_json_error(response, 400)
    assert not Customer.objects.exists()


@pytest.mark.parametrize("raw", [b"[]", b'[{"name": "Ann"}]', b'"a string"', b"42", b"null", b"true"])
@pytest.mark.django_db
def test_json_that_is_not_an_object_is_400(api_client, raw):
    response = api_client.post("/customers", data=raw, content_type="application/json")
    assert_json_error(response, 400)
    assert not Customer.objects.exists()


@pytest.mark.parametrize("raw", [b"[]", b"null", b"5"])
@pytest.mark.django_db
def test_json_that_is_not_an_object_is_400_on_staff_writes(staff_client, make_item, raw):
    item = make_item()
    assert_json_error(staff_client.post("/inventory", data=raw, content_type="application/json"), 400)
    assert_json_error(staff_client.patch(f"/inventory/{item.pk}", data=raw, content_type="application/json"), 400)
    assert Inventory.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("name=Ann&email=ann%40example.com", "application/x-www-form-urlencoded"),
        ('{"name": "Ann"}', "text/plain"),
        ("<customer/>", "application/xml"),
        ('{"name": "Ann"}', "application/octet-stream"),
    ],
)
@pytest.mark.django_db
def test_body_that_is_not_json_is_415(api_client, body, content_type):
    response = api_client.post("/customers", data=body, content_type=content_type)
    assert_json_error(response, 415)
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_multipart_body_is_415(api_client):
    response = api_client.post("/customers", data=sign_up_body(), format="multipart")
    assert_json_error(response, 415)
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_body_larger_than_the_limit_is_json_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps(sign_up_body(name="x" * 2000)).encode()
    response = api_client.post("/customers", data=body, content_type="application/json")
    assert_json_error(response, 413)
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_body_larger_than_the_default_limit_is_json_413(staff_client):
    body = json.dumps({"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), "price": 1}).encode()
    response = staff_client.post("/inventory", data=body, content_type="application/json")
    assert_json_error(response, 413)
    assert not Inventory.objects.exists()


@pytest.mark.django_db
def test_body_just_under_the_limit_is_read(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = json.dumps(sign_up_body(name="x" * 300)).encode()
    assert len(body) < 4096
    response = api_client.post("/customers", data=body, content_type="application/json")
    # Read and validated (name is too long), not refused for its size.
    body = assert_json_error(response, 400)
    assert "name" in body["fields"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.django_db
def test_nan_and_infinity_are_400(staff_client, constant):
    raw = f'{{"name": "Brake pad", "price": {constant}}}'.encode()
    response = staff_client.post("/inventory", data=raw, content_type="application/json")
    assert_json_error(response, 400)
    assert not Inventory.objects.exists()


@pytest.mark.parametrize("field", ["name", "email", "phone", "password"])
@pytest.mark.django_db
def test_null_bytes_in_strings_are_400(api_client, field):
    value = {"name": "Ann\x00", "email": "ann\x00@example.com", "phone": "555\x00", "password": "Correct\x00Horse-42"}
    response = api_client.post("/customers", data=sign_up_body(**{field: value[field]}), format="json")
    body = assert_json_error(response, 400)
    assert field in body["fields"]
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_null_byte_in_inventory_name_is_400(staff_client):
    response = staff_client.post("/inventory", data={"name": "Brake\x00pad", "price": "1.00"}, format="json")
    body = assert_json_error(response, 400)
    assert "name" in body["fields"]


@pytest.mark.django_db
def test_validation_error_has_fields_with_message_lists(api_client):
    response = api_client.post("/customers", data={"email": "not-an-email"}, format="json")
    body = assert_json_error(response, 400)
    assert body["error"] == "Invalid input."
    assert body["fields"]["email"] == ["Enter a valid email address."]
    for field in ("name", "phone", "password"):
        assert body["fields"][field] and all(isinstance(m, str) for m in body["fields"][field])


def test_django_error_handlers_answer_json(rf):
    from core.views import json_bad_request, json_forbidden, json_server_error

    request = rf.get("/")
    for response, status in (
        (json_server_error(request), 500),
        (json_bad_request(request, None), 400),
        (json_forbidden(request, None), 403),
    ):
        assert_json_error(response, status)


@pytest.mark.django_db
def test_disallowed_host_is_json_400(client):
    response = client.get("/inventory", HTTP_HOST="evil.example")
    assert_json_error(response, 400)


# --- flatten_errors --------------------------------------------------------------------------


def test_flatten_errors_gives_dotted_keys_for_nested_lists_and_dicts():
    detail = {
        "add_inventory_items": [
            {},
            {"quantity": [ErrorDetail("Ensure this value is greater than or equal to 1.", code="min_value")]},
            {"inventory_id": ["A valid integer is required."], "quantity": ["This field is required."]},
        ],
        "customer": {"address": {"zip": ["Too long."]}},
        "name": ["This field may not be blank."],
    }
    assert flatten_errors(detail) == {
        "add_inventory_items.1.quantity": ["Ensure this value is greater than or equal to 1."],
        "add_inventory_items.2.inventory_id": ["A valid integer is required."],
        "add_inventory_items.2.quantity": ["This field is required."],
        "customer.address.zip": ["Too long."],
        "name": ["This field may not be blank."],
    }


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        ({}, {}),
        ({"name": []}, {}),
        ({"name": "Just a string."}, {"name": ["Just a string."]}),
        (["One.", "Two."], {"": ["One.", "Two."]}),
        ({"ids": {"0": ["Bad."]}}, {"ids.0": ["Bad."]}),
        ({"ids": [["Nested."]]}, {"ids.0": ["Nested."]}),
        ({"items": [{"a": ["x"]}, {"a": ["y"]}]}, {"items.0.a": ["x"], "items.1.a": ["y"]}),
    ],
)
def test_flatten_errors_edge_cases(detail, expected):
    assert flatten_errors(detail) == expected


def test_flatten_errors_values_are_plain_strings():
    flat = flatten_errors({"a": [ErrorDetail("Bad.", code="invalid")]})
    assert type(flat["a"][0]) is str


@pytest.mark.django_db
def test_nested_validation_error_reaches_the_client_with_dotted_keys(staff_client, make_ticket, make_item):
    ticket, item = make_ticket(), make_item()
    body = {
        "add_inventory_items": [{"inventory_id": item.pk, "quantity": 1}, {"inventory_id": item.pk + 1, "quantity": 0}]
    }
    response = staff_client.post(f"/tickets/{ticket.pk}/inventory", data=body, format="json")
    errors = assert_json_error(response, 400)
    assert "add_inventory_items.1.quantity" in errors["fields"]
