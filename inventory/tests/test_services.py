"""inventory.services (the writes) and the model rules they rely on, without HTTP."""

from decimal import Decimal

import pytest

from core.errors import Conflict, InvalidInput, NotFound
from inventory import services
from inventory.models import Inventory


def test_create_stores_the_item(db):
    item = services.inventory_create(name="Brake Pad", price=Decimal("49.99"))
    item.refresh_from_db()
    assert (item.name, item.price) == ("Brake Pad", Decimal("49.99"))


@pytest.mark.parametrize("name", ["Brake Pad", "brake pad", "BRAKE PAD", "Brake\u200b Pad", " Brake Pad\ufeff"])
def test_create_turns_a_duplicate_name_into_invalid_input(make_item, name):
    # The database's unique index is the last word when two creations race past the check.
    make_item(name="Brake Pad")
    with pytest.raises(InvalidInput) as caught:
        services.inventory_create(name=name, price=Decimal("1"))
    assert caught.value.fields == {"name": [services.DUPLICATE_NAME]}
    assert Inventory.objects.count() == 1


def test_a_refused_create_leaves_the_surrounding_transaction_usable(make_item):
    make_item(name="Brake Pad")
    with pytest.raises(InvalidInput):
        services.inventory_create(name="brake pad", price=Decimal("1"))
    assert services.inventory_create(name="Rotor", price=Decimal("1")).pk


def test_names_are_stored_without_invisible_characters_whoever_writes_them(db):
    item = Inventory.objects.create(name="\u200bOil\u200d filter\ufeff ", price=Decimal("1"))
    item.refresh_from_db()
    assert item.name == "Oil filter"
    item.name = "Ｏｉｌ filter"  # full-width letters fold to plain ones (NFKC)
    item.save()
    item.refresh_from_db()
    assert item.name == "Oil filter"


def test_update_changes_only_the_given_fields(make_item):
    item = make_item(name="Old", price=Decimal("1.00"))
    updated = services.inventory_update(item_id=item.pk, changes={"price": Decimal("7.25"), "colour": "red"})
    assert updated.pk == item.pk
    item.refresh_from_db()
    assert (item.name, item.price) == ("Old", Decimal("7.25"))


def test_update_to_another_items_name_is_invalid_input(make_item):
    make_item(name="Brake Pad")
    item = make_item(name="Rotor")
    with pytest.raises(InvalidInput) as caught:
        services.inventory_update(item_id=item.pk, changes={"name": "BRAKE PAD"})
    assert list(caught.value.fields) == ["name"]
    item.refresh_from_db()
    assert item.name == "Rotor"


def test_update_to_another_case_of_its_own_name_is_allowed(make_item):
    item = make_item(name="brake pad")
    services.inventory_update(item_id=item.pk, changes={"name": "Brake Pad"})
    item.refresh_from_db()
    assert item.name == "Brake Pad"


def test_update_of_an_unknown_item_is_not_found(db):
    with pytest.raises(NotFound):
        services.inventory_update(item_id=4242, changes={"price": Decimal("1")})
    assert not Inventory.objects.exists()


def test_delete_removes_an_unused_item(make_item):
    keep, gone = make_item(), make_item()
    services.inventory_delete(item_id=gone.pk)
    assert list(Inventory.objects.all()) == [keep]


def test_delete_refuses_an_item_used_on_tickets(make_item, make_ticket):
    item = make_item()
    make_ticket(parts=[(item, 1)])
    make_ticket(parts=[(item, 2)])
    with pytest.raises(Conflict) as caught:
        services.inventory_delete(item_id=item.pk)
    assert "2 ticket" in caught.value.message
    assert Inventory.objects.filter(pk=item.pk).exists()


def test_delete_of_an_unknown_item_is_not_found(db):
    with pytest.raises(NotFound):
        services.inventory_delete(item_id=4242)


@pytest.mark.parametrize("call", [services.inventory_create, services.inventory_update, services.inventory_delete])
def test_services_take_keyword_arguments_only(db, call):
    with pytest.raises(TypeError):
        call(1)
