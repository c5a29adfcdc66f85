"""/inventory as a client sees it: public reads, staff writes, history kept."""

import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection

from core.errors import Conflict
from core.tests.asserts import error_fields
from inventory import selectors, services
from inventory.models import Inventory
from tickets.models import TicketInventory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_cache(settings, tmp_path):
    # Other test runs share the default file cache directory; keep our cached reads apart.
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.LockedFileBasedCache", "LOCATION": str(tmp_path / "cache")}
    }


def link_pages(header: str) -> dict[str, int]:
    pages = {}
    for part in header.split(","):
        url, rel = re.fullmatch(r'\s*<([^>]+)>; rel="(\w+)"', part).groups()
        pages[rel] = int(parse_qs(urlsplit(url).query)["page"][0])
    return pages


# --- reads -----------------------------------------------------------------------------------


@pytest.mark.parametrize("caller", ["anonymous", "customer", "staff"])
def test_list_is_public_and_ordered_by_id(request, make_item, caller):
    client = {
        "anonymous": "api_client",
        "customer": "customer_client",
        "staff": "staff_client",
    }[caller]
    items = [make_item(name=name, price=Decimal(price)) for name, price in (("Wiper", "9.50"), ("Axle", "120.00"))]
    response = request.getfixturevalue(client).get("/inventory")
    assert response.status_code == 200
    assert response.json() == [
        {"id": items[0].pk, "name": "Wiper", "price": 9.5},
        {"id": items[1].pk, "name": "Axle", "price": 120.0},
    ]


def test_list_pages(api_client, make_item):
    ids = [make_item().pk for _ in range(5)]
    response = api_client.get("/inventory/?page=2&per_page=3")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == ids[3:]
    assert response["X-Total-Count"] == "5"
    assert link_pages(response["Link"]) == {"first": 1, "prev": 1, "last": 2}


def test_empty_list_pages(api_client):
    response = api_client.get("/inventory?page=1&per_page=10")
    assert response.json() == []
    assert response["X-Total-Count"] == "0"
    assert link_pages(response["Link"]) == {"first": 1, "last": 1}


@pytest.mark.parametrize("query", ["page=0&per_page=5", "page=1&per_page=101", "page=x&per_page=1", "page=2"])
def test_bad_page_parameters_are_400(api_client, query):
    response = api_client.get(f"/inventory?{query}")
    assert response.status_code == 400
    assert response.json()["error"]


def test_list_reads_in_a_fixed_number_of_queries(api_client, make_item, django_assert_max_num_queries):
    for _ in range(20):
        make_item()
    with django_assert_max_num_queries(2):
        assert len(api_client.get("/inventory").json()) == 20


@pytest.mark.parametrize("path", ["/inventory/{pk}", "/inventory/{pk}/"])
def test_one_item_is_public(api_client, make_item, path):
    item = make_item(name="Spark plug", price=Decimal("4.25"))
    response = api_client.get(path.format(pk=item.pk))
    assert response.status_code == 200
    assert response.json() == {"id": item.pk, "name": "Spark plug", "price": 4.25}


def test_unknown_item_is_404(api_client):
    response = api_client.get("/inventory/31337")
    assert response.status_code == 404
    assert response.json()["error"]


# --- create ----------------------------------------------------------------------------------


def test_staff_creates_an_item(staff_client):
    response = staff_client.post("/inventory", data={"name": "Brake Pad", "price": 49.99}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "name": "Brake Pad", "price": 49.99}
    assert Inventory.objects.get(pk=body["id"]).price == Decimal("49.99")


@pytest.mark.parametrize(("sent", "stored"), [(0, "0.00"), (1, "1.00"), (0.1, "0.10"), ("2.5", "2.50"), (99999999.99, "99999999.99")])
def test_prices_are_stored_exactly(staff_client, sent, stored):
    response = staff_client.post("/inventory", data={"name": "Part", "price": sent}, format="json")
    assert response.status_code == 201
    assert Inventory.objects.get().price == Decimal(stored)
    assert response.json()["price"] == float(stored)


@pytest.mark.parametrize("sent", [-0.0, "-0", "-0.00"])
def test_negative_zero_price_is_stored_and_shown_as_zero(staff_client, sent):
    response = staff_client.post("/inventory", data={"name": "Freebie", "price": sent}, format="json")
    assert response.status_code == 201
    assert response.content.count(b'"price":0.0') == 1
    assert Inventory.objects.get().price == Decimal("0")


