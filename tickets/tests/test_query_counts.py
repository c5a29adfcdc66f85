"""The ticket endpoints cost a fixed number of queries, however many rows they return.

Every measurement is made with a warm principal: the caller made one request first, so their
account comes from the cache and costs no query. Lists are measured on a cache miss (a write
since the last read makes the cached page stale), and checked to be one (no Age header).
"""

import pytest

from core.caching import bump
from tickets.models import TicketInventory, TicketLine, TicketMechanic
from tickets.tests.helpers import TICKET_DETAIL_QUERIES, TICKET_LIST_QUERIES, TICKET_PAGE_QUERIES
from tickets.versions import bump_ticket


def add_lines(ticket, count: int) -> None:
    TicketLine.objects.bulk_create(
        [
            TicketLine(
                ticket=ticket, kind="labor" if n % 2 else "fee", description="Work", quantity="1.5", unit_price=10
            )
            for n in range(count)
        ]
    )


@pytest.fixture(autouse=True)
def _unthrottled(throttling_off):
    """Measurements make more list requests than the tickets_list limit allows."""


@pytest.fixture
def pool(make_mechanic, make_item):
    return [make_mechanic() for _ in range(10)], [make_item() for _ in range(10)]


@pytest.fixture
def add_tickets(make_ticket, pool):
    """Add tickets, each with two mechanics and two parts lines. Written around the services (by
    the factories), they make the cached ticket reads stale themselves, as a bulk load does."""
    mechanics, items = pool

    def add(count: int, customer=None) -> None:
        owner = {"customer": customer} if customer is not None else {}
        for n in range(count):
            ticket = make_ticket(
                **owner,
                mechanics=[mechanics[n % 10], mechanics[(n + 3) % 10]],
                parts=[(items[n % 10], 1), (items[(n + 5) % 10], 2)],
            )
            add_lines(ticket, 2)
        bump("tickets")

    return add


def warm(client) -> None:
    """One request, so the caller's account is in the cache."""
    assert client.get("/tickets/my-tickets").status_code in (200, 403)


def measured_get(client, path: str, django_assert_num_queries, expected: int):
    with django_assert_num_queries(expected):
        response = client.get(path)
    assert response.status_code == 200, response.content
    assert not response.has_header("Age"), "measured a cached response"
    return response.json()


# --- GET /tickets/<id> ------------------------------------------------------------------------------


@pytest.mark.parametrize("lines", [0, 1, 20])
def test_ticket_detail_is_four_queries_whatever_the_mechanics_parts_and_lines(
    staff_client, make_ticket, make_mechanic, make_item, django_assert_num_queries, lines
):
    ticket = make_ticket(
        mechanics=[make_mechanic() for _ in range(lines)], parts=[(make_item(), 1) for _ in range(lines)]
    )
    add_lines(ticket, lines)
    url = f"/tickets/{ticket.pk}"
    warm(staff_client)

    body = measured_get(staff_client, url, django_assert_num_queries, TICKET_DETAIL_QUERIES)

    assert (len(body["mechanics"]), len(body["parts"]), len(body["lines"])) == (lines, lines, lines)


def test_ticket_detail_of_an_invoiced_ticket_with_payments_is_four_queries_too(
    staff_client, make_ticket, make_item, django_assert_num_queries
):
    from tickets import services, workflow

    ticket = make_ticket(parts=[(make_item(price=10), 2)])
    add_lines(ticket, 20)
    for to in ("approved", "in_progress", "completed", "invoiced"):
        workflow.transition(ticket_id=ticket.pk, to=to, by="staff")
    for _ in range(3):
        services.add_payment(ticket_id=ticket.pk, amount=1, method="cash")
    warm(staff_client)

    body = measured_get(staff_client, f"/tickets/{ticket.pk}", django_assert_num_queries, TICKET_DETAIL_QUERIES)

    assert body["invoice_number"] == ticket.invoice.pk
    assert (body["totals"]["total"], body["totals"]["paid"], body["totals"]["balance"]) == (320, 3, 317)


def test_ticket_detail_for_its_customer_is_four_queries_too(
    customer_client, customer, make_ticket, make_mechanic, make_item, django_assert_num_queries
):
    ticket = make_ticket(
        customer=customer, mechanics=[make_mechanic() for _ in range(20)], parts=[(make_item(), 1) for _ in range(20)]
    )
    add_lines(ticket, 20)
    warm(customer_client)

    body = measured_get(customer_client, f"/tickets/{ticket.pk}", django_assert_num_queries, TICKET_DETAIL_QUERIES)

    assert (len(body["mechanics"]), len(body["parts"]), len(body["lines"])) == (20, 20, 20)


