"""The inventory pages of the Django admin keep the API's rule: names are unique ignoring case
and invisible characters."""

import pytest
from django.test import Client

from inventory.models import DUPLICATE_NAME, Inventory


@pytest.fixture
def admin_browser(make_staff) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(make_staff(username="admin-user", is_superuser=True))
    return client


@pytest.mark.parametrize("name", ["Brake Pad", "brake pad", "Brake\u200b Pad", "\ufeffBRAKE PAD", "Ｂｒａｋｅ Ｐａｄ"])
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
    response = admin_browser.post("/admin/inventory/inventory/add/", {"name": "Oil\u200b filter\u200d", "price": "4.50", "reorder_point": "0"})
    assert response.status_code == 302
    assert Inventory.objects.values_list("name", flat=True).get() == "Oil filter"


def test_the_changelist_shows_how_many_tickets_use_an_item(admin_browser, make_item, make_ticket):
    item = make_item(name="Spark plug")
    make_ticket(parts=[(item, 4)])
    make_ticket(parts=[(item, 1)])
    response = admin_browser.get("/admin/inventory/inventory/")
    assert response.status_code == 200
    assert response.context["cl"].result_list[0].ticket_count == 2
