"""Finding inventory items: GET /inventory?search=...&low_stock=...&ordering=... (API.md: "Finding
things in lists")."""

from decimal import Decimal

import pytest

from tests.asserts import assert_error


@pytest.fixture
def items(make_item):
    return [
        make_item(name="Brake pad", price=Decimal("49.99"), quantity_on_hand=2, reorder_point=5),  # low
        make_item(name="Oil filter", price=Decimal("7.50"), quantity_on_hand=50, reorder_point=10),
        make_item(name="Brake fluid", price=Decimal("12.00")),  # not tracked
        make_item(name="Wiper blade", price=Decimal("7.50"), quantity_on_hand=0, reorder_point=0),  # low: at the point
    ]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("search=brake", [0, 2]),
        ("search=FILTER", [1]),
        ("low_stock=true", [0, 3]),
        ("low_stock=false", [1, 2]),
        ("low_stock=", [0, 1, 2, 3]),
        ("low_stock=true&search=brake", [0]),
        ("ordering=name", [2, 0, 1, 3]),
        ("ordering=-price", [0, 2, 3, 1]),  # 7.50 twice: by id, descending
        ("ordering=price", [1, 3, 2, 0]),
        ("ordering=quantity_on_hand", [3, 0, 1, 2]),  # untracked items last both ways
        ("ordering=-quantity_on_hand", [1, 0, 3, 2]),
    ],
)
def test_search_low_stock_and_ordering(api_client, items, query, expected):
    """Anyone may read the inventory, filters included."""
    assert ids(api_client.get(f"/inventory?{query}")) == [items[i].pk for i in expected]


@pytest.mark.parametrize(
    "query, field",
    [
        ("low_stock=yes", "low_stock"),
        ("low_stock=1", "low_stock"),
        ("low_stock=True", "low_stock"),
        ("low_stock=true&low_stock=false", "low_stock"),
        ("ordering=reorder_point", "ordering"),
        ("ordering=name,name", "ordering"),
    ],
)
def test_invalid_values_are_400(api_client, items, query, field):
    assert_error(api_client.get(f"/inventory?{query}"), 400, field)


def test_a_page_of_low_stock_items(api_client, items):
    response = api_client.get("/inventory?low_stock=true&ordering=-id&page=1&per_page=1")
    assert ids(response) == [items[3].pk] and response["X-Total-Count"] == "2"
    assert "low_stock=true" in response["Link"]


def test_filters_add_no_query(api_client, items, django_assert_num_queries):
    with django_assert_num_queries(1):
        api_client.get("/inventory?low_stock=false&search=a&ordering=-quantity_on_hand")
    with django_assert_num_queries(2):
        api_client.get("/inventory?low_stock=false&search=a&page=1&per_page=1")