def test_a_warm_principal_costs_no_query(staff_client, make_ticket, django_assert_num_queries):
    """The first request also loads the caller: exactly one query more. (The cached answer is
    made stale in between, the caller's account kept: a hit costs no query at all.)"""
    ticket = make_ticket()
    with django_assert_num_queries(TICKET_DETAIL_QUERIES + 1):
        assert staff_client.get(f"/tickets/{ticket.pk}").status_code == 200
    bump_ticket(ticket.pk)  # not caches["default"].clear(): on Redis that flushes the accounts too
    with django_assert_num_queries(TICKET_DETAIL_QUERIES):
        assert staff_client.get(f"/tickets/{ticket.pk}").status_code == 200
    with django_assert_num_queries(0):
        assert staff_client.get(f"/tickets/{ticket.pk}").has_header("Age")


# --- GET /tickets ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/tickets", TICKET_LIST_QUERIES),
        ("/tickets/", TICKET_LIST_QUERIES),
        ("/tickets?page=1&per_page=20", TICKET_PAGE_QUERIES),
        ("/tickets?page=2&per_page=2", TICKET_PAGE_QUERIES),
    ],
)
def test_ticket_list_query_count_does_not_grow_with_tickets(
    staff_client, add_tickets, django_assert_num_queries, path, expected
):
    warm(staff_client)
    add_tickets(3)
    few = measured_get(staff_client, path, django_assert_num_queries, expected)
    add_tickets(47)  # also makes the cached answer stale
    many = measured_get(staff_client, path, django_assert_num_queries, expected)

    assert len(many) > len(few) or len(many) == len(few) == 2
    assert all(len(row["mechanics"]) == 2 and len(row["parts"]) == 2 and len(row["lines"]) == 2 for row in many)
    assert TicketMechanic.objects.count() == 100 and TicketInventory.objects.count() == 100


def test_a_page_of_tickets_costs_the_same_however_full_it_is(staff_client, add_tickets, django_assert_num_queries):
    warm(staff_client)
    sizes = []
    for count in (1, 19, 20):  # a page of 1, of 20, and of 20 with more after it
        add_tickets(count)
        sizes.append(
            len(
                measured_get(
                    staff_client, "/tickets?page=1&per_page=20", django_assert_num_queries, TICKET_PAGE_QUERIES
                )
            )
        )
    assert sizes == [1, 20, 20]


def test_a_cached_page_costs_no_query(staff_client, add_tickets, django_assert_num_queries):
    warm(staff_client)
    add_tickets(3)
    staff_client.get("/tickets?page=1&per_page=20")
    with django_assert_num_queries(0):
        response = staff_client.get("/tickets?page=1&per_page=20")
    assert response.has_header("Age") and len(response.json()) == 3


# --- GET /tickets/my-tickets -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, expected",
    [("/tickets/my-tickets", TICKET_LIST_QUERIES), ("/tickets/my-tickets?page=1&per_page=100", TICKET_PAGE_QUERIES)],
)
def test_my_tickets_query_count_does_not_grow_with_tickets(
    customer_client, customer, add_tickets, django_assert_num_queries, path, expected
):
    warm(customer_client)
    add_tickets(3, customer)
    add_tickets(5)  # someone else's
    few = measured_get(customer_client, path, django_assert_num_queries, expected)
    add_tickets(47, customer)
    many = measured_get(customer_client, path, django_assert_num_queries, expected)

    assert (len(few), len(many)) == (3, 50)
    assert all(
        row["customer_id"] == customer.pk and len(row["mechanics"]) == 2 and len(row["parts"]) == 2 for row in many
    )


# --- PUT /tickets/<id>/update-mechanics --------------------------------------------------------------


def test_update_mechanics_query_count_does_not_grow_with_ids(staff_client, make_ticket, make_mechanic):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    mechanics = [make_mechanic() for _ in range(40)]
    one, many = make_ticket(mechanics=mechanics[:1]), make_ticket(mechanics=mechanics[:20])
    warm(staff_client)

    def measure(ticket, add, remove) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.put(
                f"/tickets/{ticket.pk}/update-mechanics",
                {"add_mechanic_ids": [m.pk for m in add], "remove_mechanic_ids": [m.pk for m in remove]},
                format="json",
            )
        assert response.status_code == 200
        return len(queries)

    assert measure(one, mechanics[1:2], mechanics[:1]) == measure(many, mechanics[20:40], mechanics[:20])


def test_ticket_list_of_invoiced_tickets_with_payments_costs_the_same(
    staff_client, add_tickets, django_assert_num_queries
):
    from tickets import services, workflow
    from tickets.models import Ticket

    warm(staff_client)

    def invoice_all() -> None:
        for ticket_id in Ticket.objects.exclude(status="invoiced").values_list("pk", flat=True):
            for to in ("approved", "in_progress", "completed", "invoiced"):
                workflow.transition(ticket_id=ticket_id, to=to, by="staff")
            services.add_payment(ticket_id=ticket_id, amount=1, method="cash")

    add_tickets(2)
    invoice_all()
    few = measured_get(staff_client, "/tickets", django_assert_num_queries, TICKET_LIST_QUERIES)
    add_tickets(20)
    invoice_all()
    many = measured_get(staff_client, "/tickets", django_assert_num_queries, TICKET_LIST_QUERIES)

    assert (len(few), len(many)) == (2, 22)
    assert all(row["invoice_number"] and row["totals"]["paid"] == 1 for row in many)
