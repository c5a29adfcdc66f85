"""Hostile input: injection strings are stored and returned literally, and malformed
bodies, paths, query strings, numbers, headers and tokens are refused with the documented JSON
error, never a 500 and never HTML.

Plain malformed JSON, non-object bodies, 413/415, NUL bytes in customer fields and most bad
tokens are covered in test_error_shape.py and accounts/tests/test_api.py; this file adds what
they do not reach.
"""

import json
import uuid

import orjson
import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from conftest import CUSTOMER_PASSWORD, STAFF_PASSWORD, access_token_for
from core.exceptions import flatten_errors
from core.text import normalize_text
from customers.models import Customer
from inventory.models import Inventory, StockMovement
from mechanics.models import Mechanic
from tickets import workflow
from tickets.models import Payment, Ticket, TicketInventory, TicketLine, TicketMechanic
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"error", "fields", "missing_ids"}
JSON = "application/json"


@pytest.fixture
def staff(staff_client) -> APIClient:
    # Any 500 becomes a response to assert on, rather than an exception inside the test.
    staff_client.raise_request_exception = False
    return staff_client


@pytest.fixture
def anonymous() -> APIClient:
    client = APIClient()
    client.raise_request_exception = False
    return client


def assert_json_error(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith(JSON)
    assert not response.content.lstrip().startswith(b"<")
    body = json.loads(response.content)
    assert set(body) <= ERROR_KEYS and isinstance(body["error"], str) and body["error"]
    if fields:
        assert set(fields) <= set(body.get("fields", {})), body
    return body


def post_raw(client, path: str, raw: bytes, method: str = "POST", content_type: str = JSON):
    return client.generic(method, path, data=raw, content_type=content_type)


# --- injection strings are data ----------------------------------------------------------------

INJECTIONS = {
    "sql-drop-customers": "'; DROP TABLE customers_customer; --",
    "sql-drop-short": "1'; DROP TABLE tickets_ticket--",
    "sql-or-true": '" OR 1=1 --',
    "sql-quote-or": "' OR '1'='1",
    "sql-union": "x' UNION SELECT password FROM customers_customer --",
    "sql-comment-semicolon": "Robert'); --",
    "like-wildcards": "100% _off_ \\%",
    "script-tag": "<script>alert(1)</script>",
    "img-onerror": '<img src=x onerror="alert(1)">',
    "template-braces": "{{7*7}}",
    "template-dollar": "${7*7} #{7*7} <%= 7*7 %>",
    "jndi": "${jndi:ldap://x}",
    "path-traversal": "../../etc/passwd",
    "windows-traversal": "..\\..\\windows\\win.ini",
    "crlf": "Ann\r\nSet-Cookie: pwned=1",
    "json-breakout": '"}, "is_staff": true, "x": {"',
    "backslashes": "C:\\new\\table\\x00",
    "rtl-override": "Ann\u202egnp.exe",
    "zero-width": "A\u200bn\u200dn\ufeff.",
    "combining": "Z\u0351\u0337a\u0335\u0358l\u0363g\u0489o",
    "emoji": "🚗🔧 👩‍🔧 🇩🇪",
    "astral-plane": "𝕬𝖓𝖓 \U0010fffd",
    "percent-encoded": "%27%3B%20DROP%20TABLE%20x%3B%2500",
    "format-string": "%s%s%s%n {0} {__class__}",
}


def new_customer_body(field: str, value: str) -> dict:
    return {
        "name": "Ann",
        "email": f"{uuid.uuid4().hex}@example.com",
        "phone": "555-0100",
        "password": CUSTOMER_PASSWORD,
        field: value,
    }


def new_mechanic_body(field: str, value: str) -> dict:
    return {"name": "Bob", "email": f"{uuid.uuid4().hex}@example.com", "phone": "555-0200", "salary": 1, field: value}


def new_item_body(field: str, value: str) -> dict:
    return {"name": "Brake pad", "price": "9.99", field: value}


def new_ticket_body(field: str, value: str, customer_id: int) -> dict:
    return {
        "VIN": "1HGCM82633A004352",
        "service_date": "2026-11-25",
        "service_description": "Oil change",
        "customer_id": customer_id,
        field: value,
    }


# (collection, field, maximum length, model)
TEXT_FIELDS = [
    ("/customers", "name", 255, Customer),
    ("/customers", "phone", 32, Customer),
    ("/mechanics", "name", 255, Mechanic),
    ("/mechanics", "phone", 32, Mechanic),
    ("/inventory", "name", 360, Inventory),
    ("/tickets", "service_description", 1000, Ticket),
]
MODEL_FIELD = {"service_description": "service_description", "name": "name", "phone": "phone"}

# Only these are changed by the normalisation; every other string must come back as it was sent.
# (Joiners go too, so an emoji ZWJ sequence such as the woman mechanic falls apart; one-line text
# has its line break made a space.)
NORMALISED = {"rtl-override", "zero-width", "astral-plane", "combining", "emoji", "crlf"}
MULTILINE_FIELDS = {"service_description"}

INJECTION_CASES = [
    pytest.param(collection, field, model, value, id=f"{collection[1:]}.{field}-{name}")
    for collection, field, limit, model in TEXT_FIELDS
    for name, value in INJECTIONS.items()
    if len(value) <= limit
]


def body_for(collection: str, field: str, value: str, make_customer) -> dict:
    if collection == "/customers":
        return new_customer_body(field, value)
    if collection == "/mechanics":
        return new_mechanic_body(field, value)
    if collection == "/inventory":
        return new_item_body(field, value)
    return new_ticket_body(field, value, make_customer().pk)


def assert_tables_intact() -> None:
    tables = set(connection.introspection.table_names())
    for model in (Customer, Mechanic, Inventory, Ticket, TicketMechanic, TicketInventory):
        assert model._meta.db_table in tables
        model.objects.count()  # the table still answers


@pytest.mark.parametrize(("collection", "field", "model", "value"), INJECTION_CASES)
def test_injection_strings_are_stored_and_returned_literally(staff, make_customer, collection, field, model, value):
    created = staff.post(collection, body_for(collection, field, value, make_customer), format="json")
    # What people type is normalised first (core/text.py: NFKC, no invisible characters, no
    # surrounding blanks, one-line text with single spaces); nothing else is done to it.
    value = normalize_text(value, multiline=field in MULTILINE_FIELDS)

    assert created.status_code == 201, created.content
    # Byte for byte: the stored text comes back exactly as JSON encodes it, nothing escaped
    # for HTML, nothing evaluated as a template, nothing trimmed from the middle.
    assert orjson.dumps(value) in created.content
    assert created.json()[field] == value
    record_id = created.json()["id"]
    fetched = staff.get(f"{collection}/{record_id}")
    assert fetched.status_code == 200
    assert fetched.json()[field] == value
    assert model.objects.values_list(MODEL_FIELD[field], flat=True).get(pk=record_id) == value
    assert_tables_intact()


@pytest.mark.parametrize("name", list(INJECTIONS))
def test_normalisation_leaves_injection_strings_alone(name):
    assert (normalize_text(INJECTIONS[name]) == INJECTIONS[name]) is (name not in NORMALISED)
    assert (normalize_text(INJECTIONS[name], multiline=True) == INJECTIONS[name]) is (name not in NORMALISED - {"crlf"})


@pytest.mark.parametrize(("collection", "field"), [(c, f) for c, f, _, _ in TEXT_FIELDS])
def test_injection_string_survives_a_patch_and_the_list(staff, make_customer, collection, field):
    sent = "x'); DROP TABLE t;-- <b>🚗👩‍🔧"  # fits every field, phone (32) included
    assert len(sent) <= 32
    value = normalize_text(sent, multiline=field in MULTILINE_FIELDS)
    record_id = staff.post(collection, body_for(collection, field, "plain", make_customer), format="json").json()["id"]

    patched = staff.patch(f"{collection}/{record_id}", {field: sent}, format="json")

    assert patched.status_code == 200, patched.content
    assert patched.json()[field] == value
    listed = staff.get(collection)
    assert [row[field] for row in listed.json() if row["id"] == record_id] == [value]
    assert_tables_intact()


@pytest.mark.parametrize("value", list(INJECTIONS.values()), ids=list(INJECTIONS))
def test_vin_refuses_injection_strings(staff, make_customer, value):
    response = staff.post("/tickets", new_ticket_body("VIN", value, make_customer().pk), format="json")

    assert_json_error(response, 400, "VIN")
    assert not Ticket.objects.exists()


# Characters that draw nothing but are no format character, each after "Oil Filter" (issue #23),
# and whitespace that only looks like one space.
LOOK_ALIKE_SUFFIXES = {
    "hangul-filler": "\u3164",
    "combining-grapheme-joiner": "\u034f",
    "variation-selector-16": "\ufe0f",
    "mongolian-free-variation-selector": "\u180b",
    "khmer-vowel-inherent-aq": "\u17b4",
    "hangul-choseong-filler": "\u115f",
    "braille-blank": "\u2800",
    "halfwidth-hangul-filler": "\uffa0",
    "trailing-tab": "\t",
}
UNIQUE_TEXTS = [
    ("/inventory", "name", "Oil Filter"),
    ("/customers", "email", "oil@filter.example"),
    ("/mechanics", "email", "oil@filter.example"),
]


def _look_alike(text: str, suffix: str) -> str:
    if suffix == "\t":  # and every space doubled
        return text.replace(" ", "  ") + suffix
    # In an email, after the domain and inside it (a local part takes only ASCII).
    return text.replace("@filter", f"@filter{suffix}") + suffix


@pytest.mark.parametrize("suffix", list(LOOK_ALIKE_SUFFIXES.values()), ids=list(LOOK_ALIKE_SUFFIXES))
@pytest.mark.parametrize(("collection", "field", "text"), UNIQUE_TEXTS)
def test_a_look_alike_of_a_unique_text_is_a_duplicate(staff, make_customer, collection, field, text, suffix):
    model = {"/inventory": Inventory, "/customers": Customer, "/mechanics": Mechanic}[collection]
    first = staff.post(collection, body_for(collection, field, text, make_customer), format="json")
    assert first.status_code == 201, first.content

    second = staff.post(
        collection, body_for(collection, field, _look_alike(text, suffix), make_customer), format="json"
    )

    body = assert_json_error(second, 400, field)
    assert "already exists" in body["fields"][field][0]
    assert list(model.objects.values_list(field, flat=True)) == [text]


@pytest.mark.parametrize("suffix", list(LOOK_ALIKE_SUFFIXES.values()), ids=list(LOOK_ALIKE_SUFFIXES))
@pytest.mark.parametrize(("collection", "field", "text"), UNIQUE_TEXTS)
def test_renaming_to_a_look_alike_is_a_duplicate(staff, make_customer, collection, field, text, suffix):
    staff.post(collection, body_for(collection, field, text, make_customer), format="json")
    other = staff.post(collection, body_for(collection, field, f"x{text}", make_customer), format="json").json()["id"]

    response = staff.patch(f"{collection}/{other}", {field: _look_alike(text, suffix)}, format="json")

    body = assert_json_error(response, 400, field)
    assert "already exists" in body["fields"][field][0]


@pytest.mark.parametrize(
    ("collection", "field"), [("/inventory", "name"), ("/customers", "name"), ("/mechanics", "phone")]
)
def test_one_line_text_is_stored_with_single_spaces(staff, make_customer, collection, field):
    response = staff.post(
        collection, body_for(collection, field, " A\u2800 \t B\n\u3164C ", make_customer), format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()[field] == "A B C"


def test_a_service_description_keeps_its_lines(staff, make_customer):
    description = "Front pads.\n\n- rotors:\tcheck\u2800"

    response = staff.post(
        "/tickets", new_ticket_body("service_description", description, make_customer().pk), format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["service_description"] == "Front pads.\n\n- rotors:\tcheck"


@pytest.mark.parametrize(("first", "second"), [("100%", "100x"), ("a_c", "abc"), ("50%_", "50%x"), ("x\\%", "x\\y")])
def test_like_wildcards_in_a_name_do_not_make_other_names_duplicates(staff, first, second):
    # Uniqueness is checked with a case-insensitive lookup, which some databases run as LIKE.
    assert staff.post("/inventory", new_item_body("name", first), format="json").status_code == 201

    response = staff.post("/inventory", new_item_body("name", second), format="json")

    assert response.status_code == 201, response.content
    assert sorted(Inventory.objects.values_list("name", flat=True)) == sorted([first, second])


@pytest.mark.parametrize("collection", ["/customers", "/mechanics"])
@pytest.mark.parametrize(("first", "second"), [("a@example.com", "_@example.com"), ("ab@example.com", "%@example.com")])
def test_like_wildcards_in_an_email_do_not_make_other_emails_duplicates(
    staff, make_customer, collection, first, second
):
    for email in (first, second):
        body = body_for(collection, "email", email, make_customer)
        response = staff.post(collection, body, format="json")
        assert response.status_code == 201, response.content
    assert staff.get(f"{collection}/{response.json()['id']}").json()["email"] == second


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/customers/login", {"email": "' OR 1=1 --", "password": "' OR '1'='1"}),
        ("/customers/login", {"email": "%", "password": "%"}),
        ("/customers/login", {"email": "customer1@example.com' --", "password": "x"}),
        ("/auth/login", {"username": "staff' --", "password": "' OR '1'='1"}),
        ("/auth/login", {"username": "%", "password": "x"}),
        ("/auth/login", {"username": "_____", "password": STAFF_PASSWORD}),
    ],
)
def test_injection_in_sign_in_is_just_a_wrong_password(anonymous, customer, staff_user, path, body):
    response = anonymous.post(path, body, format="json")

    assert_json_error(response, 401)
    assert "auth_token" not in response.json()


# --- deeply nested, huge and oversized bodies ---------------------------------------------------

NESTED = {
    "arrays": b"[" * 100_000,
    "objects": b'{"a":' * 100_000,
    "closed-arrays": b"[" * 5_000 + b"]" * 5_000,
    "in-a-field": b'{"name": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
}


WRITE_ENDPOINTS = [
    ("POST", "/customers"),
    ("POST", "/mechanics"),
    ("POST", "/inventory"),
    ("POST", "/tickets"),
    ("PUT", "/tickets/{ticket}/update-mechanics"),
    ("POST", "/tickets/{ticket}/inventory"),
    ("PATCH", "/tickets/{ticket}"),
    ("PATCH", "/customers/{customer}"),
    ("POST", "/customers/login"),
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
]


@pytest.fixture
def targets(make_ticket):
    ticket = make_ticket()
    return {"ticket": ticket.pk, "customer": ticket.customer_id}


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count() for model in (Customer, Mechanic, Inventory, Ticket, TicketMechanic, TicketInventory)
    )


