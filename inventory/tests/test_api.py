"""/inventory as a client sees it (API.md, "Inventory", "Pagination"): public reads, staff
writes, names unique ignoring case and invisible characters, items on tickets kept."""

import json
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection

from inventory import selectors, services
from inventory.models import Inventory
from tests.asserts import assert_error, error_fields
from tickets.models import TicketInventory

pytestmark = pytest.mark.django_db


def body(response):
    """The JSON body with every number read exactly (money is a decimal on the wire)."""
    return json.loads(response.content, parse_float=Decimal)


def item_json(item: Inventory) -> dict:
    return {
        "id": item.pk, "name": item.name, "price": Decimal(item.price),
        "quantity_on_hand": item.quantity_on_hand, "reorder_point": item.reorder_point,
    }


def link_pages(header: str) -> dict[str, int]:
    pages = {}
    for part in header.split(","):
        url, rel = re.fullmatch(r'\s*<([^>]+)>; rel="(\w+)"', part).groups()
        query = parse_qs(urlsplit(url).query)
        pages[rel] = (int(query["page"][0]), int(query["per_page"][0]))
    return {rel: page for rel, (page, _) in pages.items()}


@pytest.fixture(params=["api_client", "customer_client", "staff_client"])
def any_client(request):
    return request.getfixturevalue(request.param)


# --- reads -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/inventory", "/inventory/"])
def test_list_is_public_and_ordered_by_id(any_client, make_item, path):
    wiper = make_item(name="Wiper", price=Decimal("9.50"))
    axle = make_item(name="Axle", price=Decimal("120.00"))
    response = any_client.get(path)
    assert response.status_code == 200
    assert body(response) == [
        {"id": wiper.pk, "name": "Wiper", "price": Decimal("9.50"), "quantity_on_hand": None, "reorder_point": 0},
        {"id": axle.pk, "name": "Axle", "price": Decimal("120.00"), "quantity_on_hand": None, "reorder_point": 0},
    ]
    assert b'"price":9.50' in response.content  # an exact JSON number, not a string
    assert "X-Total-Count" not in response and "Link" not in response


def test_empty_list_is_an_empty_array(api_client):
    response = api_client.get("/inventory")
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("path", ["/inventory/{pk}", "/inventory/{pk}/"])
def test_one_item_is_public(any_client, make_item, path):
    item = make_item(name="Spark plug", price=Decimal("4.25"))
    response = any_client.get(path.format(pk=item.pk))
    assert response.status_code == 200
    assert body(response) == {"id": item.pk, "name": "Spark plug", "price": Decimal("4.25"), "quantity_on_hand": None, "reorder_point": 0}


@pytest.mark.parametrize("item_id", ["0", "31337", str(2**63 - 1), str(2**70)])
def test_unknown_item_is_404(any_client, make_item, item_id):
    make_item()
    assert_error(any_client.get(f"/inventory/{item_id}"), 404)


@pytest.mark.parametrize("path", ["/inventory/-1", "/inventory/abc", "/inventory/1.5"])
def test_non_numeric_ids_are_json_404(api_client, path):
    assert_error(api_client.get(path), 404)


def test_a_bad_token_is_401_even_on_public_reads(make_item):
    from conftest import client_with_token

    make_item()
    response = client_with_token("not-a-jwt").get("/inventory")
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


# --- pagination ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page, rows, links",
    [
        (1, [0, 1, 2], {"first": 1, "next": 2, "last": 2}),
        (2, [3, 4], {"first": 1, "prev": 1, "last": 2}),
    ],
)
def test_pages_carry_total_and_link_headers(any_client, make_item, page, rows, links):
    items = [make_item() for _ in range(5)]
    response = any_client.get(f"/inventory/?page={page}&per_page=3")
    assert response.status_code == 200
    assert body(response) == [item_json(items[i]) for i in rows]
    assert response["X-Total-Count"] == "5"
    assert link_pages(response["Link"]) == links


