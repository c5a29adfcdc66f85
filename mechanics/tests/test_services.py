"""mechanics.services: the writes, without HTTP."""

from decimal import Decimal

import pytest

from core.errors import Conflict, InvalidInput, NotFound
from mechanics import services
from mechanics.models import Mechanic


def test_create_stores_the_mechanic_with_a_normalised_email(db):
    mechanic = services.mechanic_create(
        name="Ada Wrench", email=" ADA@Example.com\u200b ", phone="555-0100", salary=Decimal("52000.50")
    )
    mechanic.refresh_from_db()
    assert (mechanic.name, mechanic.email, mechanic.phone, mechanic.salary, mechanic.ticket_count) == (
        "Ada Wrench",
        "ada@example.com",
        "555-0100",
        Decimal("52000.50"),
        0,
    )


@pytest.mark.parametrize("email", ["ada@example.com", "ADA@Example.com ", "ada@example.com\u200b"])
def test_create_turns_a_duplicate_email_the_serializer_missed_into_invalid_input(make_mechanic, email):
    # As when a concurrent request inserts the same email between the check and the insert.
    make_mechanic(email="ada@example.com")
    with pytest.raises(InvalidInput) as caught:
        services.mechanic_create(name="Ada", email=email, phone="1", salary=Decimal("1"))
    assert caught.value.fields == {"email": [services.DUPLICATE_EMAIL]}
    assert Mechanic.objects.count() == 1


def test_a_refused_create_leaves_the_surrounding_transaction_usable(make_mechanic):
    make_mechanic(email="ada@example.com")
    with pytest.raises(InvalidInput):
        services.mechanic_create(name="Ada", email="ada@example.com", phone="1", salary=Decimal("1"))
    assert services.mechanic_create(name="Bob", email="bob@example.com", phone="1", salary=Decimal("1")).pk


def test_update_changes_only_the_given_fields(make_mechanic):
    mechanic = make_mechanic(name="Old", phone="555-0000", salary=Decimal("10.00"))
    updated = services.mechanic_update(mechanic_id=mechanic.pk, changes={"name": "New", "email": "NEW@example.com"})
    assert updated.pk == mechanic.pk
    mechanic.refresh_from_db()
    assert (mechanic.name, mechanic.email, mechanic.phone, mechanic.salary) == (
        "New",
        "new@example.com",
        "555-0000",
        Decimal("10.00"),
    )


def test_update_ignores_keys_that_are_not_fields(make_mechanic):
    mechanic = make_mechanic()
    services.mechanic_update(mechanic_id=mechanic.pk, changes={"ticket_count": 7, "id": 999})
    mechanic.refresh_from_db()
    assert (mechanic.pk, mechanic.ticket_count) == (mechanic.pk, 0)
    assert not Mechanic.objects.filter(pk=999).exists()


def test_update_to_another_mechanics_email_is_invalid_input(make_mechanic):
    make_mechanic(email="taken@example.com")
    mechanic = make_mechanic(email="mine@example.com")
    with pytest.raises(InvalidInput) as caught:
        services.mechanic_update(mechanic_id=mechanic.pk, changes={"email": "Taken@example.com"})
    assert list(caught.value.fields) == ["email"]
    mechanic.refresh_from_db()
    assert mechanic.email == "mine@example.com"


def test_update_keeps_the_ticket_count_the_triggers_keep(make_mechanic, make_ticket):
    mechanic = make_mechanic()  # this copy says ticket_count 0
    make_ticket(mechanics=[mechanic])
    services.mechanic_update(mechanic_id=mechanic.pk, changes={"name": "Renamed"})
    mechanic.refresh_from_db()
    assert (mechanic.name, mechanic.ticket_count) == ("Renamed", 1)


def test_update_of_an_unknown_mechanic_is_not_found(db):
    with pytest.raises(NotFound):
        services.mechanic_update(mechanic_id=424242, changes={"name": "Ghost"})
    assert not Mechanic.objects.exists()


def test_delete_removes_a_free_mechanic(make_mechanic):
    keep, gone = make_mechanic(), make_mechanic()
    services.mechanic_delete(mechanic_id=gone.pk)
    assert list(Mechanic.objects.all()) == [keep]


def test_delete_refuses_a_mechanic_on_tickets(make_mechanic, make_ticket):
    mechanic = make_mechanic()
    make_ticket(mechanics=[mechanic])
    make_ticket(mechanics=[mechanic])
    with pytest.raises(Conflict) as caught:
        services.mechanic_delete(mechanic_id=mechanic.pk)
    assert "2 ticket" in caught.value.message
    assert Mechanic.objects.filter(pk=mechanic.pk).exists()
    assert mechanic.ticket_links.count() == 2


def test_delete_of_an_unknown_mechanic_is_not_found(db):
    with pytest.raises(NotFound):
        services.mechanic_delete(mechanic_id=424242)


@pytest.mark.parametrize("call", [services.mechanic_create, services.mechanic_update, services.mechanic_delete])
def test_services_take_keyword_arguments_only(db, call):
    with pytest.raises(TypeError):
        call(1)