@pytest.mark.parametrize(("method", "path"), WRITE_ENDPOINTS)
@pytest.mark.parametrize("raw", list(NESTED.values()), ids=list(NESTED))
def test_deeply_nested_json_is_400(staff, targets, method, path, raw):
    before = counts()

    response = post_raw(staff, path.format(**targets), raw, method)

    assert_json_error(response, 400)
    assert counts() == before


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("POST", "/inventory", "name"),
        ("POST", "/customers", "phone"),
        ("PUT", "/tickets/{ticket}/update-mechanics", "add_mechanic_ids.0"),
        ("POST", "/tickets/{ticket}/inventory", "add_inventory_items.0"),
    ],
)
def test_moderately_nested_value_in_a_field_is_a_field_error(staff, targets, method, path, field):
    raw = json.dumps({field.split(".")[0]: [[[[[[[[{"a": [[[[1]]]]}]]]]]]]]}).encode()

    response = post_raw(staff, path.format(**targets), raw, method)

    body = assert_json_error(response, 400)
    assert any(key.startswith(field) for key in body["fields"]), body


@pytest.mark.parametrize("key", ["add_mechanic_ids", "remove_mechanic_ids"])
def test_update_mechanics_with_a_hundred_thousand_ids_is_400(staff, make_ticket, make_mechanic, key):
    mechanic = make_mechanic()
    ticket = make_ticket(mechanics=[mechanic])
    raw = json.dumps({key: list(range(1, 100_001))}).encode()

    response = post_raw(staff, f"/tickets/{ticket.pk}/update-mechanics", raw, "PUT")

    body = assert_json_error(response, 400, key)
    assert "1000" in body["fields"][key][0]
    assert list(TicketMechanic.objects.values_list("mechanic_id", flat=True)) == [mechanic.pk]