def test_link_urls_keep_the_other_query_parameters_and_the_host(api_client, make_item, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "shop.example"]
    for _ in range(3):
        make_item()
    response = api_client.get("/inventory?page=2&per_page=1&utm=x", HTTP_HOST="shop.example")
    assert response.status_code == 200
    for part in response["Link"].split(","):
        url = re.fullmatch(r'\s*<([^>]+)>; rel="\w+"', part).group(1)
        parts = urlsplit(url)
        assert (parts.netloc, parts.path) == ("shop.example", "/inventory")
        assert parse_qs(parts.query)["per_page"] == ["1"]
        assert parse_qs(parts.query)["utm"] == ["x"]


def test_empty_list_pages(api_client):
    response = api_client.get("/inventory?page=1&per_page=10")
    assert response.status_code == 200
    assert response.json() == []
    assert response["X-Total-Count"] == "0"
    assert link_pages(response["Link"]) == {"first": 1, "last": 1}


@pytest.mark.parametrize("page", [3, 4, 999999999])
def test_a_page_past_the_end_is_an_empty_array(api_client, make_item, page):
    for _ in range(4):
        make_item()
    response = api_client.get(f"/inventory?page={page}&per_page=2")
    assert response.status_code == 200
    assert response.json() == []
    assert response["X-Total-Count"] == "4"
    assert link_pages(response["Link"]) == {"first": 1, "prev": 2, "last": 2}


@pytest.mark.parametrize(
    "query",
    [
        "page=0&per_page=5",
        "page=-1&per_page=5",
        "page=x&per_page=1",
        "page=1.0&per_page=1",
        "page=&per_page=1",
        f"page={2**70}&per_page=1",
        "page=1&per_page=0",
        "page=1&per_page=101",
        "page=1&per_page=-3",
        "page=1&per_page=ten",
        "page=%EF%BC%91&per_page=1",  # a full-width digit one
        "page=2",
        "per_page=2",
    ],
)
def test_bad_page_parameters_are_400(api_client, make_item, query):
    make_item()
    assert_error(api_client.get(f"/inventory?{query}"), 400)


def test_per_page_of_100_is_the_largest_page(api_client):
    Inventory.objects.bulk_create([Inventory(name=f"Part {i}", price=1) for i in range(101)])
    response = api_client.get("/inventory?page=1&per_page=100")
    assert response.status_code == 200
    assert len(response.json()) == 100
    assert link_pages(response["Link"]) == {"first": 1, "next": 2, "last": 2}


# --- query counts ------------------------------------------------------------------------------


def test_the_whole_list_is_one_query(api_client, django_assert_num_queries):
    Inventory.objects.bulk_create([Inventory(name=f"Part {i}", price=1) for i in range(50)])
    with django_assert_num_queries(1):
        assert len(api_client.get("/inventory").json()) == 50


def test_a_page_is_two_queries_count_and_rows(staff_client, django_assert_num_queries):
    Inventory.objects.bulk_create([Inventory(name=f"Part {i}", price=1) for i in range(45)])
    assert staff_client.get("/inventory?page=1&per_page=10").status_code == 200  # caches the principal
    with django_assert_num_queries(2):
        response = staff_client.get("/inventory?page=3&per_page=10")
    assert [row["name"] for row in response.json()] == [f"Part {i}" for i in range(20, 30)]


def test_one_item_is_one_query(api_client, make_item, django_assert_num_queries):
    item = make_item()
    with django_assert_num_queries(1):
        assert api_client.get(f"/inventory/{item.pk}").status_code == 200


# --- create ----------------------------------------------------------------------------------


def test_staff_creates_an_item(staff_client):
    response = staff_client.post("/inventory", data={"name": "Brake Pad", "price": 49.99}, format="json")
    assert response.status_code == 201
    item = Inventory.objects.get()
    assert body(response) == {"id": item.pk, "name": "Brake Pad", "price": Decimal("49.99"), "quantity_on_hand": None, "reorder_point": 0}
    assert item.price == Decimal("49.99")


@pytest.mark.parametrize(
    "sent, stored", [(0, "0.00"), (1, "1.00"), (0.1, "0.10"), ("2.5", "2.50"), (99999999.99, "99999999.99")]
)
def test_prices_are_stored_exactly(staff_client, sent, stored):
    response = staff_client.post("/inventory", data={"name": "Part", "price": sent}, format="json")
    assert response.status_code == 201
    assert Inventory.objects.get().price == Decimal(stored)
    assert body(response)["price"] == Decimal(stored)


