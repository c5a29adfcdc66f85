"""tickets.selectors called directly: what they return and how many queries it takes."""

from datetime import date
from decimal import Decimal

import pytest

from core.renderers import JSONRenderer
from tickets import selectors
from tickets.models import Ticket, TicketLine
from tickets.serializers import TicketSerializer

pytestmark = pytest.mark.django_db

MAX_ID = 2**63 - 1


def rendered(ticket: Ticket) -> bytes:
    return JSONRenderer().render(TicketSerializer(ticket).data)


def listed(ticket_id: int) -> Ticket:
    """The ticket as ticket_list() loads it (the ORM's prefetching), the reference for the detail."""
    return selectors.ticket_list().get(pk=ticket_id)


@pytest.fixture
def decoy(make_ticket, make_mechanic, make_item):
    """Another ticket with lines of its own, so a selector that ignored its ticket id would show."""
    return make_ticket(
        vin="DECOY0000000", mechanics=[make_mechanic(name="Decoy Mech")], parts=[(make_item(name="Decoy Part"), 5)]
    )


# (mechanic count, [(price, quantity)] of the parts)
SHAPES = {
    "no-mechanics-no-parts": (0, []),
    "one-of-each": (1, [(Decimal("12.50"), 1)]),
    "several": (3, [(Decimal("12.50"), 3), (Decimal("0.05"), 2), (Decimal("1999.99"), 1), (Decimal("7.00"), 10)]),
    "mechanics-only": (2, []),
    "parts-only": (0, [(Decimal("0.10"), 4), (Decimal("99999999.99"), 2)]),
}


# --- ticket_detail --------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_ticket_detail_gives_mechanics_and_parts_in_id_order(
    customer, make_ticket, make_mechanic, make_item, decoy, shape
):
    mechanic_count, part_specs = shape
    mechanics = [make_mechanic() for _ in range(mechanic_count)]
    items = [make_item(price=price) for price, _ in part_specs]
    # Attached in the reverse of id order: the answer must be in id order whatever the insertion.
    ticket = make_ticket(
        customer=customer,
        mechanics=list(reversed(mechanics)),
        parts=list(reversed([(item, quantity) for item, (_, quantity) in zip(items, part_specs, strict=True)])),
        service_date=date(2026, 2, 28),
        service_description='Brakes, été — "quoted"',
    )

    detail = selectors.ticket_detail(ticket_id=ticket.pk)

    assert (detail.pk, detail.customer_id, detail.vin, detail.service_date) == (
        ticket.pk,
        customer.pk,
        ticket.vin,
        date(2026, 2, 28),
    )
    assert [(m.id, m.name) for m in detail.mechanic_list] == [(m.pk, m.name) for m in mechanics]
    assert [(p.inventory_id, p.inventory.name, p.inventory.price, p.quantity) for p in detail.part_list] == [
        (item.pk, item.name, price, quantity) for item, (price, quantity) in zip(items, part_specs, strict=True)
    ]
    assert all(type(p.inventory.price) is Decimal and type(p.quantity) is int for p in detail.part_list)
    # What the API renders from it is exactly what it renders from the ORM's prefetching.
    assert rendered(detail) == rendered(listed(ticket.pk))


def test_ticket_detail_interleaves_mechanic_and_part_ids_correctly(make_ticket, make_mechanic, make_item):
    """Mechanic and inventory ids come from different sequences and may be equal or interleave."""
    mechanics = [make_mechanic() for _ in range(3)]
    items = [make_item() for _ in range(3)]
    ticket = make_ticket(mechanics=[mechanics[2], mechanics[0]], parts=[(items[1], 2), (items[0], 1), (items[2], 3)])

    detail = selectors.ticket_detail(ticket_id=ticket.pk)

    assert [m.id for m in detail.mechanic_list] == [mechanics[0].pk, mechanics[2].pk]
    assert [(p.inventory_id, p.quantity) for p in detail.part_list] == [
        (items[0].pk, 1),
        (items[1].pk, 2),
        (items[2].pk, 3),
    ]


def test_ticket_detail_shows_current_names(make_ticket, make_mechanic, make_item):
    mechanic, item = make_mechanic(name="Old Name"), make_item(name="Old Part")
    ticket = make_ticket(mechanics=[mechanic], parts=[(item, 3)])
    mechanic.name, item.name = "New Name", "New Part"
    mechanic.save()
    item.save()

    detail = selectors.ticket_detail(ticket_id=ticket.pk)

    assert [m.name for m in detail.mechanic_list] == ["New Name"]
    assert [p.inventory.name for p in detail.part_list] == ["New Part"]