def test_add_parts_with_forty_thousand_items_is_400(staff, make_ticket, make_item):
    ticket, item = make_ticket(), make_item()
    raw = json.dumps({"add_inventory_items": [{"inventory_id": item.pk}] * 40_000}).encode()

    response = post_raw(staff, f"/tickets/{ticket.pk}/inventory", raw)

    body = assert_json_error(response, 400, "add_inventory_items")
    assert body["fields"] == {"add_inventory_items": ["Ensure this field has no more than 1000 elements."]}
    assert not TicketInventory.objects.exists()


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([], "add_inventory_items"),
        ([[1]], "add_inventory_items.0"),
        (["x", {"inventory_id": 1}], "add_inventory_items.0"),
    ],
)
def test_errors_about_a_nested_list_or_object_itself_are_keyed_by_its_field(staff, make_ticket, items, field):
    # Not "add_inventory_items.non_field_errors": fields name what the client sent.
    response = staff.post(f"/tickets/{make_ticket().pk}/inventory", {"add_inventory_items": items}, format="json")

    body = assert_json_error(response, 400, field)
    assert not any("non_field_errors" in key for key in body["fields"])


def test_flatten_errors_folds_nested_non_field_errors_into_the_field():
    detail = {
        "items": {"non_field_errors": ["Too long."]},
        "lines": [{"non_field_errors": ["Not an object."], "qty": ["Bad."]}],
        "non_field_errors": ["Whole body."],
    }

    assert flatten_errors(detail) == {
        "items": ["Too long."],
        "lines.0": ["Not an object."],
        "lines.0.qty": ["Bad."],
        "non_field_errors": ["Whole body."],
    }


@pytest.mark.parametrize(("collection", "field", "limit", "model"), TEXT_FIELDS)
def test_oversized_string_under_the_body_limit_is_a_field_error(staff, make_customer, collection, field, limit, model):
    value = "x" * 500_000
    before = model.objects.count()

    response = staff.post(collection, body_for(collection, field, value, make_customer), format="json")

    assert_json_error(response, 400, field)
    assert model.objects.count() == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/customers/login", {"email": "x" * 500_000, "password": "y"}, "email"),
        ("/customers/login", {"email": "a@example.com", "password": "y" * 500_000}, "password"),
        ("/auth/login", {"username": "x" * 500_000, "password": "y"}, "username"),
        ("/auth/login", {"username": "staff", "password": "y" * 500_000}, "password"),
        ("/auth/refresh", {"refresh_token": "x" * 500_000}, "refresh_token"),
    ],
)
def test_oversized_credentials_are_400_before_any_hashing(anonymous, staff_user, customer, path, body, field):
    assert_json_error(anonymous.post(path, body, format="json"), 400, field)


# --- invalid text encodings ----------------------------------------------------------------------

INVALID_UTF8 = {
    "lone-continuation-byte": b"\x80",
    "ff-byte": b"\xff",
    "overlong-slash": b"\xc0\xaf",
    "truncated-euro": b"\xe2\x82",
    "encoded-surrogate": b"\xed\xa0\x80",
    "above-u10ffff": b"\xf4\x90\x80\x80",
    "latin-1-e-acute": b"\xe9",
}


@pytest.mark.parametrize(("method", "path"), WRITE_ENDPOINTS)
@pytest.mark.parametrize("bad", list(INVALID_UTF8.values()), ids=list(INVALID_UTF8))
def test_invalid_utf8_inside_a_json_string_is_400(staff, targets, method, path, bad):
    raw = (
        b'{"name": "Ann'
        + bad
        + b'", "email": "ann@example.com", "username": "x'
        + bad
        + b'", "refresh_token": "'
        + bad
        + b'"}'
    )
    before = counts()

    response = post_raw(staff, path.format(**targets), raw, method)

    assert_json_error(response, 400)
    assert counts() == before


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param('{"name": "Brake pad", "price": 1}'.encode("utf-16"), id="utf-16-with-bom"),
        pytest.param('{"name": "Brake pad", "price": 1}'.encode("utf-32"), id="utf-32-with-bom"),
    ],
)
def test_body_in_another_unicode_encoding_is_400(staff, raw):
    assert_json_error(post_raw(staff, "/inventory", raw), 400)
    assert not Inventory.objects.exists()


