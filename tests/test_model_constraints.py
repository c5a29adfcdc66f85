"""The database itself refuses bad rows, whatever path the write takes.

Every write here goes through `bulk_create` or `QuerySet.update`, which skip `Model.save()` (so
no lower-casing of emails) and all Python-side validation: only the schema stands in the way.
"""

from decimal import Decimal

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from customers.models import Customer
from inventory.models import Inventory
from mechanics.models import Mechanic
from tickets.models import Ticket, TicketInventory, TicketMechanic

pytestmark = pytest.mark.django_db


def _customer(**fields) -> Customer:
    values = {"name": "Ann", "email": "ann@example.com", "phone": "555-0100", "password": "!"}
    return Customer(**{**values, **fields})


def _mechanic(**fields) -> Mechanic:
    values = {"name": "Bob", "email": "bob@example.com", "phone": "555-0200", "salary": Decimal("1.00")}
    return Mechanic(**{**values, **fields})


def assert_rejected(write) -> None:
    """The write fails with IntegrityError and leaves the connection usable."""
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


# --- money and quantities --------------------------------------------------------------------


@pytest.mark.parametrize("price", [Decimal("-0.01"), Decimal("-100.00")])
def test_inventory_price_cannot_be_negative_on_insert(price):
    assert_rejected(lambda: Inventory.objects.bulk_create([Inventory(name="Brake pad", price=price)]))
    assert not Inventory.objects.exists()


def test_inventory_price_cannot_be_made_negative_by_update(make_item):
    item = make_item(price=Decimal("5.00"))
    assert_rejected(lambda: Inventory.objects.filter(pk=item.pk).update(price=Decimal("-1.00")))
    item.refresh_from_db()
    assert item.price == Decimal("5.00")


def test_inventory_price_zero_is_allowed():
    Inventory.objects.bulk_create([Inventory(name="Free sticker", price=Decimal("0.00"))])
    assert Inventory.objects.get().price == Decimal("0.00")


def test_mechanic_salary_cannot_be_negative_on_insert():
    assert_rejected(lambda: Mechanic.objects.bulk_create([_mechanic(salary=Decimal("-0.01"))]))
    assert not Mechanic.objects.exists()


def test_mechanic_salary_cannot_be_made_negative_by_update(make_mechanic):
    mechanic = make_mechanic(salary=Decimal("100.00"))
    assert_rejected(lambda: Mechanic.objects.filter(pk=mechanic.pk).update(salary=Decimal("-5.00")))
    mechanic.refresh_from_db()
    assert mechanic.salary == Decimal("100.00")


def test_ticket_inventory_quantity_zero_is_rejected(make_ticket, make_item):
    ticket, item = make_ticket(), make_item()
    assert_rejected(
        lambda: TicketInventory.objects.bulk_create(
            [TicketInventory(ticket=ticket, inventory=item, quantity=0, unit_price=item.price)]
        )
    )
    assert not TicketInventory.objects.exists()


def test_ticket_inventory_quantity_cannot_be_updated_to_zero(make_ticket, make_item):
    item = make_item()
    ticket = make_ticket(parts=[(item, 2)])
    assert_rejected(lambda: TicketInventory.objects.filter(ticket=ticket).update(quantity=0))
    assert TicketInventory.objects.get().quantity == 2


# --- link tables -----------------------------------------------------------------------------


def test_same_item_cannot_be_on_a_ticket_twice(make_ticket, make_item):
    item = make_item()
    ticket = make_ticket(parts=[(item, 1)])
    assert_rejected(
        lambda: TicketInventory.objects.bulk_create(
            [TicketInventory(ticket=ticket, inventory=item, quantity=3, unit_price=item.price)]
        )
    )
    assert TicketInventory.objects.count() == 1


def test_same_mechanic_cannot_be_on_a_ticket_twice(make_ticket, make_mechanic):
    mechanic = make_mechanic()
    ticket = make_ticket(mechanics=[mechanic])
    assert_rejected(lambda: TicketMechanic.objects.bulk_create([TicketMechanic(ticket=ticket, mechanic=mechanic)]))
    assert TicketMechanic.objects.count() == 1