@pytest.mark.parametrize("ticket_id", [0, -1, 999999, MAX_ID, MAX_ID + 1, "0000", "9" * 19])
def test_ticket_detail_of_an_unknown_ticket_is_none(make_ticket, ticket_id):
    make_ticket()
    assert selectors.ticket_detail(ticket_id=ticket_id) is None


def test_ticket_detail_takes_an_id_as_the_path_gives_it(make_ticket):
    ticket = make_ticket()
    assert selectors.ticket_detail(ticket_id=f"000{ticket.pk}").pk == ticket.pk


@pytest.mark.parametrize("count", [0, 1, 20])
def test_ticket_detail_takes_four_queries_whatever_the_lines(
    make_ticket, make_mechanic, make_item, django_assert_num_queries, count
):
    ticket = make_ticket(
        mechanics=[make_mechanic() for _ in range(count)], parts=[(make_item(), 2) for _ in range(count)]
    )
    TicketLine.objects.bulk_create(
        [TicketLine(ticket=ticket, kind="labor", description="Work", quantity=1, unit_price=10) for _ in range(count)]
    )

    with django_assert_num_queries(4):  # the ticket with its invoice and paid; mechanics; parts; lines
        detail = selectors.ticket_detail(ticket_id=ticket.pk)
        data = TicketSerializer(detail).data

    assert (len(data["mechanics"]), len(data["parts"]), len(data["lines"])) == (count, count, count)
    assert data["totals"]["labor"] == 10 * count


def test_ticket_detail_of_an_unknown_ticket_takes_one_query(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert selectors.ticket_detail(ticket_id=1) is None


# --- ticket_list / tickets_of_customer -------------------------------------------------------------


@pytest.fixture
def tickets(make_ticket, make_mechanic, make_item, customer):
    """Five tickets (three of `customer`), each with mechanics and parts attached out of id order."""
    mechanics = [make_mechanic() for _ in range(4)]
    items = [make_item() for _ in range(4)]
    made = []
    for n in range(5):
        owner = {"customer": customer} if n % 2 == 0 else {}
        made.append(
            make_ticket(
                **owner,
                mechanics=[mechanics[(n + 1) % 4], mechanics[n % 4]],
                parts=[(items[(n + 2) % 4], n + 1), (items[n % 4], 1)],
            )
        )
        TicketLine.objects.create(ticket=made[-1], kind="fee", description="Disposal", quantity=1, unit_price=n)
    return made


def test_ticket_list_prefetches_mechanics_parts_and_lines_in_four_queries(tickets, django_assert_num_queries):
    with django_assert_num_queries(4):
        loaded = list(selectors.ticket_list())
        data = TicketSerializer(loaded, many=True).data

    assert [t.pk for t in loaded] == sorted(t.pk for t in tickets)
    for row, ticket in zip(data, tickets, strict=True):
        assert [m["id"] for m in row["mechanics"]] == sorted(ticket.mechanics.values_list("id", flat=True))
        assert [p["inventory_id"] for p in row["parts"]] == sorted(ticket.parts.values_list("id", flat=True))
        assert {p["inventory_id"]: p["quantity"] for p in row["parts"]} == dict(
            ticket.part_lines.values_list("inventory_id", "quantity")
        )


def test_ticket_list_of_no_tickets_takes_one_query(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert list(selectors.ticket_list()) == []


def test_ticket_list_and_ticket_detail_agree(tickets):
    for ticket in selectors.ticket_list():
        assert rendered(ticket) == rendered(selectors.ticket_detail(ticket_id=ticket.pk))


def test_tickets_of_customer_are_theirs_only_with_the_same_prefetching(tickets, customer, django_assert_num_queries):
    with django_assert_num_queries(4):
        mine = list(selectors.tickets_of_customer(customer_id=customer.pk))
        data = TicketSerializer(mine, many=True).data

    assert [t.pk for t in mine] == [tickets[0].pk, tickets[2].pk, tickets[4].pk]
    assert all(row["customer_id"] == customer.pk and len(row["mechanics"]) == 2 for row in data)


def test_tickets_of_a_customer_without_tickets_is_empty(tickets, make_customer):
    assert list(selectors.tickets_of_customer(customer_id=make_customer().pk)) == []