@pytest.mark.parametrize(("collection", "field", "limit", "model"), TEXT_FIELDS)
@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\ud83d"], ids=["high", "low", "half-emoji"])
def test_lone_surrogate_escape_in_a_text_field_is_a_field_error(
    staff, make_customer, collection, field, limit, model, escape
):
    body = json.dumps(body_for(collection, field, "PLACEHOLDER", make_customer)).replace("PLACEHOLDER", f"Ann{escape}")
    before = model.objects.count()

    response = post_raw(staff, collection, body.encode())

    assert_json_error(response, 400, field)
    assert model.objects.count() == before


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/customers/login", "email"),
        ("/customers/login", "password"),
        ("/auth/login", "username"),
        ("/auth/login", "password"),
        ("/auth/refresh", "refresh_token"),
    ],
)
def test_lone_surrogate_in_credentials_is_400(anonymous, path, field):
    body = {
        "email": "ann@example.com",
        "username": "staff",
        "password": "Correct-Horse-42",
        "refresh_token": "x",
        field: "PLACEHOLDER",
    }
    raw = json.dumps(body).replace("PLACEHOLDER", "a\\ud800b").encode()

    assert_json_error(post_raw(anonymous, path, raw), 400, field)


@pytest.mark.parametrize(
    ("collection", "field"),
    [("/mechanics", "name"), ("/mechanics", "phone"), ("/tickets", "service_description"), ("/mechanics", "email")],
)
def test_nul_byte_in_mechanic_and_ticket_text_is_a_field_error(staff, make_customer, collection, field):
    value = "a@exa\x00mple.com" if field == "email" else "Oil\x00change"

    response = staff.post(collection, body_for(collection, field, value, make_customer), format="json")

    assert_json_error(response, 400, field)
    assert not Mechanic.objects.exists() and not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/customers/login", {"email": "a\x00@example.com", "password": "x"}),
        ("/auth/login", {"username": "staff\x00", "password": "x"}),
        ("/auth/refresh", {"refresh_token": "a.b\x00.c"}),
    ],
)
def test_nul_byte_in_credentials_is_400(anonymous, path, body):
    assert_json_error(anonymous.post(path, body, format="json"), 400)


# --- paths and query strings -------------------------------------------------------------------

GARBAGE_PATHS = [
    "/customers/%ff",
    "/customers/%ff/",
    "/customers/%c0%af",
    "/customers/%ed%a0%80",
    "/mechanics/%ff",
    "/inventory/%ff",
    "/tickets/%ff",
    "/tickets/%ff/assign-mechanic/1",
    "/tickets/1/assign-mechanic/%ff",
    "/customers/..%2f..%2fetc%2fpasswd",
    "/customers/../../etc/passwd",
    "/customers/1/../2",
    "/inventory/1%2f..%2f2",
    "/tickets/1/assign-mechanic/../../",
    "/tickets/1/assign-mechanic/..%2f..%2f",
    "/tickets/1/remove-mechanic/..%2f1",
    "/static/../mechanic_shop/settings.py",
    "/static/..%2fmechanic_shop%2fsettings.py",
    "/static/%2e%2e/%2e%2e/mechanic_shop/settings.py",
    "/%2e%2e/%2e%2e/etc/passwd",
]


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
@pytest.mark.parametrize("path", GARBAGE_PATHS)
def test_garbage_and_traversal_in_paths_is_json_404(staff, make_ticket, make_mechanic, path, method):
    make_ticket(mechanics=[make_mechanic()])

    response = getattr(staff, method)(path, data={}, format="json")

    # Never a file from disk (settings.py), never a 500: the ids are simply not found.
    body = assert_json_error(response, 404)
    assert "SECRET_KEY" not in json.dumps(body)


@pytest.mark.parametrize(
    "path",
    [
        "/tickets/{id}",
        "/customers/{id}",
        "/mechanics/{id}",
        "/inventory/{id}",
        "/tickets/{id}/assign-mechanic/1",
        "/tickets/1/assign-mechanic/{id}",
        "/tickets/1/remove-mechanic/{id}",
        "/tickets/{id}/inventory",
    ],
)
@pytest.mark.parametrize(
    "bad_id",
    [
        "-1",
        "-0",
        "+1",
        "%2B1",
        "1.0",
        "1e3",
        "0x1",
        "%201",
        "1%20",
        "\u0661",
        "\uff11",
        "99999999999999999999999999",
        "-99999999999999999999999999",
        str(2**64),
    ],
)
def test_non_positive_or_overflowing_ids_in_paths_are_404(staff, make_ticket, make_mechanic, make_item, path, bad_id):
    make_ticket(mechanics=[make_mechanic()])
    method = "post" if path.endswith("/inventory") else "put" if "mechanic/" in path else "get"
    body = {"add_inventory_items": [{"inventory_id": make_item().pk}]}

    response = getattr(staff, method)(path.format(id=bad_id), data=body, format="json")

    assert_json_error(response, 404)
    assert TicketMechanic.objects.count() == 1 and not TicketInventory.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "page=%ff&per_page=1",
        "page=1&per_page=%ff",
        "page=%c0%b1&per_page=1",
        "page=1%00&per_page=1",
        "page=%00&per_page=%00",
        "page=\uff11&per_page=1",
        "page=\u0661&per_page=1",
        "page=1&per_page=1e1",
        "page=0x1&per_page=1",
        "page=+1&per_page=1",
        "page=%2B1&per_page=1",
        "page=1&per_page=%2D0",
        f"page={'9' * 5000}&per_page=1",
        "page=1&page=2&per_page=%ff",
    ],
)
@pytest.mark.parametrize("collection", ["/inventory", "/customers", "/mechanics", "/tickets"])
def test_garbage_page_parameters_are_400(staff, make_item, collection, query):
    make_item()

    assert_json_error(staff.get(f"{collection}?{query}"), 400)


@pytest.mark.parametrize("query", ["%ff=%ff", "x=%ed%a0%80", "q=' OR 1=1 --", "x=%3Cscript%3E", "x=%E2%82%AC"])
def test_unknown_query_parameters_with_garbage_are_ignored(anonymous, make_item, query):
    item = make_item()

    response = anonymous.get(f"/inventory?{query}")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [item.pk]
    assert "Set-Cookie" not in response


# --- control characters in paths and query strings ----------------------------------------------
# Every Unicode control character (category Cc): C0 (U+0000-U+001F, tab and line breaks included),
# DEL (U+007F) and C1 (U+0080-U+009F, percent-encoded as UTF-8), in a path or anywhere in a query
# string (a value or a name, a parameter the view reads or not): 400 before any view sees it.

