"""/inventory as a client sees it (API.md, "Inventory", "Pagination"): public reads, staff
writes, names unique ignoring case and invisible characters, items on tickets kept."""

import json
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection, transaction

from inventory import selectors, services, stock
from inventory.models import Inventory, StockMovement
from tests.asserts import assert_error, error_fields
from tickets.models import TicketInventory

pytestmark = pytest.mark.django_db


def body(response):
    """The JSON body with every number read exactly (money is a decimal on the wire)."""
    return json.loads(response.content, parse_float=Decimal)


def item_json(item: Inventory) -> dict:
    return {
        "id": item.pk,
        "name": item.name,
        "price": Decimal(item.price),
        "quantity_on_hand": item.quantity_on_hand,
        "reorder_point": item.reorder_point,
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
    assert body(response) == {
        "id": item.pk,
        "name": "Spark plug",
        "price": Decimal("4.25"),
        "quantity_on_hand": None,
        "reorder_point": 0,
    }


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
    assert body(response) == {
        "id": item.pk,
        "name": "Brake Pad",
        "price": Decimal("49.99"),
        "quantity_on_hand": None,
        "reorder_point": 0,
    }
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


@pytest.mark.parametrize("name", ["Écrou M8 ⌀", "ボルト", "Öl 5W-30 🛢", 'Nut "M8" <b>'])
def test_unicode_names_round_trip(staff_client, api_client, name):
    created = staff_client.post("/inventory", data={"name": name, "price": 1}, format="json")
    assert created.status_code == 201
    assert api_client.get(f"/inventory/{created.json()['id']}").json()["name"] == name


def test_an_emoji_loses_its_invisible_variation_selector(staff_client):
    # U+FE0F (draw the oil drum as an emoji) is a Default_Ignorable character like the others.
    created = staff_client.post("/inventory", data={"name": "Öl 5W-30 🛢\ufe0f", "price": 1}, format="json")
    assert created.status_code == 201
    assert created.json()["name"] == "Öl 5W-30 🛢"


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
    assert_error(
        staff_client.post("/inventory", "name=Nut&price=1", content_type="application/x-www-form-urlencoded"), 415
    )
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
    assert body(response) == {
        "id": item.pk,
        "name": "New",
        "price": Decimal("2.50"),
        "quantity_on_hand": None,
        "reorder_point": 0,
    }
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


# --- stock (API.md "Stock") ------------------------------------------------------------------

MOVEMENT_KEYS = {"id", "kind", "quantity", "balance_after", "ticket_id", "at", "by", "note"}


def ledger_sum(item_id: int) -> int:
    return sum(StockMovement.objects.filter(item_id=item_id).values_list("quantity", flat=True))


def on_hand(item_id: int) -> int | None:
    return Inventory.objects.values_list("quantity_on_hand", flat=True).get(pk=item_id)


@pytest.fixture
def stocked(make_item):
    """An item with `n` on hand, its first receipt in the ledger."""

    def make(n: int, **fields) -> Inventory:
        item = make_item(**fields)
        stock.receive_initial_stock(item_id=item.pk, quantity=n, by="staff")
        item.refresh_from_db()
        return item

    return make


def test_an_item_created_with_stock_shows_it_and_records_the_first_receipt(staff_client, api_client):
    response = staff_client.post(
        "/inventory", data={"name": "Filter", "price": 4, "quantity_on_hand": 12, "reorder_point": 3}, format="json"
    )
    assert response.status_code == 201
    created = response.json()
    assert (created["quantity_on_hand"], created["reorder_point"]) == (12, 3)
    assert api_client.get(f"/inventory/{created['id']}").json()["quantity_on_hand"] == 12
    movements = staff_client.get(f"/inventory/{created['id']}/movements").json()
    assert [(m["kind"], m["quantity"], m["balance_after"], m["by"]) for m in movements] == [
        ("receipt", 12, 12, "staff")
    ]


@pytest.mark.parametrize("sent", [{}, {"quantity_on_hand": None}])
def test_an_item_created_without_stock_is_untracked(staff_client, sent):
    response = staff_client.post("/inventory", data={"name": "Filter", "price": 4, **sent}, format="json")
    assert response.status_code == 201
    assert (response.json()["quantity_on_hand"], response.json()["reorder_point"]) == (None, 0)
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("quantity_on_hand", -1),
        ("quantity_on_hand", 1.5),
        ("quantity_on_hand", "many"),
        ("quantity_on_hand", 2**31),
        ("reorder_point", -1),
        ("reorder_point", None),
        ("reorder_point", 2**31),
    ],
)
def test_invalid_stock_fields_on_create_are_400(staff_client, field, value):
    response = staff_client.post("/inventory", data={"name": "Filter", "price": 4, field: value}, format="json")
    assert field in error_fields(response)
    assert not Inventory.objects.exists() and not StockMovement.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_on_hand_sent_on_update_is_ignored_and_reorder_point_is_written(staff_client, stocked, method):
    item = stocked(5, name="Filter", price=Decimal("4.00"))
    response = getattr(staff_client, method)(
        f"/inventory/{item.pk}",
        data={"name": "Filter", "price": 4, "quantity_on_hand": 500, "reorder_point": 6},
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["quantity_on_hand"], response.json()["reorder_point"]) == (5, 6)
    assert on_hand(item.pk) == 5 and ledger_sum(item.pk) == 5