@pytest.mark.parametrize("sent", [-0.0, "-0", "-0.00"])
def test_negative_zero_price_is_stored_and_shown_as_zero(staff_client, sent):
    response = staff_client.post("/inventory", data={"name": "Freebie", "price": sent}, format="json")
    assert response.status_code == 201
    assert body(response)["price"] == 0
    assert b'"price":-' not in response.content
    assert Inventory.objects.get().price == Decimal("0")


@pytest.mark.parametrize(
    "price",
    [-0.01, -1, "-5.00", 1.005, "0.001", 100000000, 1e10, "1e400", "abc", "", None, True, [], {}, "NaN", "Infinity"],
    ids=repr,
)
def test_invalid_price_is_400(staff_client, price):
    fields = error_fields(staff_client.post("/inventory", data={"name": "Part", "price": price}, format="json"))
    assert list(fields) == ["price"]
    assert not Inventory.objects.exists()


@pytest.mark.parametrize("raw", [b'{"name": "Part", "price": 1e400}', b'{"name": "Part", "price": -1e400}'])
def test_price_too_large_for_a_float_is_400(staff_client, raw):
    fields = error_fields(staff_client.post("/inventory", data=raw, content_type="application/json"))
    assert "price" in fields
    assert not Inventory.objects.exists()


@pytest.mark.parametrize("name", ["", "   ", "\u200b", "\u200b \ufeff", "x" * 361, None, [], {"a": 1}, True, "Nut\x00"])
def test_invalid_name_is_400(staff_client, name):
    fields = error_fields(staff_client.post("/inventory", data={"name": name, "price": 1}, format="json"))
    assert list(fields) == ["name"]
    assert not Inventory.objects.exists()


def test_name_at_the_length_limit_is_accepted(staff_client):
    response = staff_client.post("/inventory", data={"name": "n" * 360, "price": 1}, format="json")
    assert response.status_code == 201
    assert len(Inventory.objects.get().name) == 360


def test_missing_fields_are_reported_together(staff_client):
    fields = error_fields(staff_client.post("/inventory", data={}, format="json"))
    assert set(fields) == {"name", "price"}


@pytest.mark.parametrize(
    "name",
    [
        "Brake Pad",
        "brake pad",
        "BRAKE PAD",
        "  brake PAD  ",
        "Brake\u200b Pad",  # zero-width space
        "\ufeffBrake Pad\u200d",  # byte-order mark, zero-width joiner
        "Brake\u2060 Pad",  # word joiner
        "Ｂｒａｋｅ Ｐａｄ",  # full-width letters (NFKC)
    ],
)
def test_duplicate_name_ignoring_case_and_invisible_characters_is_400(staff_client, make_item, name):
    make_item(name="Brake Pad")
    error = assert_error(staff_client.post("/inventory", data={"name": name, "price": 1}, format="json"), 400, "name")
    assert error["fields"] == {"name": [services.DUPLICATE_NAME]}
    assert list(Inventory.objects.values_list("name", flat=True)) == ["Brake Pad"]


def test_invisible_characters_are_dropped_from_a_new_name(staff_client, api_client):
    response = staff_client.post("/inventory", data={"name": "Oil\u200b filter\u200d", "price": 1}, format="json")
    assert response.status_code == 201
    assert response.json()["name"] == "Oil filter"
    assert api_client.get(f"/inventory/{response.json()['id']}").json()["name"] == "Oil filter"


@pytest.mark.parametrize("name", ["Brake Pad", "brake pad"])
def test_duplicate_name_that_slips_past_the_check_is_still_400(staff_client, make_item, monkeypatch, name):
    # Two creations racing: both pass the serializer's lookup, the database refuses the second.
    make_item(name="Brake Pad")
    monkeypatch.setattr(selectors, "name_taken", lambda **kwargs: False)
    fields = error_fields(staff_client.post("/inventory", data={"name": name, "price": 1}, format="json"))
    assert fields == {"name": [services.DUPLICATE_NAME]}
    assert Inventory.objects.count() == 1