CONTROL_CHARACTERS = {
    "nul": "%00",
    "tab": "%09",
    "lf": "%0A",
    "cr": "%0D",
    "escape": "%1B",
    "unit-separator": "%1F",
    "del": "%7F",
    "c1-first": "%C2%80",
    "c1-next-line": "%C2%85",
    "c1-last": "%C2%9F",
}
CONTROL_IDS = list(CONTROL_CHARACTERS)

API_URLS = [
    "/tickets?status={c}",
    "/tickets?vin=1HGCM{c}",
    "/tickets?service_date_after=2026-01-01{c}",
    "/tickets?search=oil{c}change",
    "/customers?ordering=name{c}",
    "/mechanics?page=1{c}&per_page=1",
    "/inventory?x={c}",
    "/inventory?{c}=1",
    "/customers/{c}",
    "/customers/1{c}",
    "/tickets/1/assign-mechanic/{c}1",
    "/no/such/path{c}",
]


@pytest.fixture
def a_ticket(make_ticket, make_mechanic):
    return make_ticket(mechanics=[make_mechanic()])


@pytest.mark.parametrize("url", API_URLS)
def test_a_nul_in_an_api_path_or_query_string_is_400(staff, a_ticket, url):
    response = staff.get(url.format(c="%00"))

    body = assert_json_error(response, 400)
    assert "control character" in body["error"]


@pytest.mark.parametrize("character", list(CONTROL_CHARACTERS.values()), ids=CONTROL_IDS)
@pytest.mark.parametrize("url", ["/tickets?status={c}", "/inventory?x=a{c}b", "/customers/1{c}"])
def test_every_control_character_in_an_api_url_is_400(staff, a_ticket, url, character):
    assert_json_error(staff.get(url.format(c=character)), 400)


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x7f", "\x85"], ids=["nul", "soh", "del", "c1"])
def test_a_raw_control_character_in_a_query_string_is_400(anonymous, make_item, character):
    # As a server that passes the byte through hands it on (gunicorn refuses most itself).
    make_item()

    assert_json_error(anonymous.get(f"/inventory?x={character}"), 400)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_with_a_control_character_in_its_query_string_is_400_and_changes_nothing(
    staff, a_ticket, make_customer, method
):
    path = "/inventory" if method == "post" else f"/tickets/{a_ticket.pk}"
    before = counts()
    description = a_ticket.service_description

    response = getattr(staff, method)(f"{path}?note=%00", data=new_item_body("name", "Wiper"), format="json")

    assert_json_error(response, 400)
    assert counts() == before
    a_ticket.refresh_from_db()
    assert a_ticket.service_description == description


@pytest.mark.parametrize(
    "query",
    ["x=%C2%A0", "x=%E2%80%8B", "x=%C2%A9", "x=%E2%82%AC", "x=caf%C3%A9", "x=%F0%9F%9A%97", "x=%C2%A0%C2%A0"],
    ids=["no-break-space", "zero-width-space", "copyright", "euro", "accent", "emoji", "c2-not-c1"],
)
def test_characters_that_are_not_controls_are_not_refused(anonymous, make_item, query):
    # Printable text and format characters pass (a search normalises the latter away); a UTF-8
    # sequence whose bytes fall in 0x80-0x9F (the euro sign's 0x82) is not a C1 control.
    item = make_item()

    response = anonymous.get(f"/inventory?{query}")

    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()] == [item.pk]


ADMIN_URLS = [
    "/admin/tickets/ticket/?status__exact={c}",
    "/admin/tickets/ticket/?vin={c}",
    "/admin/customers/customer/?q=ada{c}",
    "/admin/customers/customer/?email__exact={c}",
    "/admin/inventory/inventory/?name={c}",
    "/admin/tickets/ticket/{c}/change/",
    "/admin/tickets/ticket/1{c}/change/",
    "/admin/customers/customer/?o=1{c}",
    "/admin/{c}",
]


@pytest.mark.parametrize("url", ADMIN_URLS)
def test_a_nul_in_an_admin_url_is_a_plain_400_page(admin_browser, a_ticket, url):
    # PostgreSQL refuses a NUL in a text parameter ("A string literal cannot contain NUL"):
    # ?status__exact=%00 was a 500 there.
    response = admin_browser.get(url.format(c="%00"))

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert b"control character" in response.content


@pytest.mark.parametrize("character", list(CONTROL_CHARACTERS.values()), ids=CONTROL_IDS)
def test_every_control_character_in_an_admin_query_is_400(admin_browser, a_ticket, character):
    assert admin_browser.get(f"/admin/tickets/ticket/?status__exact={character}").status_code == 400


@pytest.mark.parametrize(
    "url", ["/admin/login/?next=/admin/%00", "/admin/%0d%0a", "/static/admin/css/base.css%00", "/api/docs/?x=%00"]
)
def test_a_control_character_before_sign_in_or_in_a_page_url_is_400(url):
    client = Client()

    response = client.get(url)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


def test_an_admin_query_without_control_characters_still_works(admin_browser, a_ticket):
    response = admin_browser.get(f"/admin/tickets/ticket/?status__exact={a_ticket.status}")

    assert response.status_code == 200
    assert f"/admin/tickets/ticket/{a_ticket.pk}/change/" in response.content.decode()


# --- headers ------------------------------------------------------------------------------------


def test_cr_lf_in_a_request_header_is_not_echoed_into_the_response(anonymous, make_item):
    make_item()

    response = anonymous.get(
        "/inventory", HTTP_X_REQUEST_ID="abc\r\nSet-Cookie: pwned=1", HTTP_USER_AGENT="x\r\nX-Evil: 1"
    )

    assert response.status_code == 200
    assert "Set-Cookie" not in response and "X-Evil" not in response
    assert not response.cookies


def test_cr_lf_in_the_query_string_is_400_and_splits_no_header(staff, make_item):
    make_item(), make_item()

    response = staff.get("/inventory?page=1&per_page=1&x=%0d%0aSet-Cookie:%20pwned=1%0d%0a")

    assert_json_error(response, 400)
    assert "Link" not in response and "Set-Cookie" not in response


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_X_FORWARDED_HOST": "evil.example"},
        {"HTTP_X_FORWARDED_PROTO": "javascript"},
        {"HTTP_FORWARDED": "host=evil.example;proto=https"},
    ],
)
def test_forwarding_headers_do_not_poison_the_link_header(staff, make_item, headers):
    make_item(), make_item()

    response = staff.get("/inventory?page=1&per_page=1", **headers)

    assert response.status_code == 200
    assert all(link.startswith("<http://testserver/inventory?") for link in response["Link"].split(", "))


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "testserver\r\nX-Evil: 1",
        "testserver\x00.evil",
        "[::1",
        "a" * 5000,
        "testserver@evil.example",
        "testserver/../x",
        "",
        "évil.example",
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_hostile_host_header_is_json_400(anonymous, host, method):
    response = getattr(anonymous, method)("/inventory", data={}, format="json", HTTP_HOST=host)

    assert_json_error(response, 400)
    assert "X-Evil" not in response