def test_put_without_reorder_point_keeps_it(staff_client, make_item):
    item = make_item(reorder_point=4)
    response = staff_client.put(f"/inventory/{item.pk}", data={"name": "Renamed", "price": 1}, format="json")
    assert response.status_code == 200 and response.json()["reorder_point"] == 4


def test_staff_record_a_receipt(staff_client, stocked):
    item = stocked(5)
    response = staff_client.post(
        f"/inventory/{item.pk}/movements", data={"kind": "receipt", "quantity": 7, "note": "PO 1182"}, format="json"
    )
    assert response.status_code == 201
    movement = response.json()
    assert set(movement) == MOVEMENT_KEYS
    assert {k: movement[k] for k in ("kind", "quantity", "balance_after", "ticket_id", "by", "note")} == {
        "kind": "receipt",
        "quantity": 7,
        "balance_after": 12,
        "ticket_id": None,
        "by": "staff",
        "note": "PO 1182",
    }
    assert movement["id"] == StockMovement.objects.latest("id").pk and movement["at"].endswith("Z")
    assert on_hand(item.pk) == 12 == ledger_sum(item.pk)


def test_adjustments_go_either_way_and_start_tracking_an_untracked_item(staff_client, make_item):
    item = make_item()
    down = staff_client.post(
        f"/inventory/{item.pk}/movements", data={"kind": "adjustment", "quantity": -1}, format="json"
    )
    assert assert_error(down, 409)["on_hand"] == 0
    assert on_hand(item.pk) is None
    up = staff_client.post(f"/inventory/{item.pk}/movements", data={"kind": "adjustment", "quantity": 3}, format="json")
    assert (up.status_code, up.json()["balance_after"]) == (201, 3)
    down = staff_client.post(
        f"/inventory/{item.pk}/movements", data={"kind": "adjustment", "quantity": -3}, format="json"
    )
    assert (down.status_code, down.json()["balance_after"]) == (201, 0)
    assert on_hand(item.pk) == 0 == ledger_sum(item.pk)


def test_an_adjustment_below_zero_is_409_and_changes_nothing(staff_client, stocked):
    item = stocked(2)
    response = staff_client.post(
        f"/inventory/{item.pk}/movements", data={"kind": "adjustment", "quantity": -3}, format="json"
    )
    error = assert_error(response, 409)
    assert error["on_hand"] == 2 and "less than zero" in error["error"]
    assert on_hand(item.pk) == 2 and StockMovement.objects.count() == 1


@pytest.mark.parametrize(
    "data, field",
    [
        ({"kind": "receipt", "quantity": 0}, "quantity"),
        ({"kind": "receipt", "quantity": -2}, "quantity"),
        ({"kind": "adjustment", "quantity": 0}, "quantity"),
        ({"kind": "consumption", "quantity": -1}, "kind"),
        ({"kind": "return", "quantity": 1}, "kind"),
        ({"kind": "RECEIPT", "quantity": 1}, "kind"),
        ({"quantity": 1}, "kind"),
        ({"kind": "receipt"}, "quantity"),
        ({"kind": "receipt", "quantity": 1.5}, "quantity"),
        ({"kind": "receipt", "quantity": "3 boxes"}, "quantity"),
        ({"kind": "receipt", "quantity": 2**31}, "quantity"),
        ({"kind": "adjustment", "quantity": -(2**31)}, "quantity"),
        ({"kind": "receipt", "quantity": 1, "note": "x" * 1001}, "note"),
    ],
)
def test_invalid_movements_are_400_with_fields(staff_client, stocked, data, field):
    item = stocked(2)
    assert field in error_fields(staff_client.post(f"/inventory/{item.pk}/movements", data=data, format="json"))
    assert on_hand(item.pk) == 2 and StockMovement.objects.count() == 1