@pytest.mark.xfail(
    connection.vendor == "sqlite",
    reason="SQLite's lower() and LIKE fold only ASCII letters, so 'Écrou' and 'éCROU' differ there",
    strict=True,
)
def test_duplicate_name_ignores_case_of_accented_letters(staff_client, make_item):
    make_item(name="Écrou")
    fields = error_fields(staff_client.post("/inventory", data={"name": "éCROU", "price": 1}, format="json"))
    assert fields["name"] == [services.DUPLICATE_NAME]


@pytest.mark.parametrize("name", ["Écrou M8 ⌀", "ボルト", "Öl 5W-30 🛢️", 'Nut "M8" <b>'])
def test_unicode_names_round_trip(staff_client, api_client, name):
    created = staff_client.post("/inventory", data={"name": name, "price": 1}, format="json")
    assert created.status_code == 201
    assert api_client.get(f"/inventory/{created.json()['id']}").json()["name"] == name


def test_unknown_and_read_only_fields_are_ignored(staff_client, make_item):
    existing = make_item(name="Existing")
    data = {"name": "New", "price": 1, "id": existing.pk, "colour": "red"}
    response = staff_client.post("/inventory", data=data, format="json")
    assert response.status_code == 201
    assert response.json()["id"] != existing.pk and "colour" not in response.json()
    assert Inventory.objects.get(pk=existing.pk).name == "Existing"


@pytest.mark.parametrize("raw", ["[]", '"Nut"', "null", '{"name": "Nut"', "{'name': 'Nut'}"])
def test_a_body_that_is_not_a_json_object_is_400(staff_client, raw):
    assert_error(staff_client.post("/inventory", raw, content_type="application/json"), 400)
    assert not Inventory.objects.exists()


def test_another_content_type_is_415(staff_client):
    assert_error(staff_client.post("/inventory", "name=Nut&price=1", content_type="application/x-www-form-urlencoded"), 415)
    assert not Inventory.objects.exists()


# --- who may write ---------------------------------------------------------------------------


@pytest.mark.parametrize("caller, status", [("api_client", 401), ("customer_client", 403)])
def test_only_staff_write(request, make_item, caller, status):
    client = request.getfixturevalue(caller)
    item = make_item(name="Kept", price=Decimal("1.00"))
    for response in (
        client.post("/inventory", data={"name": "New", "price": 1}, format="json"),
        client.put(f"/inventory/{item.pk}", data={"name": "X", "price": 2}, format="json"),
        client.patch(f"/inventory/{item.pk}", data={"price": 2}, format="json"),
        client.delete(f"/inventory/{item.pk}"),
    ):
        assert_error(response, status)
    item.refresh_from_db()
    assert (Inventory.objects.count(), item.name, item.price) == (1, "Kept", Decimal("1.00"))


@pytest.mark.parametrize("caller, status", [("api_client", 401), ("customer_client", 403)])
def test_writes_to_unknown_items_are_refused_before_404(request, caller, status):
    client = request.getfixturevalue(caller)
    assert_error(client.patch("/inventory/4242", data={"price": 1}, format="json"), status)
    assert_error(client.delete("/inventory/4242"), status)


@pytest.mark.parametrize(
    "method, path", [("delete", "/inventory"), ("put", "/inventory/"), ("post", "/inventory/{pk}")]
)
def test_wrong_method_is_405_for_staff(staff_client, make_item, method, path):
    item = make_item()
    assert_error(getattr(staff_client, method)(path.format(pk=item.pk), {"name": "X", "price": 1}, format="json"), 405)
    assert list(Inventory.objects.all()) == [item]


# --- update ----------------------------------------------------------------------------------


def test_put_replaces_the_item(staff_client, make_item):
    item = make_item(name="Old", price=Decimal("1.00"))
    response = staff_client.put(f"/inventory/{item.pk}", data={"name": "New", "price": "2.50"}, format="json")
    assert response.status_code == 200
    assert body(response) == {"id": item.pk, "name": "New", "price": Decimal("2.50"), "quantity_on_hand": None, "reorder_point": 0}
    item.refresh_from_db()
    assert (item.name, item.price) == ("New", Decimal("2.50"))