def test_same_item_may_be_on_different_tickets(make_ticket, make_item):
    item = make_item()
    make_ticket(parts=[(item, 1)])
    make_ticket(parts=[(item, 1)])
    assert TicketInventory.objects.filter(inventory=item).count() == 2


# --- case-insensitive uniqueness ---------------------------------------------------------------
# PostgreSQL and SQLite refuse an upper-case email outright (check constraint); MariaDB compares
# with a case-insensitive collation, so its unique index sees the duplicate. Either way: refused.


@pytest.mark.parametrize("other_email", ["A@X.COM", "a@X.com", "A@x.com", "a@x.com"])
def test_customer_email_duplicate_in_any_case_is_rejected_on_insert(other_email):
    Customer.objects.bulk_create([_customer(email="a@x.com")])
    assert_rejected(lambda: Customer.objects.bulk_create([_customer(email=other_email)]))
    assert list(Customer.objects.values_list("email", flat=True)) == ["a@x.com"]


def test_customer_email_duplicate_in_another_case_is_rejected_on_update():
    Customer.objects.bulk_create([_customer(email="a@x.com"), _customer(email="b@x.com")])
    assert_rejected(lambda: Customer.objects.filter(email="b@x.com").update(email="A@X.COM"))
    assert sorted(Customer.objects.values_list("email", flat=True)) == ["a@x.com", "b@x.com"]


def test_customer_save_stores_email_lower_case(make_customer):
    customer = make_customer(email="  Mixed.Case@Example.COM ")
    customer.refresh_from_db()
    assert customer.email == "mixed.case@example.com"


@pytest.mark.parametrize("other_email", ["BOB@EXAMPLE.COM", "Bob@Example.com", "bob@example.com"])
def test_mechanic_email_duplicate_in_any_case_is_rejected(other_email):
    Mechanic.objects.bulk_create([_mechanic(email="bob@example.com")])
    assert_rejected(lambda: Mechanic.objects.bulk_create([_mechanic(name="Other", email=other_email)]))
    assert Mechanic.objects.count() == 1


def test_mechanic_email_duplicate_in_another_case_is_rejected_on_update():
    Mechanic.objects.bulk_create([_mechanic(email="bob@example.com"), _mechanic(email="eve@example.com")])
    assert_rejected(lambda: Mechanic.objects.filter(email="eve@example.com").update(email="BOB@example.com"))
    assert sorted(Mechanic.objects.values_list("email", flat=True)) == ["bob@example.com", "eve@example.com"]


@pytest.mark.parametrize("other_name", ["brake pad", "BRAKE PAD", "Brake Pad", "bRaKe PaD"])
def test_inventory_name_duplicate_in_any_case_is_rejected(other_name):
    Inventory.objects.bulk_create([Inventory(name="Brake Pad", price=Decimal("1.00"))])
    assert_rejected(lambda: Inventory.objects.bulk_create([Inventory(name=other_name, price=Decimal("2.00"))]))
    assert list(Inventory.objects.values_list("name", flat=True)) == ["Brake Pad"]


def test_inventory_name_cannot_be_renamed_to_another_case_of_an_existing_name():
    Inventory.objects.bulk_create(
        [Inventory(name="Brake Pad", price=Decimal("1.00")), Inventory(name="Rotor", price=Decimal("2.00"))]
    )
    assert_rejected(lambda: Inventory.objects.filter(name="Rotor").update(name="brake pad"))
    assert sorted(Inventory.objects.values_list("name", flat=True)) == ["Brake Pad", "Rotor"]


# --- empty text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: Customer.objects.bulk_create([_customer(name="")]), id="customer"),
        pytest.param(lambda: Mechanic.objects.bulk_create([_mechanic(name="")]), id="mechanic"),
        pytest.param(
            lambda: Inventory.objects.bulk_create([Inventory(name="", price=Decimal("1.00"))]), id="inventory"
        ),
    ],
)
def test_empty_name_is_rejected_on_insert(build):
    assert_rejected(build)