@pytest.mark.parametrize(
    "price",
    [-0.01, -1, "-5.00", 1.005, "0.001", 100000000, 1e10, "1e400", "abc", "", None, True, [], {}, "NaN", "Infinity"],
    ids=lambda p: repr(p),
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


@pytest.mark.parametrize("name", ["", "   ", "x" * 361, None, [], {"a": 1}, True])
def test_invalid_name_is_400(staff_client, name):
    fields = error_fields(staff_client.post("/inventory", data={"name": name, "price": 1}, format="json"))
    assert list(fields) == ["name"]


def test_name_at_the_length_limit_is_accepted(staff_client):
    response = staff_client.post("/inventory", data={"name": "n" * 360, "price": 1}, format="json")
    assert response.status_code == 201
    assert len(Inventory.objects.get().name) == 360


def test_missing_fields_are_reported_together(staff_client):
    fields = error_fields(staff_client.post("/inventory", data={}, format="json"))
    assert set(fields) == {"name", "price"}


@pytest.mark.parametrize("name", ["brake pad", "BRAKE PAD", "Brake Pad", "  brake PAD  "])
def test_duplicate_name_in_any_case_is_400(staff_client, make_item, name):
    make_item(name="Brake Pad")
    fields = error_fields(staff_client.post("/inventory", data={"name": name, "price": 1}, format="json"))
    assert fields["name"] == [services.DUPLICATE_NAME]
    assert Inventory.objects.count() == 1


@pytest.mark.parametrize("name", ["Brake Pad", "brake pad"])
def test_duplicate_name_that_slips_past_the_check_is_still_400(staff_client, make_item, monkeypatch, name):
    # Two creations racing: both pass the serializer's lookup, the database refuses the second.
    make_item(name="Brake Pad")
    monkeypatch.setattr(selectors, "name_taken", lambda *args, **kwargs: False)
    fields = error_fields(staff_client.post("/inventory", data={"name": name, "price": 1}, format="json"))
    assert fields["name"] == [services.DUPLICATE_NAME]
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


@pytest.mark.parametrize("name", ["Écrou M8 ⌀", "ボルト", "Öl 5W-30 🛢️"])
def test_unicode_names_round_trip(staff_client, api_client, name):
    created = staff_client.post("/inventory", data={"name": name, "price": 1}, format="json")
    assert created.status_code == 201
    assert api_client.get(f"/inventory/{created.json()['id']}").json()["name"] == name


@pytest.mark.parametrize(("caller", "status"), [("api_client", 401), ("customer_client", 403)])
def test_only_staff_write(request, make_item, caller, status):
    client = request.getfixturevalue(caller)
    item = make_item(name="Kept", price=Decimal("1.00"))
    assert client.post("/inventory", data={"name": "New", "price": 1}, format="json").status_code == status
    assert client.put(f"/inventory/{item.pk}", data={"name": "X", "price": 2}, format="json").status_code == status
    assert client.patch(f"/inventory/{item.pk}", data={"price": 2}, format="json").status_code == status
    assert client.delete(f"/inventory/{item.pk}").status_code == status
    item.refresh_from_db()
    assert (Inventory.objects.count(), item.name, item.price) == (1, "Kept", Decimal("1.00"))


# --- update ----------------------------------------------------------------------------------


def test_put_replaces_the_item(staff_client, make_item):
    item = make_item(name="Old", price=Decimal("1.00"))
    response = staff_client.put(f"/inventory/{item.pk}", data={"name": "New", "price": "2.50"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"id": item.pk, "name": "New", "price": 2.5}
    item.refresh_from_db()
    assert (item.name, item.price) == ("New", Decimal("2.50"))


def test_put_needs_every_field(staff_client, make_item):
    item = make_item(name="Old")
    fields = error_fields(staff_client.put(f"/inventory/{item.pk}/", data={"name": "New"}, format="json"))
    assert list(fields) == ["price"]
    item.refresh_from_db()
    assert item.name == "Old"


@pytest.mark.parametrize(
    ("change", "expected"),
    [({"price": 7}, ("Old", Decimal("7.00"))), ({"name": "Renamed"}, ("Renamed", Decimal("1.00")))],
)
def test_patch_changes_only_the_given_field(staff_client, make_item, change, expected):
    item = make_item(name="Old", price=Decimal("1.00"))
    response = staff_client.patch(f"/inventory/{item.pk}", data=change, format="json")
    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.name, item.price) == expected


def test_renaming_to_another_case_of_its_own_name_is_allowed(staff_client, make_item):
    item = make_item(name="brake pad")
    response = staff_client.patch(f"/inventory/{item.pk}", data={"name": "Brake Pad"}, format="json")
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.name == "Brake Pad"


def test_renaming_to_another_items_name_in_any_case_is_400(staff_client, make_item):
    make_item(name="Brake Pad")
    item = make_item(name="Rotor")
    fields = error_fields(staff_client.patch(f"/inventory/{item.pk}", data={"name": "BRAKE pad"}, format="json"))
    assert fields["name"] == [services.DUPLICATE_NAME]
    item.refresh_from_db()
    assert item.name == "Rotor"


@pytest.mark.parametrize("price", [-1, 1.234, "abc", 1e10])
def test_patch_with_an_invalid_price_is_400_and_changes_nothing(staff_client, make_item, price):
    item = make_item(price=Decimal("3.00"))
    fields = error_fields(staff_client.patch(f"/inventory/{item.pk}", data={"price": price}, format="json"))
    assert list(fields) == ["price"]
    item.refresh_from_db()
    assert item.price == Decimal("3.00")


def test_update_of_unknown_item_is_404(staff_client):
    assert staff_client.patch("/inventory/4242", data={"price": 1}, format="json").status_code == 404


def test_price_change_shows_on_tickets_at_once(staff_client, make_item, make_ticket):
    item = make_item(name="Filter", price=Decimal("10.00"))
    ticket = make_ticket(parts=[(item, 2)])
    assert staff_client.get("/tickets").json()[0]["parts"][0]["price"] == 10.0
    staff_client.patch(f"/inventory/{item.pk}", data={"price": "12.00"}, format="json")
    # /tickets is cached; an inventory write must not leave the old price there.
    assert staff_client.get("/tickets").json()[0]["parts"][0]["price"] == 12.0
    assert staff_client.get(f"/tickets/{ticket.pk}").json()["parts"][0]["price"] == 12.0


# --- delete ----------------------------------------------------------------------------------


def test_delete_unused_item_is_204(staff_client, api_client, make_item):
    item = make_item()
    response = staff_client.delete(f"/inventory/{item.pk}/")
    assert response.status_code == 204
    assert response.content == b""
    assert not Inventory.objects.exists()
    assert api_client.get(f"/inventory/{item.pk}").status_code == 404


def test_delete_item_used_on_a_ticket_is_409_and_keeps_it(staff_client, make_item, make_ticket):
    item = make_item(name="Used part")
    make_ticket(parts=[(item, 1)])
    make_ticket(parts=[(item, 3)])
    response = staff_client.delete(f"/inventory/{item.pk}")
    assert response.status_code == 409
    message = response.json()["error"]
    assert message.endswith(".") and "2 ticket" in message
    assert Inventory.objects.filter(pk=item.pk, name="Used part").exists()
    assert TicketInventory.objects.filter(inventory=item).count() == 2


def test_delete_unknown_item_is_404(staff_client):
    assert staff_client.delete("/inventory/4242").status_code == 404


# --- services and selectors ------------------------------------------------------------------


def test_inventory_delete_service_refuses_used_items(make_item, make_ticket):
    item = make_item()
    make_ticket(parts=[(item, 1)])
    with pytest.raises(Conflict):
        services.inventory_delete(item)
    assert Inventory.objects.filter(pk=item.pk).exists()


def test_name_taken_ignores_case_surrounding_spaces_and_the_item_itself(make_item):
    item = make_item(name="Brake Pad")
    assert selectors.name_taken("  BRAKE PAD ")
    assert not selectors.name_taken("brake pad", exclude_id=item.pk)
    assert not selectors.name_taken("Brake Pads")


def test_inventory_list_selector_orders_by_id(make_item):
    items = [make_item(name=name) for name in ("c", "a", "b")]
    assert list(selectors.inventory_list()) == items