def test_put_needs_every_field(staff_client, make_item):
    item = make_item(name="Old")
    fields = error_fields(staff_client.put(f"/inventory/{item.pk}/", data={"name": "New"}, format="json"))
    assert list(fields) == ["price"]
    item.refresh_from_db()
    assert item.name == "Old"


@pytest.mark.parametrize(
    "change, expected",
    [({"price": 7}, ("Old", Decimal("7.00"))), ({"name": "Renamed"}, ("Renamed", Decimal("1.00")))],
)
def test_patch_changes_only_the_given_field(staff_client, make_item, change, expected):
    item = make_item(name="Old", price=Decimal("1.00"))
    response = staff_client.patch(f"/inventory/{item.pk}", data=change, format="json")
    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.name, item.price) == expected
    assert body(response) == item_json(item)


def test_renaming_to_another_case_of_its_own_name_is_allowed(staff_client, make_item):
    item = make_item(name="brake pad")
    response = staff_client.patch(f"/inventory/{item.pk}", data={"name": "Brake Pad"}, format="json")
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.name == "Brake Pad"


@pytest.mark.parametrize("name", ["BRAKE pad", "Brake\u200b Pad", " brake pad\ufeff"])
def test_renaming_to_another_items_name_is_400(staff_client, make_item, name):
    make_item(name="Brake Pad")
    item = make_item(name="Rotor")
    fields = error_fields(staff_client.patch(f"/inventory/{item.pk}", data={"name": name}, format="json"))
    assert fields == {"name": [services.DUPLICATE_NAME]}
    item.refresh_from_db()
    assert item.name == "Rotor"


@pytest.mark.parametrize("price", [-1, 1.234, "abc", 1e10, None])
def test_patch_with_an_invalid_price_is_400_and_changes_nothing(staff_client, make_item, price):
    item = make_item(price=Decimal("3.00"))
    fields = error_fields(staff_client.patch(f"/inventory/{item.pk}", data={"price": price}, format="json"))
    assert list(fields) == ["price"]
    item.refresh_from_db()
    assert item.price == Decimal("3.00")


def test_update_of_unknown_item_is_404(staff_client):
    assert_error(staff_client.patch("/inventory/4242", data={"price": 1}, format="json"), 404)
    assert_error(staff_client.put("/inventory/4242", data={"name": "X", "price": 1}, format="json"), 404)
    assert not Inventory.objects.exists()


def test_a_rename_shows_on_cached_tickets_at_once(staff_client, throttling_off, make_item, make_ticket):
    item = make_item(name="Filter")
    ticket = make_ticket(parts=[(item, 2)])
    assert staff_client.get("/tickets").json()[0]["parts"][0]["name"] == "Filter"
    assert staff_client.get("/tickets").json()[0]["parts"][0]["name"] == "Filter"
    assert staff_client.patch(f"/inventory/{item.pk}", data={"name": "Oil filter"}, format="json").status_code == 200
    # /tickets is cached; an inventory write must not leave the old name there.
    assert staff_client.get("/tickets").json()[0]["parts"][0]["name"] == "Oil filter"
    assert staff_client.get(f"/tickets/{ticket.pk}").json()["parts"][0]["name"] == "Oil filter"


# --- delete ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/inventory/{pk}", "/inventory/{pk}/"])
def test_delete_unused_item_is_204(staff_client, api_client, make_item, path):
    keep, item = make_item(), make_item()
    response = staff_client.delete(path.format(pk=item.pk))
    assert response.status_code == 204
    assert response.content == b""
    assert list(Inventory.objects.all()) == [keep]
    assert_error(api_client.get(f"/inventory/{item.pk}"), 404)


def test_delete_item_used_on_tickets_is_409_and_keeps_it(staff_client, make_item, make_ticket):
    item = make_item(name="Used part")
    make_ticket(parts=[(item, 1)])
    make_ticket(parts=[(item, 3)])
    error = assert_error(staff_client.delete(f"/inventory/{item.pk}"), 409)
    assert error["error"].endswith(".") and "2 ticket" in error["error"]
    assert Inventory.objects.filter(pk=item.pk, name="Used part").exists()
    assert TicketInventory.objects.filter(inventory=item).count() == 2


def test_delete_unknown_item_is_404(staff_client):
    assert_error(staff_client.delete("/inventory/4242"), 404)