@pytest.mark.parametrize("model", [Customer, Mechanic, Inventory], ids=lambda m: m.__name__)
def test_name_cannot_be_emptied_by_update(model, make_customer, make_mechanic, make_item):
    make = {Customer: make_customer, Mechanic: make_mechanic, Inventory: make_item}[model]
    obj = make(name="Kept")
    assert_rejected(lambda: model.objects.filter(pk=obj.pk).update(name=""))
    obj.refresh_from_db()
    assert obj.name == "Kept"


@pytest.mark.parametrize("field", ["vin", "service_description"])
def test_ticket_text_fields_cannot_be_emptied(make_ticket, field):
    ticket = make_ticket()
    assert_rejected(lambda: Ticket.objects.filter(pk=ticket.pk).update(**{field: ""}))


# --- protected history -----------------------------------------------------------------------


def test_deleting_a_customer_with_tickets_is_refused_and_deletes_nothing(make_customer, make_ticket, make_item):
    customer = make_customer()
    item = make_item()
    ticket = make_ticket(customer=customer, parts=[(item, 1)])
    with pytest.raises(ProtectedError), transaction.atomic():
        customer.delete()
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert TicketInventory.objects.filter(ticket=ticket).count() == 1


def test_deleting_customers_in_bulk_is_refused_when_any_has_tickets(make_customer, make_ticket):
    without_tickets = make_customer()
    make_ticket(customer=make_customer())
    with pytest.raises(ProtectedError), transaction.atomic():
        Customer.objects.all().delete()
    assert Customer.objects.count() == 2
    assert Customer.objects.filter(pk=without_tickets.pk).exists()


def test_deleting_a_mechanic_on_a_ticket_is_refused(make_mechanic, make_ticket):
    mechanic = make_mechanic()
    make_ticket(mechanics=[mechanic])
    with pytest.raises(ProtectedError), transaction.atomic():
        mechanic.delete()
    assert Mechanic.objects.filter(pk=mechanic.pk).exists()
    assert TicketMechanic.objects.filter(mechanic=mechanic).count() == 1


def test_deleting_inventory_on_a_ticket_is_refused(make_item, make_ticket):
    item = make_item()
    make_ticket(parts=[(item, 4)])
    with pytest.raises(ProtectedError), transaction.atomic():
        item.delete()
    assert Inventory.objects.filter(pk=item.pk).exists()
    assert TicketInventory.objects.get(inventory=item).quantity == 4


def test_deleting_a_ticket_removes_its_links_but_not_what_they_point_to(make_ticket, make_mechanic, make_item):
    mechanic, item = make_mechanic(), make_item()
    ticket = make_ticket(mechanics=[mechanic], parts=[(item, 1)])
    ticket.delete()
    assert not TicketMechanic.objects.exists()
    assert not TicketInventory.objects.exists()
    assert Mechanic.objects.filter(pk=mechanic.pk).exists()
    assert Inventory.objects.filter(pk=item.pk).exists()


def test_unreferenced_rows_delete_normally(make_customer, make_mechanic, make_item):
    make_customer().delete()
    make_mechanic().delete()
    make_item().delete()
    assert not Customer.objects.exists()
    assert not Mechanic.objects.exists()
    assert not Inventory.objects.exists()


# --- passwords -------------------------------------------------------------------------------


def test_customer_password_is_stored_hashed(make_customer):
    customer = make_customer(password="Plain-Text-Secret-9")
    stored = Customer.objects.values_list("password", flat=True).get(pk=customer.pk)
    assert "Plain-Text-Secret-9" not in stored
    identify_hasher(stored)  # raises ValueError for anything that is not a known hash format
    assert check_password("Plain-Text-Secret-9", stored)
    assert not check_password("plain-text-secret-9", stored)


def test_same_password_gets_a_different_hash_per_customer(make_customer):
    first = make_customer(password="Same-Secret-123")
    second = make_customer(password="Same-Secret-123")
    assert first.password != second.password


def test_production_hasher_is_argon2id(settings, make_customer):
    from mechanic_shop import settings as production  # the test settings put a fast hasher first

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    customer = make_customer(password="Slow-Hash-Secret-7")
    customer.refresh_from_db()
    assert customer.password.startswith("argon2$argon2id$")
    assert customer.check_password("Slow-Hash-Secret-7")
