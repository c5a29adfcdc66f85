"""Finding customers: GET /customers?search=...&ordering=... (API.md: "Finding things in lists")."""

import pytest

from tests.asserts import assert_error


@pytest.fixture(autouse=True)
def _unthrottled(throttling_off):
    """These tests make more list requests than the customers_list limit allows."""


@pytest.fixture
def people(make_customer):
    return [
        make_customer(name="Ada Lovelace", email="ada@example.com", phone="555-0101"),
        make_customer(name="Charles Babbage", email="charles@engine.org", phone="555-0202"),
        make_customer(name="Adam Byron", email="byron@example.com", phone="777-0303"),
    ]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("search=ada", [0, 2]),  # name, ignoring case
        ("search=engine.org", [1]),  # email
        ("search=777", [2]),  # phone
        ("search=ada+example", [0, 2]),
        ("search=ada+byron", [2]),
        ("search=%EF%BC%A1da", [0, 2]),  # full-width "Ａda" is NFKC-normalised like stored text
        ("ordering=name", [0, 2, 1]),
        ("ordering=-name", [1, 2, 0]),
        ("ordering=-email", [1, 2, 0]),
        ("ordering=-id", [2, 1, 0]),
        ("search=example&ordering=-id", [2, 0]),
    ],
)
def test_search_and_ordering(staff_client, people, query, expected):
    assert ids(staff_client.get(f"/customers?{query}")) == [people[i].pk for i in expected]


@pytest.mark.parametrize(
    "query, field",
    [
        ("ordering=phone", "ordering"),
        ("ordering=password", "ordering"),
        ("ordering=name,", "ordering"),
        ("search=" + "x" * 101, "search"),
    ],
)
def test_invalid_search_or_ordering_is_400(staff_client, people, query, field):
    assert_error(staff_client.get(f"/customers?{query}"), 400, field)


def test_pages_of_a_search(staff_client, people):
    response = staff_client.get("/customers?search=example&ordering=-id&page=2&per_page=1")
    assert ids(response) == [people[0].pk] and response["X-Total-Count"] == "2"
    assert "search=example" in response["Link"] and "ordering=-id" in response["Link"]


def test_search_and_ordering_do_not_apply_to_one_customer(staff_client, people):
    response = staff_client.get(f"/customers/{people[1].pk}?search=nobody&ordering=nope")
    assert response.status_code == 200 and response.json()["id"] == people[1].pk


def test_search_adds_no_query(staff_client, people, django_assert_num_queries):
    staff_client.get("/customers")  # the caller's account is now cached
    with django_assert_num_queries(1):
        assert ids(staff_client.get("/customers?search=ada&ordering=-name")) == [people[2].pk, people[0].pk]
