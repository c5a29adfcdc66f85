"""tickets.services called directly, without HTTP."""

from datetime import date

import pytest

from core import caching
from core.errors import InvalidInput, NotFound
from tests.concurrency import needs_row_locks, run_concurrently
from tickets import services
from tickets.models import Ticket, TicketInventory, TicketMechanic
from tickets.tests.helpers import mechanic_ids, part_lines

pytestmark = pytest.mark.django_db

MAX_ID = 2**63 - 1


class Boom(Exception):
    pass


def explode(*args, **kwargs):
    raise Boom


# --- ticket_create / ticket_update ---------------------------------------------------------------


def test_ticket_create_stores_the_ticket(customer):
    ticket = services.ticket_create(
        customer_id=customer.pk, vin="ABC123", service_date=date(2026, 11, 25), service_description="Brakes"
    )
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.customer_id, stored.vin, stored.service_date, stored.service_description) == (
        customer.pk,
        "ABC123",
        date(2026, 11, 25),
        "Brakes",
    )


@pytest.mark.parametrize("customer_id", [424242, MAX_ID])
def test_ticket_create_for_unknown_customer_raises_not_found(db, customer_id):
    with pytest.raises(NotFound) as caught:
        services.ticket_create(
            customer_id=customer_id, vin="ABC", service_date=date(2026, 1, 1), service_description="x"
        )
    assert str(customer_id) in caught.value.message
    assert "missing_ids" not in caught.value.extra
    assert not Ticket.objects.exists()


def test_ticket_create_makes_cached_ticket_reads_stale(customer):
    before = caching.generation("tickets")
    services.ticket_create(customer_id=customer.pk, vin="ABC", service_date=date(2026, 1, 1), service_description="x")
    assert caching.generation("tickets") != before


def test_ticket_update_to_unknown_customer_raises_and_keeps_the_ticket(make_ticket):
    ticket = make_ticket()
    owner = ticket.customer_id
    with pytest.raises(NotFound):
        services.ticket_update(ticket_id=ticket.pk, changes={"customer_id": 424242, "vin": "NEWVIN"})
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.customer_id, stored.vin) == (owner, "1HGCM82633A004352")


def test_ticket_update_changes_only_given_fields(make_ticket, make_customer):
    ticket = make_ticket()
    other = make_customer()
    returned = services.ticket_update(
        ticket_id=ticket.pk, changes={"customer_id": other.pk, "service_description": "Tyres"}
    )
    stored = Ticket.objects.get(pk=ticket.pk)
    assert returned.pk == ticket.pk
    assert (stored.customer_id, stored.service_description, stored.vin, stored.service_date) == (
        other.pk,
        "Tyres",
        "1HGCM82633A004352",
        date(2026, 11, 1),
    )


def test_ticket_update_ignores_keys_that_are_not_ticket_fields(make_ticket):
    ticket = make_ticket()
    services.ticket_update(ticket_id=ticket.pk, changes={"id": ticket.pk + 100, "mechanics": [1], "vin": "NEW"})
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.vin == "NEW"
    assert not Ticket.objects.filter(pk=ticket.pk + 100).exists()


@pytest.mark.parametrize("ticket_id", [0, 999999, MAX_ID, MAX_ID + 1])
def test_ticket_update_of_unknown_ticket_raises_not_found(db, ticket_id):
    with pytest.raises(NotFound) as caught:
        services.ticket_update(ticket_id=ticket_id, changes={"vin": "NEW"})
    assert "Ticket" in caught.value.message
    assert not Ticket.objects.exists()


# --- assign_mechanic / remove_mechanic -----------------------------------------------------------


def test_assign_mechanic_returns_true_then_false(make_ticket, make_mechanic):
    ticket, mechanic = make_ticket(), make_mechanic()
    assert services.assign_mechanic(ticket_id=ticket.pk, mechanic_id=mechanic.pk) is True
    assert services.assign_mechanic(ticket_id=ticket.pk, mechanic_id=mechanic.pk) is False
    assert mechanic_ids(ticket) == [mechanic.pk]


@pytest.mark.parametrize("bad_id", [0, 999999, MAX_ID, MAX_ID + 1])
def test_assign_mechanic_to_unknown_ticket_raises_not_found(make_mechanic, bad_id):
    mechanic = make_mechanic()
    with pytest.raises(NotFound) as caught:
        services.assign_mechanic(ticket_id=bad_id, mechanic_id=mechanic.pk)
    assert "Ticket" in caught.value.message
    assert not TicketMechanic.objects.exists()


