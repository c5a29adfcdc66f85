"""List endpoints cost a fixed number of queries, however many rows they return.

Each request is measured on a cache miss (the cache is cleared first), so a cached response
cannot hide the queries, and so the caller is loaded from the database: one query (later requests
find the caller in the cache), anonymous calls none.
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets.models import TicketInventory, TicketMechanic

# caller + tickets + their mechanics + their parts lines (with the items joined in)
TICKET_LIST_QUERIES = 4
# caller + count + page + mechanics + parts lines
TICKET_PAGE_QUERIES = 5
# caller + the ticket with its mechanics + its parts lines
TICKET_DETAIL_QUERIES = 3
# caller + rows
MECHANIC_LIST_QUERIES = 2
CUSTOMER_LIST_QUERIES = 2
# rows only: the inventory is public
INVENTORY_LIST_QUERIES = 1


def measured_get(client, path: str) -> tuple[int, list]:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


@pytest.fixture
def pool(make_mechanic, make_item):
    return [make_mechanic() for _ in range(10)], [make_item() for _ in range(10)]


@pytest.fixture
def add_tickets(make_ticket, pool):
    """Add tickets, each with two mechanics and two parts lines."""
    mechanics, items = pool

    def add(count: int, customer=None) -> None:
        for n in range(count):
            make_ticket(
                customer=customer,
                mechanics=[mechanics[n % 10], mechanics[(n + 3) % 10]],
                parts=[(items[n % 10], 1), (items[(n + 5) % 10], 2)],
            )

    return add


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/tickets", TICKET_LIST_QUERIES),
        ("/tickets/", TICKET_LIST_QUERIES),
        ("/tickets?page=1&per_page=100", TICKET_PAGE_QUERIES),
        ("/tickets?page=2&per_page=2", TICKET_PAGE_QUERIES),
    ],
)
def test_ticket_list_query_count_does_not_grow_with_tickets(
    staff_client, add_tickets, django_assert_num_queries, path, expected
):
    add_tickets(3)
    few, few_rows = measured_get(staff_client, path)
    add_tickets(47)
    many, many_rows = measured_get(staff_client, path)
    assert few == many == expected
    assert len(many_rows) > len(few_rows)
    assert all(len(row["mechanics"]) == 2 and len(row["parts"]) == 2 for row in many_rows)
    assert TicketMechanic.objects.count() == 100 and TicketInventory.objects.count() == 100
    cache.clear()
    with django_assert_num_queries(expected):
        staff_client.get(path)


@pytest.mark.parametrize(
    "path, expected",
    [("/tickets/my-tickets", TICKET_LIST_QUERIES), ("/tickets/my-tickets?page=1&per_page=100", TICKET_PAGE_QUERIES)],
)
def test_my_tickets_query_count_does_not_grow_with_tickets(
    customer_client, customer, add_tickets, django_assert_num_queries, path, expected
):
    add_tickets(3, customer)
    add_tickets(5)  # someone else's
    few, few_rows = measured_get(customer_client, path)
    add_tickets(47, customer)
    many, many_rows = measured_get(customer_client, path)
    assert (len(few_rows), len(many_rows)) == (3, 50)
    assert few == many == expected
    cache.clear()
    with django_assert_num_queries(expected):
        customer_client.get(path)


def test_ticket_detail_query_count_does_not_grow_with_mechanics_and_parts(
    staff_client, make_ticket, make_mechanic, make_item, django_assert_num_queries
):
    small = make_ticket(mechanics=[make_mechanic()], parts=[(make_item(), 1)])
    large = make_ticket(mechanics=[make_mechanic() for _ in range(20)], parts=[(make_item(), 1) for _ in range(20)])
    few, _ = measured_get(staff_client, f"/tickets/{small.pk}")
    many, body = measured_get(staff_client, f"/tickets/{large.pk}")
    assert (len(body["mechanics"]), len(body["parts"])) == (20, 20)
    assert few == many
    cache.clear()
    with django_assert_num_queries(TICKET_DETAIL_QUERIES):
        staff_client.get(f"/tickets/{large.pk}")


def test_update_mechanics_query_count_does_not_grow_with_ids(staff_client, make_ticket, make_mechanic):
    mechanics = [make_mechanic() for _ in range(40)]
    one, many = make_ticket(mechanics=mechanics[:1]), make_ticket(mechanics=mechanics[:20])

    def measure(ticket, add, remove) -> int:
        cache.clear()  # both load the caller
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.put(
                f"/tickets/{ticket.pk}/update-mechanics",
                {"add_mechanic_ids": [m.pk for m in add], "remove_mechanic_ids": [m.pk for m in remove]},
                format="json",
            )
        assert response.status_code == 200
        return len(queries)

    assert measure(one, mechanics[1:2], mechanics[:1]) == measure(many, mechanics[20:40], mechanics[:20])


@pytest.mark.parametrize("path", ["/mechanics", "/mechanics?page=1&per_page=100"])
def test_mechanic_list_query_count_does_not_grow(staff_client, make_mechanic, django_assert_num_queries, path):
    expected = MECHANIC_LIST_QUERIES + ("page=" in path)  # a page also counts the rows
    for _ in range(3):
        make_mechanic()
    few, _ = measured_get(staff_client, path)
    for _ in range(47):
        make_mechanic()
    many, rows = measured_get(staff_client, path)
    assert len(rows) == 50
    assert few == many == expected
    cache.clear()
    with django_assert_num_queries(expected):
        staff_client.get(path)


def test_top_mechanics_query_count_does_not_grow(staff_client, add_tickets, django_assert_num_queries):
    add_tickets(3)
    few, _ = measured_get(staff_client, "/mechanics/top-3-mechanics")
    add_tickets(47)
    many, rows = measured_get(staff_client, "/mechanics/top-3-mechanics")
    counts = [row["ticket_count"] for row in rows]
    assert len(counts) == 3 and counts == sorted(counts, reverse=True) and counts[-1] > 0
    assert few == many == 2
    cache.clear()
    with django_assert_num_queries(2):
        staff_client.get("/mechanics/top-3-mechanics")


@pytest.mark.parametrize("path", ["/customers", "/customers?page=1&per_page=100"])
def test_customer_list_query_count_does_not_grow(staff_client, make_customer, django_assert_num_queries, path):
    expected = CUSTOMER_LIST_QUERIES + ("page=" in path)
    for _ in range(3):
        make_customer()
    few, _ = measured_get(staff_client, path)
    for _ in range(47):
        make_customer()
    many, rows = measured_get(staff_client, path)
    assert len(rows) == 50
    assert few == many == expected
    cache.clear()
    with django_assert_num_queries(expected):
        staff_client.get(path)


@pytest.mark.parametrize("path", ["/inventory", "/inventory?page=1&per_page=100"])
def test_inventory_list_query_count_does_not_grow(api_client, make_item, django_assert_num_queries, path):
    expected = INVENTORY_LIST_QUERIES + ("page=" in path)
    for _ in range(3):
        make_item()
    few, _ = measured_get(api_client, path)
    for _ in range(47):
        make_item()
    many, rows = measured_get(api_client, path)
    assert len(rows) == 50
    assert few == many == expected
    cache.clear()
    with django_assert_num_queries(expected):
        api_client.get(path)
