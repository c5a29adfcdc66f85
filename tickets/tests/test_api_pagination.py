"""Ticket pages over the API: page and per_page, the total and the Link header (API.md:
"Pagination")."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.asserts import assert_error
from tickets.tests.helpers import (
    BIG_ID,
    is_cache_hit,
    ticket_json,
)

# --- pagination -------------------------------------------------------------------------------------


def link_pages(response) -> dict[str, int]:
    """{rel: page} from an RFC 8288 Link header."""
    pages = {}
    for part in response["Link"].split(","):
        url, rel = part.split(";")
        url = url.strip().removeprefix("<").removesuffix(">")
        query = parse_qs(urlsplit(url).query)
        assert query["per_page"] == ["2"]
        pages[rel.strip().removeprefix('rel="').removesuffix('"')] = int(query["page"][0])
    return pages


PAGES = [
    (1, [0, 1], {"first": 1, "next": 2, "last": 3}),
    (2, [2, 3], {"first": 1, "prev": 1, "next": 3, "last": 3}),
    (3, [4], {"first": 1, "prev": 2, "last": 3}),
]


@pytest.mark.parametrize("page, rows, links", PAGES)
def test_ticket_pages_carry_total_and_link_header(staff_client, make_ticket, throttling_off, page, rows, links):
    tickets = [make_ticket() for _ in range(5)]
    response = staff_client.get(f"/tickets?page={page}&per_page=2")
    assert response.status_code == 200
    assert response.json() == [ticket_json(tickets[i]) for i in rows]
    assert response["X-Total-Count"] == "5"
    assert link_pages(response) == links


def test_cached_ticket_page_keeps_its_headers(staff_client, make_ticket, throttling_off):
    for _ in range(3):
        make_ticket()
    first = staff_client.get("/tickets?page=2&per_page=2")
    again = staff_client.get("/tickets?page=2&per_page=2")
    assert is_cache_hit(again)
    assert (again.json(), again["X-Total-Count"], again["Link"]) == (first.json(), "3", first["Link"])
    # Another page is cached on its own, not served from this one.
    other = staff_client.get("/tickets?page=1&per_page=2")
    assert not is_cache_hit(other) and len(other.json()) == 2


def test_whole_list_has_no_paging_headers(staff_client, make_ticket):
    make_ticket()
    response = staff_client.get("/tickets")
    assert not response.has_header("X-Total-Count") and not response.has_header("Link")


@pytest.mark.parametrize("page, rows, links", PAGES)
def test_my_tickets_pages(customer_client, customer, make_ticket, page, rows, links):
    mine = [make_ticket(customer=customer) for _ in range(5)]
    make_ticket()
    response = customer_client.get(f"/tickets/my-tickets?page={page}&per_page=2")
    assert response.status_code == 200
    assert response.json() == [ticket_json(mine[i]) for i in rows]
    assert response["X-Total-Count"] == "5"
    assert link_pages(response) == links


@pytest.mark.parametrize("page", [2, 5, 999_999_999])
@pytest.mark.parametrize("path", ["/tickets", "/tickets/", "/tickets/my-tickets"])
def test_page_past_the_end_is_an_empty_array(
    staff_client, customer_client, customer, make_ticket, throttling_off, path, page
):
    make_ticket(customer=customer)
    client = customer_client if "my-tickets" in path else staff_client
    response = client.get(f"{path}?page={page}&per_page=1")
    assert response.status_code == 200
    assert response.json() == []
    assert response["X-Total-Count"] == "1"


BAD_PAGING = [
    "page=abc&per_page=2",
    "page=0&per_page=2",
    "page=-1&per_page=2",
    "page=1.5&per_page=2",
    "page=&per_page=2",
    "page=1&per_page=0",
    "page=1&per_page=-1",
    "page=1&per_page=101",
    "page=1&per_page=abc",
    "page=1&per_page=1.5",
    f"page={BIG_ID}&per_page=2",
    "page=1",
    "per_page=2",
]


@pytest.mark.parametrize("query", BAD_PAGING)
@pytest.mark.parametrize("path", ["/tickets", "/tickets/my-tickets"])
def test_bad_paging_parameters_are_400(
    staff_client, customer_client, customer, make_ticket, throttling_off, path, query
):
    make_ticket(customer=customer)
    client = customer_client if "my-tickets" in path else staff_client
    assert_error(client.get(f"{path}?{query}"), 400)


def test_per_page_100_is_allowed(staff_client, make_ticket):
    make_ticket()
    response = staff_client.get("/tickets?page=1&per_page=100")
    assert response.status_code == 200
    assert len(response.json()) == 1
