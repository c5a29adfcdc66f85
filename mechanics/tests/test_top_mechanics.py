"""GET /mechanics/top-3-mechanics and the selector behind it."""

import pytest

from mechanics import selectors


def expected(mechanic, ticket_count: int) -> dict:
    return {"id": mechanic.pk, "name": mechanic.name, "email": mechanic.email, "ticket_count": ticket_count}


@pytest.fixture
def busy_shop(make_mechanic, make_ticket):
    """Five mechanics on 3, 1, 3, 0 and 2 tickets."""
    mechanics = [make_mechanic() for _ in range(5)]
    a, b, c, _, e = mechanics
    for crew in ([a, b, c, e], [a, c, e], [a, c]):
        make_ticket(mechanics=crew)
    return mechanics


@pytest.mark.parametrize("path", ["/mechanics/top-3-mechanics", "/mechanics/top-3-mechanics/"])
def test_most_tickets_first_ties_to_lower_id(staff_client, busy_shop, path):
    a, _, c, _, e = busy_shop
    response = staff_client.get(path)
    assert response.status_code == 200
    assert response.json() == [expected(a, 3), expected(c, 3), expected(e, 2)]


def test_tie_goes_to_the_lower_id_whatever_the_creation_order_of_tickets(staff_client, make_mechanic, make_ticket):
    low, high = make_mechanic(), make_mechanic()
    make_ticket(mechanics=[high])
    make_ticket(mechanics=[low])
    assert [row["id"] for row in staff_client.get("/mechanics/top-3-mechanics").json()] == [low.pk, high.pk]


def test_mechanics_without_tickets_fill_the_list_by_id(staff_client, make_mechanic, make_ticket):
    idle_1, idle_2, busy, idle_3 = (make_mechanic() for _ in range(4))
    make_ticket(mechanics=[busy])
    assert staff_client.get("/mechanics/top-3-mechanics").json() == [
        expected(busy, 1),
        expected(idle_1, 0),
        expected(idle_2, 0),
    ]


@pytest.mark.parametrize("count", [0, 1, 2])
def test_fewer_than_three_mechanics_returns_them_all(staff_client, make_mechanic, make_ticket, count):
    mechanics = [make_mechanic() for _ in range(count)]
    if mechanics:
        make_ticket(mechanics=mechanics[-1:])
    response = staff_client.get("/mechanics/top-3-mechanics")
    assert response.status_code == 200
    # The last-created mechanic holds the only ticket, so they lead; the rest follow by id.
    assert response.json() == [expected(m, 1) for m in mechanics[-1:]] + [expected(m, 0) for m in mechanics[:-1]]


def test_parts_and_other_tickets_do_not_inflate_counts(staff_client, make_mechanic, make_ticket, make_item):
    mechanic = make_mechanic()
    make_ticket(mechanics=[mechanic], parts=[(make_item(), 2), (make_item(), 5)])
    make_ticket(parts=[(make_item(), 1)])
    assert staff_client.get("/mechanics/top-3-mechanics").json() == [expected(mechanic, 1)]


def test_ranking_follows_assignment_changes_without_stale_cache(staff_client, make_mechanic, make_ticket):
    first, second = make_mechanic(), make_mechanic()
    ticket = make_ticket(mechanics=[first])
    assert staff_client.get("/mechanics/top-3-mechanics").json()[0]["id"] == first.pk
    assert staff_client.put(f"/tickets/{ticket.pk}/remove-mechanic/{first.pk}").status_code == 200
    assert staff_client.put(f"/tickets/{ticket.pk}/assign-mechanic/{second.pk}").status_code == 200
    assert staff_client.get("/mechanics/top-3-mechanics").json() == [expected(second, 1), expected(first, 0)]


def test_top_mechanics_is_one_query(busy_shop, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = selectors.top_mechanics()
    assert [row["ticket_count"] for row in rows] == [3, 3, 2]


@pytest.mark.parametrize("limit", [1, 5, 10])
def test_selector_limit_is_respected(busy_shop, limit):
    rows = selectors.top_mechanics(limit)
    assert [row["ticket_count"] for row in rows] == [3, 3, 2, 1, 0][:limit]
    assert all(set(row) == {"id", "name", "email", "ticket_count"} for row in rows)