# --- numbers where they do not belong -----------------------------------------------------------

RAW_BAD_NUMBERS = {
    "2**31": str(2**31),
    "2**63": str(2**63),
    "2**64": str(2**64),
    "-2**63-1": str(-(2**63) - 1),
    "1e309": "1e309",
    "-1e309": "-1e309",
    "1e-400": "1e-400",
    "-0": "-0",
    "-0.0": "-0.0",
    "4000-digits": "1" + "0" * 4000,
    "5000-digits": "1" + "0" * 5000,
    "true": "true",
    "false": "false",
    "null": "null",
    "object": '{"value": 1}',
    "array": "[1]",
    "empty-string": '""',
    "hex-string": '"0x10"',
}


@pytest.mark.parametrize("literal", list(RAW_BAD_NUMBERS.values()), ids=list(RAW_BAD_NUMBERS))
def test_bad_part_quantity_is_400_and_adds_nothing(staff, make_ticket, make_item, literal):
    ticket, item = make_ticket(), make_item()
    raw = f'{{"add_inventory_items": [{{"inventory_id": {item.pk}, "quantity": {literal}}}]}}'.encode()

    response = post_raw(staff, f"/tickets/{ticket.pk}/inventory", raw)

    body = assert_json_error(response, 400)
    if "digits" not in body["error"]:  # a 5000-digit literal is refused by the parser itself
        assert "add_inventory_items.0.quantity" in body["fields"]
    assert not TicketInventory.objects.exists()


ID_BODIES = {
    "inventory_id": (
        "POST",
        "/tickets/{ticket}/inventory",
        '{{"add_inventory_items": [{{"inventory_id": {literal}}}]}}',
    ),
    "add_mechanic_ids": ("PUT", "/tickets/{ticket}/update-mechanics", '{{"add_mechanic_ids": [{literal}]}}'),
    "customer_id": (
        "POST",
        "/tickets",
        '{{"VIN": "1HGCM82633A004352", "service_date": "2026-11-25", '
        '"service_description": "Oil change", "customer_id": {literal}}}',
    ),
}
# 2**31 is a valid id (an unknown one, so 404): ids are 64-bit.
BAD_ID_LITERALS = {name: literal for name, literal in RAW_BAD_NUMBERS.items() if name != "2**31"}


@pytest.mark.parametrize("literal", list(BAD_ID_LITERALS.values()), ids=list(BAD_ID_LITERALS))
@pytest.mark.parametrize("key", list(ID_BODIES))
def test_bad_ids_in_bodies_are_400(staff, make_ticket, key, literal):
    method, path, template = ID_BODIES[key]
    path, raw = path.format(ticket=make_ticket().pk), template.format(literal=literal)
    before = counts()

    response = post_raw(staff, path, raw.encode(), method)

    assert_json_error(response, 400)
    assert counts() == before


@pytest.mark.parametrize(
    "literal",
    [
        "1e309",
        "-1e309",
        str(2**63),
        "1" + "0" * 4000,
        "5000" + "0" * 5000,
        "-0.001",
        "true",
        "null",
        '{"amount": 1}',
        "[1]",
        '"1e309"',
        '"Infinity"',
        '"-Infinity"',
        '"NaN"',
    ],
)
@pytest.mark.parametrize(("collection", "field"), [("/inventory", "price"), ("/mechanics", "salary")])
def test_bad_money_is_400(staff, make_customer, collection, field, literal):
    raw = json.dumps(body_for(collection, field, 0, make_customer)).replace(f'"{field}": 0', f'"{field}": {literal}')

    response = post_raw(staff, collection, raw.encode())

    body = assert_json_error(response, 400)
    if "digits" not in body["error"]:
        assert field in body["fields"]
    assert not Inventory.objects.exists() and not Mechanic.objects.exists()


@pytest.mark.parametrize("literal", ["-0", "-0.0", "-0.00", '"-0"', '"-0.00"'])
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_negative_zero_salary_is_a_plain_zero(staff, make_mechanic, method, literal):
    # The inventory price has the same rule, tested in inventory/tests/test_inventory_api.py.
    path = "/mechanics" if method == "POST" else f"/mechanics/{make_mechanic().pk}"
    raw = json.dumps(new_mechanic_body("salary", 0)).replace('"salary": 0', f'"salary": {literal}')

    response = post_raw(staff, path, raw.encode(), method)

    assert response.status_code in (200, 201), response.content
    assert b'"salary":0.0' in response.content
    assert str(Mechanic.objects.get(pk=response.json()["id"]).salary) in ("0", "0.00")


# --- strict numbers and dates (API.md "Numbers are strict") -------------------------------------
# Each was read as 10 (or 100, or 0.00) before: Python's int() and Decimal() take underscores,
# other scripts' digits and exponents, and a JSON number went through a binary float.

LAX_NUMBER_STRINGS = {
    "underscore": '"1_0"',
    "arabic-indic": '"\u0661\u0660"',
    "fullwidth": '"\uff11\uff10"',
    "exponent-string": '"1e2"',
    "devanagari": '"\u0967\u0966"',
    "leading-plus": '"+10"',
    "surrounding-blanks": '" 10 "',
    "comma": '"1,0"',
    "trailing-point": '"10."',
    "leading-point": '".5"',
    "nan-string": '"NaN"',
    "infinity-string": '"Infinity"',
}
JSON_LITERALS = {
    "tiny-negative": "-1e-400",
    "nan": "NaN",
    "infinity": "Infinity",
    "minus-infinity": "-Infinity",
    "boolean": "true",
}


