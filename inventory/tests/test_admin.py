"""The inventory pages of the Django admin keep the API's rules: names are unique ignoring case
and invisible characters, and stock changes only through the ledger (a read-only inline, and the
"Receive or adjust stock" action)."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client

from inventory import stock
from inventory.models import DUPLICATE_NAME, Inventory, StockMovement


@pytest.fixture
def admin_browser(make_staff) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(make_staff(username="admin-user", is_superuser=True))
    return client


@pytest.mark.parametrize(
    "name",
    [
        "Brake Pad",
        "brake pad",
        "Brake\u200b Pad",
        "\ufeffBRAKE PAD",
        "Ｂｒａｋｅ Ｐａｄ",
        "Brake Pad\u3164",
        "Brake\u034f Pad",
        "Brake Pad\u2800",
        "Brake   Pad",
        "Brake\tPad",
    ],
)
def test_a_name_that_looks_like_an_existing_one_is_a_form_error(admin_browser, make_item, name):
    make_item(name="Brake Pad")
    response = admin_browser.post("/admin/inventory/inventory/add/", {"name": name, "price": "1.00"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    messages = [message for field_messages in errors.values() for message in field_messages]
    assert DUPLICATE_NAME in messages or "Inventory item with this Name already exists." in messages
    assert not any("violated" in message for message in messages)  # no constraint names shown to staff
    assert list(Inventory.objects.values_list("name", flat=True)) == ["Brake Pad"]


def test_adding_an_item_stores_its_name_normalised(admin_browser):
    response = admin_browser.post(
        "/admin/inventory/inventory/add/", {"name": "Oil\u200b filter\u200d", "price": "4.50", "reorder_point": "0"}
    )
    assert response.status_code == 302
    assert Inventory.objects.values_list("name", flat=True).get() == "Oil filter"


def test_the_changelist_shows_how_many_tickets_use_an_item(admin_browser, make_item, make_ticket):
    item = make_item(name="Spark plug")
    make_ticket(parts=[(item, 4)])
    make_ticket(parts=[(item, 1)])
    response = admin_browser.get("/admin/inventory/inventory/")
    assert response.status_code == 200
    assert response.context["cl"].result_list[0].ticket_count == 2


# --- stock ----------------------------------------------------------------------------------


def stocked(make_item, n: int, **fields) -> Inventory:
    item = make_item(**fields)
    stock.receive_initial_stock(item_id=item.pk, quantity=n, by="staff")
    item.refresh_from_db()
    return item


def ledger_sum(item) -> int:
    return sum(StockMovement.objects.filter(item=item).values_list("quantity", flat=True))


def test_the_changelist_shows_stock_and_filters_low_stock(admin_browser, make_item):
    low = stocked(make_item, 1, name="Low", reorder_point=2)
    stocked(make_item, 9, name="Plenty", reorder_point=2)
    make_item(name="Untracked", reorder_point=5)
    response = admin_browser.get("/admin/inventory/inventory/")
    assert response.status_code == 200
    assert {"quantity_on_hand", "reorder_point"} <= set(response.context["cl"].list_display)
    response = admin_browser.get("/admin/inventory/inventory/?stock=low")
    assert [item.pk for item in response.context["cl"].result_list] == [low.pk]
    response = admin_browser.get("/admin/inventory/inventory/?stock=untracked")
    assert [item.name for item in response.context["cl"].result_list] == ["Untracked"]


def test_the_change_form_shows_the_ledger_read_only_and_cannot_set_stock(admin_browser, make_item, make_ticket):
    item = stocked(make_item, 5, name="Filter")
    with transaction.atomic():
        stock.consume_for_ticket(ticket_id=make_ticket().pk, quantities={item.pk: 2}, by="staff")
    response = admin_browser.get(f"/admin/inventory/inventory/{item.pk}/change/")
    assert response.status_code == 200
    assert "quantity_on_hand" not in response.context["adminform"].form.fields
    (ledger,) = response.context["inline_admin_formsets"]
    assert (ledger.has_add_permission, ledger.has_change_permission, ledger.has_delete_permission) == (
        False,
        False,
        False,
    )
    assert len(list(ledger)) == 2
    response = admin_browser.post(
        f"/admin/inventory/inventory/{item.pk}/change/",
        {
            "name": "Filter",
            "price": "1.00",
            "reorder_point": "4",
            "quantity_on_hand": "99",
            "movements-TOTAL_FORMS": "0",
            "movements-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.quantity_on_hand, item.reorder_point) == (3, 4)
    assert ledger_sum(item) == 3


def test_the_receive_stock_action_asks_then_records_a_movement_per_item(admin_browser, make_item):
    tracked, untracked = stocked(make_item, 5), make_item()
    selected = {"action": "receive_stock", "_selected_action": [tracked.pk, untracked.pk]}
    page = admin_browser.post("/admin/inventory/inventory/", selected)
    assert page.status_code == 200 and "quantity" in page.context["form"].fields
    assert StockMovement.objects.count() == 1
    response = admin_browser.post(
        "/admin/inventory/inventory/", {**selected, "apply": "1", "kind": "receipt", "quantity": "4", "note": "PO 9"}
    )
    assert response.status_code == 302
    tracked.refresh_from_db(), untracked.refresh_from_db()
    assert (tracked.quantity_on_hand, untracked.quantity_on_hand) == (9, 4)
    assert list(StockMovement.objects.filter(note="PO 9").values_list("item_id", "kind", "by")) == [
        (tracked.pk, "receipt", "admin-user"),
        (untracked.pk, "receipt", "admin-user"),
    ]
    assert ledger_sum(tracked) == 9 and ledger_sum(untracked) == 4


@pytest.mark.parametrize(
    "kind, quantity",
    [("receipt", "0"), ("receipt", "-1"), ("adjustment", "0"), ("consumption", "-1"), ("receipt", "x")],
)
def test_the_receive_stock_action_refuses_invalid_quantities_on_its_page(admin_browser, make_item, kind, quantity):
    item = stocked(make_item, 5)
    response = admin_browser.post(
        "/admin/inventory/inventory/",
        {"action": "receive_stock", "_selected_action": [item.pk], "apply": "1", "kind": kind, "quantity": quantity},
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert StockMovement.objects.count() == 1


def test_an_adjustment_refused_for_one_item_records_it_for_none(admin_browser, make_item):
    plenty, few = stocked(make_item, 10), stocked(make_item, 1)
    response = admin_browser.post(
        "/admin/inventory/inventory/",
        {
            "action": "receive_stock",
            "_selected_action": [plenty.pk, few.pk],
            "apply": "1",
            "kind": "adjustment",
            "quantity": "-2",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert any("Nothing recorded" in str(message) for message in response.context["messages"])
    plenty.refresh_from_db(), few.refresh_from_db()
    assert (plenty.quantity_on_hand, few.quantity_on_hand) == (10, 1)
    assert StockMovement.objects.count() == 2


def test_deleting_an_item_with_a_ledger_in_the_admin_is_refused_not_500(admin_browser, make_item):
    item = stocked(make_item, 1)
    response = admin_browser.post(f"/admin/inventory/inventory/{item.pk}/delete/", {"post": "yes"})
    assert response.status_code == 200  # Django's "cannot delete: protected objects" page
    assert Inventory.objects.filter(pk=item.pk).exists()


def test_deleting_an_item_on_a_ticket_in_the_admin_is_refused_not_500(admin_browser, make_item, make_ticket):
    item = make_item()
    make_ticket(parts=[(item, 1)])
    response = admin_browser.post(f"/admin/inventory/inventory/{item.pk}/delete/", {"post": "yes"})
    assert response.status_code == 200 and response.context["protected"]
    assert Inventory.objects.filter(pk=item.pk).exists()


def test_an_unused_item_is_deleted_through_the_service(admin_browser, make_item, monkeypatch):
    from inventory import services

    deleted = []
    monkeypatch.setattr(services, "inventory_delete", lambda *, item_id, by: deleted.append((item_id, by)))
    item = make_item()
    assert admin_browser.post(f"/admin/inventory/inventory/{item.pk}/delete/", {"post": "yes"}).status_code == 302
    assert deleted == [(item.pk, "admin-user")]


def test_an_item_is_changed_through_the_service(admin_browser, make_item, monkeypatch):
    from inventory import services

    calls = []
    update = services.inventory_update
    monkeypatch.setattr(services, "inventory_update", lambda **kwargs: calls.append(kwargs) or update(**kwargs))
    item = make_item(name="Filter")
    response = admin_browser.post(
        f"/admin/inventory/inventory/{item.pk}/change/",
        {
            "name": "Oil filter",
            "price": "2.00",
            "reorder_point": "1",
            "movements-TOTAL_FORMS": "0",
            "movements-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    assert calls == [
        {
            "item_id": item.pk,
            "changes": {"name": "Oil filter", "price": Decimal("2.00"), "reorder_point": 1},
            "by": "admin-user",
        }
    ]
    assert Inventory.objects.values_list("name", flat=True).get(pk=item.pk) == "Oil filter"