@pytest.mark.parametrize("bad_id", [0, 999999, MAX_ID, MAX_ID + 1])
def test_assign_unknown_mechanic_raises_not_found(make_ticket, bad_id):
    ticket = make_ticket()
    with pytest.raises(NotFound) as caught:
        services.assign_mechanic(ticket_id=ticket.pk, mechanic_id=bad_id)
    assert "Mechanic" in caught.value.message
    assert not TicketMechanic.objects.exists()


def test_remove_mechanic_takes_only_that_mechanic_off(make_ticket, make_mechanic):
    stays, goes = make_mechanic(), make_mechanic()
    ticket = make_ticket(mechanics=[stays, goes])
    other = make_ticket(mechanics=[goes])
    services.remove_mechanic(ticket_id=ticket.pk, mechanic_id=goes.pk)
    assert mechanic_ids(ticket) == [stays.pk]
    assert mechanic_ids(other) == [goes.pk]


def test_remove_mechanic_not_assigned_raises_not_found(make_ticket, make_mechanic):
    ticket, mechanic = make_ticket(), make_mechanic()
    with pytest.raises(NotFound) as caught:
        services.remove_mechanic(ticket_id=ticket.pk, mechanic_id=mechanic.pk)
    assert "not assigned" in caught.value.message


@pytest.mark.parametrize("unknown", ["ticket", "mechanic"])
def test_remove_mechanic_with_unknown_ids_raises_not_found(make_ticket, make_mechanic, unknown):
    mechanic = make_mechanic()
    ticket = make_ticket(mechanics=[mechanic])
    with pytest.raises(NotFound):
        services.remove_mechanic(
            ticket_id=999999 if unknown == "ticket" else ticket.pk,
            mechanic_id=999999 if unknown == "mechanic" else mechanic.pk,
        )
    assert mechanic_ids(ticket) == [mechanic.pk]


@pytest.mark.parametrize(
    "change",
    [
        lambda t, m: services.assign_mechanic(ticket_id=t.pk, mechanic_id=m.pk),
        lambda t, m: services.remove_mechanic(ticket_id=t.pk, mechanic_id=t.mechanics.first().pk),
        lambda t, m: services.update_mechanics(ticket_id=t.pk, add_ids=[m.pk], remove_ids=[]),
        lambda t, m: services.ticket_update(ticket_id=t.pk, changes={"vin": "NEW"}),
    ],
    ids=["assign", "remove", "update-mechanics", "update"],
)
def test_every_change_makes_cached_ticket_reads_stale(make_ticket, make_mechanic, change):
    ticket = make_ticket(mechanics=[make_mechanic()])
    before = caching.generation("tickets")
    change(ticket, make_mechanic())
    assert caching.generation("tickets") != before


# --- update_mechanics -------------------------------------------------------------------------------


@pytest.fixture
def crew(make_ticket, make_mechanic):
    """A ticket with mechanics a and b; c and d are free."""
    a, b, c, d = (make_mechanic() for _ in range(4))
    return make_ticket(mechanics=[a, b]), (a, b, c, d)


def test_update_mechanics_adds_and_removes(crew):
    ticket, (a, b, c, d) = crew
    returned = services.update_mechanics(ticket_id=ticket.pk, add_ids=[d.pk, c.pk, a.pk], remove_ids=[b.pk])
    assert returned.pk == ticket.pk
    assert mechanic_ids(ticket) == sorted([a.pk, c.pk, d.pk])


def test_update_mechanics_accepts_any_iterables_and_repeats(crew):
    ticket, (a, b, c, _) = crew
    services.update_mechanics(ticket_id=ticket.pk, add_ids=(mid for mid in [c.pk, c.pk]), remove_ids=iter([b.pk, b.pk]))
    assert mechanic_ids(ticket) == [a.pk, c.pk]


def test_update_mechanics_with_nothing_to_do_changes_nothing(crew):
    ticket, (a, b, _, _) = crew
    services.update_mechanics(ticket_id=ticket.pk, add_ids=[], remove_ids=[])
    assert mechanic_ids(ticket) == [a.pk, b.pk]