# (method, path, body with the value in it, the field the error names)
NUMBER_FIELDS = {
    "inventory.price": ("POST", "/inventory", lambda v, ids: {"name": "Wiper", "price": v}, "price"),
    "inventory.price-patch": ("PATCH", "/inventory/{item}", lambda v, ids: {"price": v}, "price"),
    "inventory.quantity_on_hand": (
        "POST",
        "/inventory",
        lambda v, ids: {"name": "Wiper", "price": 1, "quantity_on_hand": v},
        "quantity_on_hand",
    ),
    "inventory.reorder_point": (
        "POST",
        "/inventory",
        lambda v, ids: {"name": "Wiper", "price": 1, "reorder_point": v},
        "reorder_point",
    ),
    "mechanics.salary": ("POST", "/mechanics", lambda v, ids: new_mechanic_body("salary", v), "salary"),
    "payments.amount": (
        "POST",
        "/tickets/{invoiced}/payments",
        lambda v, ids: {"amount": v, "method": "cash"},
        "amount",
    ),
    "lines.quantity": (
        "POST",
        "/tickets/{ticket}/lines",
        lambda v, ids: {"kind": "labor", "description": "Brakes", "quantity": v, "unit_price": 50},
        "quantity",
    ),
    "lines.unit_price": (
        "POST",
        "/tickets/{ticket}/lines",
        lambda v, ids: {"kind": "labor", "description": "Brakes", "quantity": 1, "unit_price": v},
        "unit_price",
    ),
    "lines.mechanic_id": (
        "POST",
        "/tickets/{ticket}/lines",
        lambda v, ids: {"kind": "labor", "description": "Brakes", "quantity": 1, "unit_price": 5, "mechanic_id": v},
        "mechanic_id",
    ),
    "parts.quantity": (
        "POST",
        "/tickets/{ticket}/inventory",
        lambda v, ids: {"add_inventory_items": [{"inventory_id": ids["item"], "quantity": v}]},
        "add_inventory_items.0.quantity",
    ),
    "parts.inventory_id": (
        "POST",
        "/tickets/{ticket}/inventory",
        lambda v, ids: {"add_inventory_items": [{"inventory_id": v}]},
        "add_inventory_items.0.inventory_id",
    ),
    "movements.quantity": (
        "POST",
        "/inventory/{item}/movements",
        lambda v, ids: {"kind": "receipt", "quantity": v},
        "quantity",
    ),
    "tickets.customer_id": (
        "POST",
        "/tickets",
        lambda v, ids: new_ticket_body("customer_id", v, 0),
        "customer_id",
    ),
    "tickets.mileage_in": ("PATCH", "/tickets/{ticket}", lambda v, ids: {"mileage_in": v}, "mileage_in"),
    "tickets.mileage_out": ("PATCH", "/tickets/{ticket}", lambda v, ids: {"mileage_out": v}, "mileage_out"),
    "tickets.vehicle_id": ("PATCH", "/tickets/{ticket}", lambda v, ids: {"vehicle_id": v}, "vehicle_id"),
    "update-mechanics.add_mechanic_ids": (
        "PUT",
        "/tickets/{ticket}/update-mechanics",
        lambda v, ids: {"add_mechanic_ids": [v]},
        "add_mechanic_ids.0",
    ),
    "vehicles.year": (
        "POST",
        "/vehicles",
        lambda v, ids: {
            "customer_id": ids["customer"],
            "vin": "1HGCM82633A004352",
            "make": "Honda",
            "model": "Accord",
            "year": v,
        },
        "year",
    ),
    "vehicles.customer_id": (
        "POST",
        "/vehicles",
        lambda v, ids: {"customer_id": v, "vin": "1HGCM82633A004352", "make": "Honda", "model": "Accord", "year": 2003},
        "customer_id",
    ),
}
DECIMAL_FIELDS = {
    "inventory.price",
    "inventory.price-patch",
    "mechanics.salary",
    "payments.amount",
    "lines.quantity",
    "lines.unit_price",
}
INTEGER_FIELDS = set(NUMBER_FIELDS) - DECIMAL_FIELDS


@pytest.fixture
def number_targets(make_ticket, make_item, make_mechanic):
    invoiced = make_ticket()
    TicketLine.objects.create(ticket=invoiced, kind="fee", description="Inspection", quantity=1, unit_price=100)
    for status in ("approved", "in_progress", "completed", "invoiced"):
        workflow.transition(ticket_id=invoiced.pk, to=status, by="staff")
    make_mechanic(pk=10)
    ticket = make_ticket()
    return {"ticket": ticket.pk, "invoiced": invoiced.pk, "item": make_item(pk=10).pk, "customer": ticket.customer_id}


def send_number(client, targets, field: str, literal: str):
    """Send `field`'s request with the raw JSON `literal` as its value."""
    method, path, body, _ = NUMBER_FIELDS[field]
    raw = json.dumps(body("__VALUE__", targets)).replace('"__VALUE__"', literal)
    return post_raw(client, path.format(**targets), raw.encode(), method)


def snapshot() -> tuple:
    rows = [
        Customer,
        Mechanic,
        Inventory,
        Ticket,
        TicketMechanic,
        TicketInventory,
        TicketLine,
        Payment,
        StockMovement,
        Vehicle,
    ]
    return (
        counts(),
        tuple(model.objects.count() for model in rows),
        tuple(Inventory.objects.values_list("price", "reorder_point", "quantity_on_hand").order_by("pk")),
        tuple(Ticket.objects.values_list("mileage_in", "mileage_out", "vehicle_id").order_by("pk")),
    )


@pytest.mark.parametrize(
    "literal",
    list(LAX_NUMBER_STRINGS.values()) + list(JSON_LITERALS.values()),
    ids=list(LAX_NUMBER_STRINGS) + list(JSON_LITERALS),
)
@pytest.mark.parametrize("field", list(NUMBER_FIELDS))
def test_numbers_the_contract_does_not_allow_are_400(staff, number_targets, field, literal):
    before = snapshot()

    response = send_number(staff, number_targets, field, literal)

    body = assert_json_error(response, 400)
    if literal in ("NaN", "Infinity", "-Infinity"):  # JSON has no such literals
        assert body["error"].startswith("JSON parse error"), body
    else:
        assert NUMBER_FIELDS[field][3] in body.get("fields", {}), body
    assert snapshot() == before


@pytest.mark.parametrize("literal", ["10.0", "1e1", "1E+1", '"10.0"', '"1e1"', "10.5", '"10.5"'])
@pytest.mark.parametrize("field", sorted(INTEGER_FIELDS))
def test_an_integer_field_takes_no_fraction_or_exponent(staff, number_targets, field, literal):
    before = snapshot()

    body = assert_json_error(send_number(staff, number_targets, field, literal), 400)

    assert NUMBER_FIELDS[field][3] in body["fields"], body
    assert snapshot() == before


@pytest.mark.parametrize("literal", ["10", '"10"'])
@pytest.mark.parametrize(
    "field",
    sorted(INTEGER_FIELDS - {"vehicles.year", "vehicles.customer_id", "tickets.customer_id", "tickets.vehicle_id"}),
)
def test_an_integer_field_takes_a_json_integer_or_ascii_digits(staff, number_targets, field, literal):
    response = send_number(staff, number_targets, field, literal)

    assert response.status_code in (200, 201), (field, response.content)


@pytest.mark.parametrize(
    ("literal", "stored"),
    [
        ("19.99", "19.99"),
        ('"19.99"', "19.99"),
        ("0.1", "0.10"),
        ("12.500", "12.50"),
        ('"12.500"', "12.50"),
        ("1e2", "100.00"),
        ("1.2345e3", "1234.50"),
        ("-0.00", "0.00"),
        ('"007"', "7.00"),
        ("99999999.99", "99999999.99"),
    ],
)
def test_a_price_is_the_exact_decimal_sent(staff, literal, stored):
    raw = json.dumps({"name": "Wiper", "price": "__VALUE__"}).replace('"__VALUE__"', literal)

    response = post_raw(staff, "/inventory", raw.encode())

    assert response.status_code == 201, response.content
    assert str(Inventory.objects.get().price) == stored
    assert f'"price":{stored}'.encode() in response.content