def test_a_receipt_past_the_largest_stock_is_409_not_500(staff_client, stocked):
    item = stocked(stock.MAX_ON_HAND)
    response = staff_client.post(
        f"/inventory/{item.pk}/movements", data={"kind": "receipt", "quantity": 1}, format="json"
    )
    assert_error(response, 409)
    assert on_hand(item.pk) == stock.MAX_ON_HAND


@pytest.mark.parametrize("method", ["get", "post"])
def test_movements_of_an_unknown_item_are_404(staff_client, method):
    response = getattr(staff_client, method)(
        "/inventory/4242/movements", {"kind": "receipt", "quantity": 1}, format="json"
    )
    assert_error(response, 404)
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize("caller, status", [("api_client", 401), ("customer_client", 403)])
@pytest.mark.parametrize("known", [True, False])
def test_stock_is_staffs_only_even_for_unknown_items(request, stocked, caller, status, known):
    client = request.getfixturevalue(caller)
    item_id = stocked(3).pk if known else 4242
    assert_error(client.get(f"/inventory/{item_id}/movements"), status)
    assert_error(
        client.post(f"/inventory/{item_id}/movements", {"kind": "receipt", "quantity": 1}, format="json"), status
    )
    assert_error(client.get("/inventory/low-stock"), status)
    assert StockMovement.objects.count() == (1 if known else 0)


def test_the_ledger_is_oldest_first_with_the_tickets_consumption(staff_client, stocked, make_ticket):
    item = stocked(10)
    ticket = make_ticket()
    staff_client.post(f"/inventory/{item.pk}/movements", data={"kind": "adjustment", "quantity": -1}, format="json")
    added = staff_client.post(
        f"/tickets/{ticket.pk}/inventory",
        data={"add_inventory_items": [{"inventory_id": item.pk, "quantity": 4}]},
        format="json",
    )
    assert added.status_code == 200
    movements = staff_client.get(f"/inventory/{item.pk}/movements").json()
    assert [(m["kind"], m["quantity"], m["balance_after"], m["ticket_id"]) for m in movements] == [
        ("receipt", 10, 10, None),
        ("adjustment", -1, 9, None),
        ("consumption", -4, 5, ticket.pk),
    ]
    assert [m["id"] for m in movements] == sorted(m["id"] for m in movements)
    assert on_hand(item.pk) == 5 == ledger_sum(item.pk)


def test_the_ledger_pages(staff_client, stocked):
    item = stocked(1)
    for quantity in range(2, 7):
        stock.record_movement(item_id=item.pk, kind="receipt", quantity=quantity, by="staff")
    response = staff_client.get(f"/inventory/{item.pk}/movements?page=2&per_page=4")
    assert response.status_code == 200
    assert [m["quantity"] for m in response.json()] == [5, 6]
    assert response["X-Total-Count"] == "6"
    assert link_pages(response["Link"]) == {"first": 1, "prev": 1, "last": 2}
    assert_error(staff_client.get(f"/inventory/{item.pk}/movements?page=0&per_page=4"), 400)


def test_the_ledger_reads_in_fixed_queries(staff_client, stocked, make_ticket, django_assert_num_queries):
    item = stocked(100)
    for _ in range(20):
        with transaction.atomic():
            stock.consume_for_ticket(ticket_id=make_ticket().pk, quantities={item.pk: 1}, by="staff")
    assert staff_client.get("/inventory/low-stock").status_code == 200  # caches the principal
    with django_assert_num_queries(2):  # the item exists, the rows
        assert len(staff_client.get(f"/inventory/{item.pk}/movements").json()) == 21
    with django_assert_num_queries(3):  # the item exists, the count, the page
        assert len(staff_client.get(f"/inventory/{item.pk}/movements?page=2&per_page=5").json()) == 5