def test_removing_an_unassigned_known_mechanic_is_not_an_error(crew):
    ticket, (a, b, _, d) = crew
    services.update_mechanics(ticket_id=ticket.pk, add_ids=[], remove_ids=[d.pk])
    assert mechanic_ids(ticket) == [a.pk, b.pk]


def test_update_mechanics_unknown_ids_raise_not_found_with_exactly_those_ids(crew):
    ticket, (a, b, c, _) = crew
    with pytest.raises(NotFound) as caught:
        services.update_mechanics(ticket_id=ticket.pk, add_ids=[c.pk, 999999, 999997], remove_ids=[a.pk, 999998])
    assert caught.value.extra["missing_ids"] == [999997, 999998, 999999]
    assert mechanic_ids(ticket) == [a.pk, b.pk]


def test_update_mechanics_id_in_both_lists_raises_invalid_input(crew):
    ticket, (a, b, c, _) = crew
    with pytest.raises(InvalidInput) as caught:
        services.update_mechanics(ticket_id=ticket.pk, add_ids=[c.pk, a.pk], remove_ids=[a.pk])
    assert list(caught.value.fields) == ["add_mechanic_ids"]
    assert str(a.pk) in caught.value.fields["add_mechanic_ids"][0]
    assert mechanic_ids(ticket) == [a.pk, b.pk]


def test_update_mechanics_on_unknown_ticket_raises_not_found(crew):
    _, (_, _, c, _) = crew
    with pytest.raises(NotFound) as caught:
        services.update_mechanics(ticket_id=999999, add_ids=[c.pk], remove_ids=[])
    assert "missing_ids" not in caught.value.extra
    assert not TicketMechanic.objects.filter(mechanic=c).exists()


def test_update_mechanics_rolls_back_everything_when_it_fails_part_way(crew, monkeypatch):
    ticket, (a, b, c, _) = crew
    monkeypatch.setattr(services, "bump_ticket", explode)  # fails after both the inserts and the deletes
    with pytest.raises(Boom):
        services.update_mechanics(ticket_id=ticket.pk, add_ids=[c.pk], remove_ids=[a.pk])
    assert mechanic_ids(ticket) == [a.pk, b.pk]


def ticket_counts(*mechanics) -> list[int]:
    from mechanics.models import Mechanic

    counts = dict(Mechanic.objects.values_list("id", "ticket_count"))
    return [counts[m.pk] for m in mechanics]


def test_mechanic_ticket_counts_follow_every_kind_of_change(make_ticket, make_mechanic):
    """The database triggers of migration 0002 keep Mechanic.ticket_count (the top-3 ranking) equal
    to the mechanic's assignments, bulk inserts and cascades included."""
    a, b, c = make_mechanic(), make_mechanic(), make_mechanic()
    first = make_ticket(mechanics=[a, b])  # bulk insert
    second = make_ticket()
    assert ticket_counts(a, b, c) == [1, 1, 0]

    services.assign_mechanic(ticket_id=second.pk, mechanic_id=a.pk)
    services.assign_mechanic(ticket_id=second.pk, mechanic_id=a.pk)  # already there: no change
    assert ticket_counts(a, b, c) == [2, 1, 0]

    services.update_mechanics(ticket_id=first.pk, add_ids=[c.pk, a.pk], remove_ids=[b.pk])
    assert ticket_counts(a, b, c) == [2, 0, 1]

    services.remove_mechanic(ticket_id=second.pk, mechanic_id=a.pk)
    assert ticket_counts(a, b, c) == [1, 0, 1]

    first.delete()  # the ticket's assignments go with it
    assert ticket_counts(a, b, c) == [0, 0, 0]


def test_mechanic_ticket_counts_are_rolled_back_with_a_failed_change(crew, monkeypatch):
    ticket, (a, b, c, _) = crew
    monkeypatch.setattr(services, "bump_ticket", explode)
    with pytest.raises(Boom):
        services.update_mechanics(ticket_id=ticket.pk, add_ids=[c.pk], remove_ids=[a.pk])
    assert ticket_counts(a, b, c) == [1, 1, 0]


# --- add_parts --------------------------------------------------------------------------------------


@pytest.fixture
def stock(make_item):
    return [make_item() for _ in range(3)]


