"""The audit trail of customers, vehicles, inventory items and mechanics (issue #23 item 15):
each change through the API or the admin leaves an entry with who, when and [old, new] of each
changed field, a delete its last values; the admin shows each record's trail read-only; nothing in
the API or the admin edits or deletes an entry."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client

from audit.models import Change
from audit.selectors import changes_of
from customers.models import Customer
from inventory.models import Inventory
from mechanics.models import Mechanic
from vehicles.models import Vehicle
from vehicles.tests.factories import VehicleFactory


def trail(model, pk) -> list[tuple]:
    return [(c.by, c.action, c.changes) for c in changes_of(model=model, object_id=pk)]


@pytest.fixture
def admin_browser(make_staff) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(make_staff(username="admin-user", is_superuser=True))
    return client


def admin_post(client, path: str, **fields):
    """Post an admin change page back as the browser would, with `fields` changed."""
    page = client.get(path)
    data = {}
    for bound in page.context["adminform"].form:
        if bound.value() is not None:
            data[bound.html_name] = bound.value()
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(name): value for name, value in management.initial.items()})
    response = client.post(path, {**data, **fields})
    assert response.status_code == 302, response.content.decode()[:2000]


def test_a_customer_changing_their_record_leaves_a_trail(customer_client, customer):
    old_email = customer.email
    response = customer_client.patch(
        f"/customers/{customer.pk}", {"name": "New Name", "phone": "555-0000"}, format="json"
    )
    assert response.status_code == 200

    [(by, action, changes)] = trail(Customer, customer.pk)
    assert (by, action) == (old_email, "update")
    assert changes == {"name": [customer.name, "New Name"], "phone": [customer.phone, "555-0000"]}


def test_a_password_change_is_recorded_without_the_password(staff_client, customer):
    response = staff_client.patch(f"/customers/{customer.pk}", {"password": "Brand-New-Secret-9"}, format="json")
    assert response.status_code == 200

    [(by, action, changes)] = trail(Customer, customer.pk)
    assert (by, action, changes) == ("staff", "update", {"password": ["(hidden)", "(changed)"]})
    stored = Change.objects.get().changes
    assert "Brand-New-Secret-9" not in str(stored) and Customer.objects.get().password not in str(stored)


def test_mechanic_changes_and_deletes_leave_a_trail_that_outlives_the_mechanic(staff_client, make_mechanic):
    mechanic = make_mechanic(name="Ada", salary=Decimal("50000.00"))

    assert staff_client.patch(f"/mechanics/{mechanic.pk}", {"salary": 52000.5}, format="json").status_code == 200
    assert staff_client.delete(f"/mechanics/{mechanic.pk}").status_code == 204

    assert not Mechanic.objects.exists()
    assert trail(Mechanic, mechanic.pk) == [
        ("staff", "update", {"salary": ["50000.00", "52000.50"]}),
        (
            "staff",
            "delete",
            {
                "name": ["Ada", None],
                "email": [mechanic.email, None],
                "phone": [mechanic.phone, None],
                "salary": ["52000.50", None],
            },
        ),
    ]


def test_inventory_changes_leave_a_trail(staff_client, make_item):
    item = make_item(name="Filter", price=Decimal("7.50"))

    staff_client.put(f"/inventory/{item.pk}", {"name": "Oil filter", "price": 7.5, "reorder_point": 3}, format="json")

    assert trail(Inventory, item.pk) == [
        ("staff", "update", {"name": ["Filter", "Oil filter"], "reorder_point": [0, 3]})
    ]


def test_vehicle_changes_by_their_customer_leave_a_trail(customer_client, customer):
    vehicle = VehicleFactory(customer=customer, license_plate="")

    customer_client.patch(f"/vehicles/{vehicle.pk}", {"license_plate": "ABC 123", "year": 2019}, format="json")
    customer_client.delete(f"/vehicles/{vehicle.pk}")

    entries = trail(Vehicle, vehicle.pk)
    assert entries[0] == (customer.email, "update", {"year": [2018, 2019], "license_plate": ["", "ABC 123"]})
    assert entries[1][:2] == (customer.email, "delete") and entries[1][2]["vin"] == [vehicle.vin, None]


def test_a_refused_change_leaves_no_trail(staff_client, make_mechanic, make_ticket):
    mechanic = make_mechanic()
    make_ticket(mechanics=[mechanic])

    assert staff_client.delete(f"/mechanics/{mechanic.pk}").status_code == 409

    assert trail(Mechanic, mechanic.pk) == []


@pytest.mark.parametrize(
    ("model", "path", "fields", "recorded"),
    [
        ("customer", "customers/customer", {"name": "Renamed In Admin"}, {"name"}),
        ("mechanic", "mechanics/mechanic", {"phone": "555-4242"}, {"phone"}),
        ("item", "inventory/inventory", {"price": "9.99"}, {"price"}),
        ("vehicle", "vehicles/vehicle", {"license_plate": "ADM 1"}, {"license_plate"}),
    ],
)
def test_admin_changes_leave_the_same_trail_shown_read_only_on_the_page(
    admin_browser, customer, make_mechanic, make_item, model, path, fields, recorded
):
    record = {
        "customer": lambda: customer,
        "mechanic": make_mechanic,
        "item": make_item,
        "vehicle": lambda: VehicleFactory(customer=customer),
    }[model]()
    url = f"/admin/{path}/{record.pk}/change/"

    admin_post(admin_browser, url, **fields)

    [(by, action, changes)] = trail(type(record), record.pk)
    assert (by, action, set(changes)) == ("admin-user", "update", recorded)
    page = admin_browser.get(url).content.decode()
    assert "Audit trail" in page and "admin-user" in page and str(next(iter(fields.values()))) in page
    assert 'name="audit_trail"' not in page


def test_an_admin_delete_leaves_a_trail(admin_browser, make_item):
    item = make_item(name="Gone")

    response = admin_browser.post(f"/admin/inventory/inventory/{item.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert trail(Inventory, item.pk)[0][:2] == ("admin-user", "delete")


def test_the_admin_cannot_edit_or_delete_an_entry():
    """No admin page writes Change: it is not registered, and no page has it as an inline form."""
    assert not admin.site.is_registered(Change)
    for model in apps.get_models():
        if admin.site.is_registered(model):
            assert all(inline.model is not Change for inline in admin.site.get_model_admin(model).inlines)