def test_low_stock_lists_tracked_items_at_or_below_their_reorder_point(staff_client, stocked, make_item):
    low = stocked(2, reorder_point=2)
    empty = stocked(0)
    stocked(3, reorder_point=2)  # above
    make_item(reorder_point=5)  # untracked: never low
    below = stocked(1, reorder_point=10)
    response = staff_client.get("/inventory/low-stock")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [low.pk, empty.pk, below.pk]
    assert body(response)[0] == item_json(low)
    page = staff_client.get("/inventory/low-stock?page=2&per_page=2")
    assert [row["id"] for row in page.json()] == [below.pk] and page["X-Total-Count"] == "3"


def test_low_stock_is_one_query(staff_client, stocked, django_assert_num_queries):
    for n in range(10):
        stocked(n, reorder_point=5)
    assert staff_client.get("/inventory/low-stock").status_code == 200
    with django_assert_num_queries(1):
        assert len(staff_client.get("/inventory/low-stock").json()) == 6


def test_the_list_shows_stock_in_one_query(api_client, stocked, django_assert_num_queries):
    items = [stocked(n, reorder_point=1) for n in range(3)]
    with django_assert_num_queries(1):
        response = api_client.get("/inventory")
    assert body(response) == [item_json(item) for item in items]


def test_parts_beyond_the_stock_are_409_with_every_shortage_and_add_nothing(
    staff_client, stocked, make_item, make_ticket
):
    plenty, short, empty, untracked = stocked(10), stocked(1), stocked(0), make_item()
    ticket = make_ticket()
    items = [(plenty, 3), (short, 2), (empty, 1), (untracked, 50)]
    response = staff_client.post(
        f"/tickets/{ticket.pk}/inventory",
        data={"add_inventory_items": [{"inventory_id": item.pk, "quantity": n} for item, n in items]},
        format="json",
    )
    error = assert_error(response, 409)
    assert error["shortages"] == [
        {"inventory_id": short.pk, "requested": 2, "on_hand": 1},
        {"inventory_id": empty.pk, "requested": 1, "on_hand": 0},
    ]
    assert set(error) == {"error", "shortages"}
    assert not TicketInventory.objects.filter(ticket=ticket).exists()
    assert [on_hand(item.pk) for item, _ in items] == [10, 1, 0, None]
    assert not StockMovement.objects.filter(kind="consumption").exists()


def test_parts_within_the_stock_are_taken(staff_client, stocked, make_ticket):
    item, ticket = stocked(3), make_ticket()
    response = staff_client.post(
        f"/tickets/{ticket.pk}/inventory",
        data={"add_inventory_items": [{"inventory_id": item.pk, "quantity": 3}]},
        format="json",
    )
    assert response.status_code == 200
    assert on_hand(item.pk) == 0 == ledger_sum(item.pk)


def test_delete_item_with_a_ledger_is_409_and_keeps_it(staff_client, stocked):
    item = stocked(2)
    error = assert_error(staff_client.delete(f"/inventory/{item.pk}"), 409)
    assert "stock movements" in error["error"]
    assert Inventory.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize("path", ["/inventory", "/inventory?page=1&per_page=10", "/inventory?ordering=-price"])
def test_every_listed_row_is_the_items_serialized_representation(api_client, stocked, make_item, path):
    """The list answers its rows as read (selectors.inventory_rows), without the serializer: they
    must stay what InventorySerializer makes of each item, byte for byte, and what GET of the
    item answers."""
    from inventory.serializers import InventorySerializer

    stocked(7, name="Brake pad", price=Decimal("49.90"), reorder_point=3)
    stocked(0, name="Wiper blade", price=Decimal("0.50"))
    make_item(name="Shop rag (uncounted)", price=Decimal("12"))
    make_item(name="Spark plug", price=Decimal("1234567.89"))

    response = api_client.get(path)

    assert response.status_code == 200
    listed = json.loads(response.content)
    items = {item.pk: item for item in Inventory.objects.all()}
    assert listed and {row["id"] for row in listed} <= set(items)
    for row in listed:
        assert row == json.loads(api_client.get(f"/inventory/{row['id']}").content)
        serialized = InventorySerializer(items[row["id"]]).data
        assert list(row) == list(serialized)
        assert response.content.count(f'"price":{serialized["price"]}'.encode()) >= 1