def test_add_parts_adds_new_and_reports_existing(make_ticket, stock):
    i1, i2, i3 = stock
    ticket = make_ticket(parts=[(i2, 5)])
    result = services.add_parts(ticket_id=ticket.pk, quantities={i3.pk: 2, i2.pk: 9, i1.pk: 1})
    assert result.ticket_id == ticket.pk
    assert result.added_inventory_ids == [i1.pk, i3.pk]
    assert result.duplicate_inventory_ids == [i2.pk]
    assert result.requested_count == 3
    assert part_lines(ticket) == {i1.pk: 1, i2.pk: 5, i3.pk: 2}


def test_add_parts_only_duplicates_adds_nothing(make_ticket, stock):
    ticket = make_ticket(parts=[(stock[0], 4)])
    result = services.add_parts(ticket_id=ticket.pk, quantities={stock[0].pk: 1})
    assert (result.added_inventory_ids, result.duplicate_inventory_ids, result.requested_count) == (
        [],
        [stock[0].pk],
        1,
    )
    assert part_lines(ticket) == {stock[0].pk: 4}


def test_add_parts_with_nothing_raises_invalid_input(make_ticket):
    ticket = make_ticket()
    with pytest.raises(InvalidInput) as caught:
        services.add_parts(ticket_id=ticket.pk, quantities={})
    assert "add_inventory_items" in caught.value.fields


def test_add_parts_unknown_ids_raise_not_found_and_add_nothing(make_ticket, stock):
    ticket = make_ticket()
    with pytest.raises(NotFound) as caught:
        services.add_parts(ticket_id=ticket.pk, quantities={stock[0].pk: 1, 999999: 1, 999998: 3})
    assert caught.value.extra["missing_ids"] == [999998, 999999]
    assert part_lines(ticket) == {}


def test_add_parts_to_unknown_ticket_raises_not_found(stock):
    with pytest.raises(NotFound) as caught:
        services.add_parts(ticket_id=999999, quantities={stock[0].pk: 1})
    assert "missing_ids" not in caught.value.extra
    assert not TicketInventory.objects.exists()


def test_add_parts_is_one_transaction(make_ticket, stock, monkeypatch):
    ticket = make_ticket(parts=[(stock[0], 1)])
    monkeypatch.setattr(services, "bump_ticket", explode)  # fails after the lines were inserted
    with pytest.raises(Boom):
        services.add_parts(ticket_id=ticket.pk, quantities={stock[1].pk: 2, stock[2].pk: 3})
    assert part_lines(ticket) == {stock[0].pk: 1}


def test_add_parts_leaves_other_tickets_alone(make_ticket, stock):
    ticket, other = make_ticket(), make_ticket(parts=[(stock[0], 6)])
    result = services.add_parts(ticket_id=ticket.pk, quantities={stock[0].pk: 2})
    assert result.added_inventory_ids == [stock[0].pk]
    assert part_lines(ticket) == {stock[0].pk: 2}
    assert part_lines(other) == {stock[0].pk: 6}


def test_add_parts_makes_cached_ticket_reads_stale(make_ticket, stock):
    ticket = make_ticket()
    before = caching.generation("tickets")
    services.add_parts(ticket_id=ticket.pk, quantities={stock[0].pk: 2})
    assert caching.generation("tickets") != before


# --- concurrent changes to one ticket ---------------------------------------------------------------


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_of_the_same_part_add_it_once(make_ticket, make_item):
    ticket, item = make_ticket(), make_item()
    results = run_concurrently(
        *(lambda q=q: services.add_parts(ticket_id=ticket.pk, quantities={item.pk: q}) for q in (2, 3, 4))
    )
    assert sorted(len(r.added_inventory_ids) for r in results) == [0, 0, 1]
    assert sorted(len(r.duplicate_inventory_ids) for r in results) == [0, 1, 1]
    assert TicketInventory.objects.filter(ticket=ticket).count() == 1


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_concurrent_update_mechanics_on_one_ticket_do_not_collide(make_ticket, make_mechanic):
    ticket = make_ticket()
    ids = [make_mechanic().pk for _ in range(3)]
    run_concurrently(
        *(lambda: services.update_mechanics(ticket_id=ticket.pk, add_ids=ids, remove_ids=[]) for _ in range(3))
    )
    assert mechanic_ids(ticket) == sorted(ids)
