"""Finding mechanics: GET /mechanics?search=...&ordering=... (API.md: "Finding things in lists")."""

from decimal import Decimal

import pytest

from core.caching import bump
from tests.asserts import assert_error


@pytest.fixture(autouse=True)
def _unthrottled(throttling_off):
    """These tests make more list requests than the mechanics_list limit allows."""


@pytest.fixture
def crew(make_mechanic):
    return [
        make_mechanic(name="Grace Hopper", email="grace@navy.mil", salary=Decimal("90000")),
        make_mechanic(name="Linus", email="linus@kernel.org", salary=Decimal("70000.50")),
        make_mechanic(name="Ada", email="ada@example.com", salary=Decimal("70000.50")),
    ]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("search=grace", [0]),
        ("search=KERNEL", [1]),
        ("search=o", [0, 1, 2]),
        ("search=555", []),  # phone is not searched
        ("ordering=name", [2, 0, 1]),
        ("ordering=-name", [1, 0, 2]),
        ("ordering=salary", [1, 2, 0]),  # ties by id
        ("ordering=-salary", [0, 2, 1]),  # ties by id, descending like the last term
        ("ordering=salary,-id", [2, 1, 0]),
    ],
)
def test_search_and_ordering(staff_client, crew, query, expected):
    assert ids(staff_client.get(f"/mechanics?{query}")) == [crew[i].pk for i in expected]


@pytest.mark.parametrize("query", ["ordering=email", "ordering=ticket_count", "ordering=-", "search=" + "w" * 101])
def test_invalid_search_or_ordering_is_400(staff_client, crew, query):
    assert_error(staff_client.get(f"/mechanics?{query}"), 400, query.split("=")[0])


def test_cached_list_is_kept_apart_by_the_query(staff_client, crew):
    assert ids(staff_client.get("/mechanics?ordering=-id")) == [m.pk for m in reversed(crew)]
    assert ids(staff_client.get("/mechanics?ordering=id")) == [m.pk for m in crew]
    hit = staff_client.get("/mechanics?ordering=-id")
    assert hit.has_header("Age") and ids(hit) == [m.pk for m in reversed(crew)]


def test_search_adds_no_query(staff_client, crew, django_assert_num_queries):
    staff_client.get("/mechanics/top-3-mechanics")  # the caller's account is now cached
    bump("mechanics")
    with django_assert_num_queries(1):
        assert ids(staff_client.get("/mechanics?search=o&ordering=-salary")) == [crew[0].pk, crew[2].pk, crew[1].pk]