@pytest.mark.parametrize(
    "literal",
    ["12.505", "0.001", "1e-3", "-1e-400", "1e-400", "123456789.01", "1e8", "0.1000000000000000055511151231257827"],
)
def test_a_price_that_does_not_fit_two_decimals_is_400_not_rounded(staff, literal):
    raw = json.dumps({"name": "Wiper", "price": "__VALUE__"}).replace('"__VALUE__"', literal)

    body = assert_json_error(post_raw(staff, "/inventory", raw.encode()), 400, "price")

    assert body["fields"]["price"]
    assert not Inventory.objects.exists()


def test_a_line_quantity_and_price_are_exact(staff, number_targets):
    raw = b'{"kind": "labor", "description": "Brakes", "quantity": 0.1, "unit_price": "0.30"}'

    response = post_raw(staff, f"/tickets/{number_targets['ticket']}/lines", raw)

    assert response.status_code == 201, response.content
    line = response.json()
    assert (line["quantity"], line["unit_price"], line["amount"]) == (0.1, 0.3, 0.03)


LAX_DATES = {
    "arabic-indic": "\u0662\u0660\u0662\u0666-\u0660\u0661-\u0661\u0665",
    "arabic-indic-year": "\u0662\u0660\u0662\u0666-01-15",
    "fullwidth": "\uff12\uff10\uff12\uff16-\uff10\uff11-\uff11\uff15",
    "basic-format": "20260115",
    "week-date": "2026-W03-4",
    "one-digit-month": "2026-1-15",
    "with-time": "2026-01-15T00:00:00",
    "surrounding-blanks": " 2026-01-15 ",
    "not-a-day": "2026-02-30",
}


@pytest.mark.parametrize("value", list(LAX_DATES.values()), ids=list(LAX_DATES))
def test_a_service_date_in_a_body_is_ascii_yyyy_mm_dd(staff, make_customer, value):
    response = staff.post("/tickets", new_ticket_body("service_date", value, make_customer().pk), format="json")

    assert_json_error(response, 400, "service_date")
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("value", list(LAX_DATES.values()), ids=list(LAX_DATES))
@pytest.mark.parametrize("parameter", ["service_date_after", "service_date_before"])
def test_a_date_filter_is_ascii_yyyy_mm_dd(staff, make_ticket, parameter, value):
    make_ticket()

    response = staff.get("/tickets", {parameter: value})

    assert_json_error(response, 400, parameter)


@pytest.mark.parametrize("value", [v for k, v in LAX_NUMBER_STRINGS.items() if k != "nan-string"] + ["10.0", "1e1"])
@pytest.mark.parametrize(
    ("collection", "parameter"),
    [("/tickets", "customer_id"), ("/tickets", "mechanic_id"), ("/vehicles", "year"), ("/vehicles", "customer_id")],
)
def test_an_integer_filter_is_ascii_digits(staff, make_ticket, collection, parameter, value):
    make_ticket()

    response = staff.get(collection, {parameter: json.loads(value) if value.startswith('"') else value})

    assert_json_error(response, 400, parameter)


def test_strict_filters_still_take_ascii_values(staff, make_ticket):
    ticket = make_ticket(service_date="2026-01-15")

    response = staff.get("/tickets", {"customer_id": str(ticket.customer_id), "service_date_after": "2026-01-15"})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [ticket.pk]


# --- tokens: the malformed kinds accounts/tests/test_api.py does not send ------------------------------


@pytest.fixture
def staff_token(staff_user) -> str:
    return access_token_for(staff_user)


BAD_AUTHORIZATION = {
    "ten-kilobyte-token": lambda token: "Bearer " + "a" * 10_240,
    "ten-kilobyte-of-dots": lambda token: "Bearer " + "." * 10_240,
    "valid-token-then-cr-lf": lambda token: f"Bearer {token}\r\nX-Evil: 1",
    "cr-lf-inside-the-token": lambda token: f"Bearer {token[:20]}\r\n{token[20:]}",
    "nul-inside-the-token": lambda token: f"Bearer {token[:20]}\x00{token[20:]}",
    "utf-8-bytes-as-a-server-delivers-them": lambda token: "Bearer " + "tøken🔑.é.ü".encode().decode("latin-1"),
    "valid-token-with-utf-8-suffix": lambda token: "Bearer " + (token + "é").encode().decode("latin-1"),
    "two-headers-joined-by-the-server": lambda token: f"Bearer {token}, Bearer {token}",
    "two-headers-joined-without-space": lambda token: f"Bearer {token},Bearer {token}",
    "token-with-an-extra-segment": lambda token: f"Bearer {token}.e30",
    "token-with-padding": lambda token: f"Bearer {token}==",
    "token-in-quotes": lambda token: f'Bearer "{token}"',
    "json-as-token": lambda token: 'Bearer {"alg":"none"}',
}


@pytest.mark.parametrize("path", ["/mechanics", "/inventory"])
@pytest.mark.parametrize("authorization", list(BAD_AUTHORIZATION.values()), ids=list(BAD_AUTHORIZATION))
def test_malformed_authorization_is_401(staff_token, path, authorization):
    client = APIClient(HTTP_AUTHORIZATION=authorization(staff_token))
    client.raise_request_exception = False

    response = client.get(path)

    assert_json_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "X-Evil" not in response


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "bEaReR"])
def test_bearer_scheme_is_case_insensitive(staff_token, scheme):
    response = APIClient(HTTP_AUTHORIZATION=f"{scheme} {staff_token}").get("/mechanics")

    assert response.status_code == 200


@pytest.mark.parametrize("scheme", ["bearer", "BEARER"])
def test_bearer_scheme_in_another_case_carries_the_tokens_rights_for_writes_too(staff_token, make_item, scheme):
    # The scheme word is case-insensitive (README, RFC 9110 section 11.1): the token is verified
    # and used, for a staff-only write as for a read.
    client = APIClient(HTTP_AUTHORIZATION=f"{scheme} {staff_token}")
    client.raise_request_exception = False

    assert client.get("/mechanics").status_code == 200
    assert client.post("/inventory", new_item_body("name", "x"), format="json").status_code == 201
    assert client.get("/inventory").status_code == 200


def test_valid_staff_token_with_surrounding_whitespace_in_the_header_still_works(staff_token):
    # Servers strip leading and trailing blanks from header values; extra blanks between the
    # scheme and the token must not break a valid token either.
    for header in (f"Bearer {staff_token} ", f"Bearer  {staff_token}", f"Bearer\t{staff_token}"):
        assert APIClient(HTTP_AUTHORIZATION=header).get("/mechanics").status_code == 200
