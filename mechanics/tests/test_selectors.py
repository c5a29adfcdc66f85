"""mechanics.selectors: the reads, without HTTP."""

import pytest

from mechanics import selectors


def row(mechanic, ticket_count: int) -> dict:
    return {"id": mechanic.pk, "name": mechanic.name, "email": mechanic.email, "ticket_count": ticket_count}


def test_mechanic_list_is_ordered_by_id(make_mechanic):
    mechanics = [make_mechanic(name=name) for name in ("Zed", "Amy", "Moe")]
    assert list(selectors.mechanic_list()) == mechanics


@pytest.mark.parametrize("email", ["ada@example.com", "ADA@EXAMPLE.COM", "  Ada@Example.com ", "ada\u200b@example.com"])
def test_email_taken_ignores_case_spaces_and_invisible_characters(make_mechanic, email):
    make_mechanic(email="ada@example.com")
    assert selectors.email_taken(email=email)


def test_email_taken_leaves_out_the_mechanic_itself(make_mechanic):
    mechanic = make_mechanic(email="ada@example.com")
    other = make_mechanic()
    assert not selectors.email_taken(email="ADA@example.com", exclude_id=mechanic.pk)
    assert selectors.email_taken(email="ADA@example.com", exclude_id=other.pk)
    assert not selectors.email_taken(email="ada2@example.com")


@pytest.fixture
def busy_shop(make_mechanic, make_ticket):
    """Five mechanics on 3, 1, 3, 0 and 2 tickets."""
    mechanics = [make_mechanic() for _ in range(5)]
    a, b, c, _, e = mechanics
    for crew in ([a, b, c, e], [a, c, e], [a, c]):
        make_ticket(mechanics=crew)
    return mechanics


def test_top_mechanics_most_tickets_first_ties_to_the_lower_id(busy_shop):
    a, b, c, d, e = busy_shop
    assert selectors.top_mechanics() == [row(a, 3), row(c, 3), row(e, 2)]
    assert selectors.top_mechanics(limit=5) == [row(a, 3), row(c, 3), row(e, 2), row(b, 1), row(d, 0)]


def test_top_mechanics_ties_ignore_the_order_tickets_were_created_in(make_mechanic, make_ticket):
    low, mid, high = make_mechanic(), make_mechanic(), make_mechanic()
    for mechanic in (high, mid, low, high, low):
        make_ticket(mechanics=[mechanic])
    assert selectors.top_mechanics() == [row(low, 2), row(high, 2), row(mid, 1)]


def test_top_mechanics_fills_with_idle_mechanics_when_fewer_than_three_have_tickets(make_mechanic, make_ticket):
    idle_1, busy, idle_2, idle_3 = (make_mechanic() for _ in range(4))
    make_ticket(mechanics=[busy])
    assert selectors.top_mechanics() == [row(busy, 1), row(idle_1, 0), row(idle_2, 0)]


def test_top_mechanics_with_no_tickets_at_all_is_the_first_three_by_id(make_mechanic):
    mechanics = [make_mechanic() for _ in range(4)]
    assert selectors.top_mechanics() == [row(m, 0) for m in mechanics[:3]]


@pytest.mark.parametrize("count", [0, 1, 2])
def test_top_mechanics_of_fewer_than_three_mechanics_is_all_of_them(make_mechanic, make_ticket, count):
    mechanics = [make_mechanic() for _ in range(count)]
    if mechanics:
        make_ticket(mechanics=mechanics[:1])
    assert selectors.top_mechanics() == [row(m, 1 if i == 0 else 0) for i, m in enumerate(mechanics)]


@pytest.mark.parametrize("limit", [1, 2, 5, 10])
def test_top_mechanics_respects_the_limit(busy_shop, limit):
    rows = selectors.top_mechanics(limit=limit)
    assert [r["ticket_count"] for r in rows] == [3, 3, 2, 1, 0][:limit]
    assert all(list(r) == ["id", "name", "email", "ticket_count"] for r in rows)


def test_top_mechanics_is_one_query(busy_shop, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = selectors.top_mechanics()
    assert [r["ticket_count"] for r in rows] == [3, 3, 2]


def test_top_mechanics_counts_a_ticket_once_per_mechanic(make_mechanic, make_ticket, make_item):
    mechanic = make_mechanic()
    make_ticket(mechanics=[mechanic], parts=[(make_item(), 2), (make_item(), 5)])
    make_ticket(parts=[(make_item(), 1)])
    assert selectors.top_mechanics() == [row(mechanic, 1)]
