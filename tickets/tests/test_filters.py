"""Finding tickets: filters, search and ordering on GET /tickets and GET /tickets/my-tickets, as an
API client sees them (API.md: "Finding things in lists", "Pagination")."""

import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils.http import urlencode

from core.caching import bump
from tests.asserts import assert_error
from tickets import workflow
from tickets.models import Status, TicketMechanic
from tickets.tests.helpers import TICKET_LIST_QUERIES, TICKET_PAGE_QUERIES
from vehicles.models import Vehicle

VIN_A = "1HGCM82633A004352"
VIN_B = "1M8GDM9AXKP042788"


@pytest.fixture(autouse=True)
def _unthrottled(throttling_off):
    """These tests make more list requests than the tickets_list limit allows."""


@pytest.fixture
def shop(make_customer, make_ticket, make_mechanic):
    """Two customers' tickets across statuses, dates, VINs, a vehicle and a mechanic."""
    ada, bob = make_customer(name="Ada"), make_customer(name="Bob")
    mechanic = make_mechanic()
    vehicle = Vehicle.objects.create(customer=ada, vin=VIN_A, year=2003, make="Honda", model="Accord")
    t = {
        "a1": make_ticket(
            customer=ada,
            vin=VIN_A,
            vehicle=vehicle,
            service_date=date(2026, 1, 10),
            service_description="Brake pads front",
            status=Status.CLOSED,
            mechanics=[mechanic],
        ),
        "a2": make_ticket(
            customer=ada,
            vin=VIN_A,
            vehicle=vehicle,
            service_date=date(2026, 3, 5),
            service_description="Oil change",
            status=Status.IN_PROGRESS,
        ),
        "a3": make_ticket(
            customer=ada,
            vin=VIN_B,
            service_date=date(2026, 2, 1),
            service_description="Timing belt",
            status=Status.ESTIMATE,
            mechanics=[mechanic],
        ),
        "b1": make_ticket(
            customer=bob,
            vin=VIN_B,
            service_date=date(2026, 3, 5),
            service_description="Brake fluid",
            status=Status.IN_PROGRESS,
        ),
        "b2": make_ticket(
            customer=bob,
            vin=VIN_B,
            service_date=date(2025, 12, 31),
            service_description="Tyre rotation",
            status=Status.CANCELLED,
        ),
    }
    return {"ada": ada, "bob": bob, "mechanic": mechanic, "vehicle": vehicle, **t}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [ticket["id"] for ticket in response.json()]


def pks(shop, *names: str) -> list[int]:
    return [shop[name].pk for name in names]


# --- each filter ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"status": "in_progress"}, ["a2", "b1"]),
        ({"status": "cancelled"}, ["b2"]),
        ({"status": "invoiced"}, []),
        ({"vin": VIN_B}, ["a3", "b1", "b2"]),
        ({"vin": VIN_B.lower()}, ["a3", "b1", "b2"]),  # VINs are stored upper-case
        ({"vin": f" {VIN_A.lower()} "}, ["a1", "a2"]),
        ({"vin": VIN_A[:10]}, []),  # exact, not a prefix
        ({"service_date_after": "2026-03-05"}, ["a2", "b1"]),
        ({"service_date_before": "2026-01-10"}, ["a1", "b2"]),
        ({"service_date_after": "2026-01-01", "service_date_before": "2026-02-28"}, ["a1", "a3"]),
        ({"service_date_after": "2026-04-01", "service_date_before": "2026-01-01"}, []),
        ({"search": "brake"}, ["a1", "b1"]),  # description, ignoring case
        ({"search": "BRAKE FRONT"}, ["a1"]),  # every word must match
        ({"search": "82633a"}, ["a1", "a2"]),  # VIN fragment
        ({"search": "brake 4352"}, ["a1"]),  # one word in the description, one in the VIN
        ({"search": "nothing-like-it"}, []),
        ({"search": ""}, ["a1", "a2", "a3", "b1", "b2"]),
        ({"search": "\u200b "}, ["a1", "a2", "a3", "b1", "b2"]),  # nothing visible: no search
        ({"search": "ｂｒａｋｅ"}, ["a1", "b1"]),  # full-width letters are NFKC-normalised like stored text
        ({"search": "50%"}, []),  # LIKE wildcards are literal
        ({"search": "o"}, ["a1", "a2", "b2"]),  # a word too short for a trigram index
        ({"status": "in_progress", "vin": VIN_B}, ["b1"]),
        ({"status": "in_progress", "search": "oil", "service_date_after": "2026-03-01"}, ["a2"]),
        ({"unknown_param": "whatever", "sort": "x"}, ["a1", "a2", "a3", "b1", "b2"]),  # ignored
    ],
)
def test_each_filter_and_combinations(staff_client, shop, query, expected):
    assert ids(staff_client.get(f"/tickets?{urlencode(query)}")) == pks(shop, *expected)


def test_filter_by_customer_vehicle_and_mechanic(staff_client, shop):
    assert ids(staff_client.get(f"/tickets?customer_id={shop['bob'].pk}")) == pks(shop, "b1", "b2")
    assert ids(staff_client.get(f"/tickets?vehicle_id={shop['vehicle'].pk}")) == pks(shop, "a1", "a2")
    assert ids(staff_client.get(f"/tickets?mechanic_id={shop['mechanic'].pk}")) == pks(shop, "a1", "a3")
    both = f"/tickets?mechanic_id={shop['mechanic'].pk}&customer_id={shop['ada'].pk}&status=estimate"
    assert ids(staff_client.get(both)) == pks(shop, "a3")


def test_a_ticket_with_several_mechanics_is_listed_once(staff_client, shop, make_mechanic):
    TicketMechanic.objects.create(ticket=shop["a1"], mechanic=make_mechanic())
    assert ids(staff_client.get(f"/tickets?mechanic_id={shop['mechanic'].pk}")) == pks(shop, "a1", "a3")


def test_an_id_that_names_nothing_finds_nothing(staff_client, shop):
    for name in ("customer_id", "vehicle_id", "mechanic_id"):
        assert ids(staff_client.get(f"/tickets?{name}={2**63 - 1}")) == []


# --- ordering ------------------------------------------------------------------------------------


def test_default_order_is_by_id(staff_client, shop):
    assert ids(staff_client.get("/tickets")) == pks(shop, "a1", "a2", "a3", "b1", "b2")


@pytest.mark.parametrize(
    "ordering, expected",
    [
        ("id", ["a1", "a2", "a3", "b1", "b2"]),
        ("-id", ["b2", "b1", "a3", "a2", "a1"]),
        # ties (a2 and b1 on 2026-03-05) by id, in the direction of the last term
        ("service_date", ["b2", "a1", "a3", "a2", "b1"]),
        ("-service_date", ["b1", "a2", "a3", "a1", "b2"]),
        ("status", ["b2", "a1", "a3", "a2", "b1"]),  # alphabetical: cancelled, closed, estimate, in_progress
        ("-status", ["b1", "a2", "a3", "a1", "b2"]),
        ("status,-service_date", ["b2", "a1", "a3", "b1", "a2"]),
        ("-service_date,id", ["a2", "b1", "a3", "a1", "b2"]),
        (" service_date , -id ", ["b2", "a1", "a3", "b1", "a2"]),
    ],
)
def test_ordering_both_ways(staff_client, shop, ordering, expected):
    assert ids(staff_client.get(f"/tickets?{urlencode({'ordering': ordering})}")) == pks(shop, *expected)


def test_ordering_applies_after_filters(staff_client, shop):
    response = staff_client.get("/tickets?status=in_progress&ordering=-id")
    assert ids(response) == pks(shop, "b1", "a2")


# --- 400s ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=done", "status"),
        ("status=IN_PROGRESS", "status"),
        ("status=", None),  # empty means "not given": no 400
        ("customer_id=abc", "customer_id"),
        ("customer_id=0", "customer_id"),
        ("customer_id=-1", "customer_id"),
        ("customer_id=1.5", "customer_id"),
        ("customer_id=1e3", "customer_id"),
        (f"customer_id={2**63}", "customer_id"),
        (f"vehicle_id={2**70}", "vehicle_id"),
        ("vehicle_id=99999999999999999999999999999999", "vehicle_id"),
        (f"mechanic_id={-(2**63)}", "mechanic_id"),
        ("vin=" + "A" * 18, "vin"),
        ("service_date_after=2026-13-01", "service_date_after"),
        ("service_date_after=01/02/2026", "service_date_after"),
        ("service_date_before=2026-02-30", "service_date_before"),
        ("service_date_before=yesterday", "service_date_before"),
        ("service_date_before=99999-01-01", "service_date_before"),
        ("ordering=price", "ordering"),
        ("ordering=-", "ordering"),
        ("ordering=-,id,", "ordering"),
        ("ordering=id,", "ordering"),
        ("ordering=,", "ordering"),
        ("ordering=id,-id", "ordering"),
        ("ordering=service_date,service_date", "ordering"),
        ("ordering=--id", "ordering"),
        ("ordering=customer__password", "ordering"),
        ("ordering=mechanics__name", "ordering"),
        ("search=" + "a" * 101, "search"),
        ("search=a+b+c+d+e+f", "search"),
        ("status=closed&status=estimate", "status"),
        ("customer_id=1&customer_id=2", "customer_id"),
        ("ordering=id&ordering=-id", "ordering"),
        ("search=a&search=b", "search"),
    ],
)
def test_invalid_filter_values_are_400_naming_the_parameter(staff_client, shop, query, field):
    response = staff_client.get(f"/tickets?{query}")
    if field is None:
        assert response.status_code == 200
        return
    body = assert_error(response, 400, field)
    assert body["error"] == "Invalid input."
    assert list(body["fields"]) == [field]


def test_every_invalid_parameter_is_reported_at_once(staff_client, shop):
    body = assert_error(staff_client.get("/tickets?status=x&customer_id=y&service_date_after=z"), 400)
    assert set(body["fields"]) == {"status", "customer_id", "service_date_after"}


def test_longest_search_allowed_is_accepted(staff_client, shop):
    assert ids(staff_client.get(f"/tickets?search={'b' * 100}")) == []
    assert ids(staff_client.get("/tickets?search=brake+pads+front+brake+pads")) == pks(shop, "a1")


def test_filters_are_ignored_on_a_single_ticket(staff_client, shop):
    """Filters belong to lists: GET /tickets/<id>?status=x is the ticket, not a 400 or a 404."""
    response = staff_client.get(f"/tickets/{shop['a1'].pk}?status=estimate&ordering=nope&search=zzz")
    assert response.status_code == 200 and response.json()["id"] == shop["a1"].pk


# --- with pagination -----------------------------------------------------------------------------


def link_urls(header: str) -> dict[str, dict[str, list[str]]]:
    urls = {}
    for part in header.split(","):
        url, rel = re.fullmatch(r'\s*<([^>]+)>; rel="(\w+)"', part).groups()
        urls[rel] = parse_qs(urlsplit(url).query)
    return urls


def test_filtered_pages_count_the_filtered_list_and_links_keep_the_filters(staff_client, shop, make_ticket):
    for day in range(1, 6):
        make_ticket(customer=shop["bob"], vin=VIN_B, service_date=date(2026, 4, day), status=Status.IN_PROGRESS)
    query = f"status=in_progress&vin={VIN_B.lower()}&ordering=-service_date&search=oil"
    everything = staff_client.get(f"/tickets?{query}")
    assert len(everything.json()) == 5 and not everything.has_header("X-Total-Count")

    pages = [staff_client.get(f"/tickets?{query}&page={n}&per_page=2") for n in (1, 2, 3)]
    assert {page["X-Total-Count"] for page in pages} == {"5"}
    assert [ticket for page in pages for ticket in page.json()] == everything.json()
    links = link_urls(pages[1]["Link"])
    assert set(links) == {"first", "prev", "next", "last"}
    for rel, expected_page in {"first": "1", "prev": "1", "next": "3", "last": "3"}.items():
        assert links[rel] == {
            "status": ["in_progress"],
            "vin": [VIN_B.lower()],
            "ordering": ["-service_date"],
            "search": ["oil"],
            "page": [expected_page],
            "per_page": ["2"],
        }


def test_a_filter_matching_nothing_has_a_total_of_zero(staff_client, shop):
    response = staff_client.get("/tickets?status=invoiced&page=1&per_page=10")
    assert ids(response) == [] and response["X-Total-Count"] == "0"


def test_pagination_errors_stay_400_with_filters(staff_client, shop):
    assert_error(staff_client.get("/tickets?status=closed&page=0&per_page=10"), 400, "page")


# --- cached lists --------------------------------------------------------------------------------


def test_cached_lists_are_kept_apart_by_their_filters(staff_client, shop, make_ticket):
    first = staff_client.get("/tickets?status=in_progress")
    other = staff_client.get("/tickets?status=cancelled")
    assert ids(first) == pks(shop, "a2", "b1") and ids(other) == pks(shop, "b2")
    again = staff_client.get("/tickets?status=in_progress")
    assert again.has_header("Age") and ids(again) == pks(shop, "a2", "b1")
    assert not staff_client.get("/tickets?status=in_progress&ordering=-id").has_header("Age")


def test_a_write_refreshes_every_filtered_list(staff_client, shop):
    assert ids(staff_client.get("/tickets?status=in_progress")) == pks(shop, "a2", "b1")
    for status in (Status.APPROVED, Status.IN_PROGRESS):
        workflow.transition(ticket_id=shop["a3"].pk, to=status, by="staff")
    assert ids(staff_client.get("/tickets?status=in_progress")) == sorted(pks(shop, "a2", "a3", "b1"))


# --- my-tickets ----------------------------------------------------------------------------------


def test_my_tickets_takes_the_same_filters_on_the_callers_own_tickets(client_for, shop):
    ada = client_for(shop["ada"])
    assert ids(ada.get("/tickets/my-tickets")) == pks(shop, "a1", "a2", "a3")
    assert ids(ada.get("/tickets/my-tickets?status=in_progress")) == pks(shop, "a2")
    assert ids(ada.get(f"/tickets/my-tickets?vin={VIN_B}")) == pks(shop, "a3")
    assert ids(ada.get("/tickets/my-tickets?search=brake")) == pks(shop, "a1")
    assert ids(ada.get("/tickets/my-tickets?ordering=-service_date")) == pks(shop, "a2", "a3", "a1")
    assert ids(ada.get("/tickets/my-tickets?service_date_after=2026-02-01")) == pks(shop, "a2", "a3")
    page = ada.get("/tickets/my-tickets?ordering=-id&page=1&per_page=2")
    assert ids(page) == pks(shop, "a3", "a2") and page["X-Total-Count"] == "3"
    assert link_urls(page["Link"])["next"]["ordering"] == ["-id"]


def test_my_tickets_never_shows_another_customers_ticket(client_for, shop):
    ada = client_for(shop["ada"])
    bob = shop["bob"]
    assert ids(ada.get(f"/tickets/my-tickets?customer_id={bob.pk}")) == []
    assert ids(ada.get("/tickets/my-tickets?search=fluid")) == []  # only Bob's b1 says "fluid"
    assert ids(ada.get("/tickets/my-tickets?status=cancelled")) == []  # only Bob's b2 is cancelled
    assert ids(ada.get(f"/tickets/my-tickets?vin={VIN_B}&customer_id={bob.pk}")) == []
    assert ids(client_for(bob).get(f"/tickets/my-tickets?vin={VIN_A}")) == []


def test_my_tickets_invalid_filters_are_400(client_for, shop):
    ada = client_for(shop["ada"])
    assert_error(ada.get("/tickets/my-tickets?status=nope"), 400, "status")
    assert_error(ada.get("/tickets/my-tickets?ordering=customer_id"), 400, "ordering")


def test_filtering_comes_after_the_role_check(api_client, customer_client, shop):
    """A 401/403 is decided before anything else, an invalid filter included."""
    assert api_client.get("/tickets?status=nope").status_code == 401
    assert customer_client.get("/tickets?status=nope").status_code == 403


# --- query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?status=in_progress",
        "?mechanic_id={m}",
        "?search=brake&ordering=-service_date",
        "?vin=" + VIN_B + "&service_date_after=2025-01-01&service_date_before=2027-01-01&customer_id={c}",
    ],
)
def test_filters_do_not_change_the_number_of_queries(staff_client, shop, query, django_assert_num_queries):
    query = query.format(m=shop["mechanic"].pk, c=shop["bob"].pk)
    staff_client.get("/tickets/my-tickets")  # the caller's account is now cached
    for suffix, expected in (("", TICKET_LIST_QUERIES), ("page=1&per_page=2", TICKET_PAGE_QUERIES)):
        bump("tickets")
        path = f"/tickets{query}{'&' if query else '?'}{suffix}" if suffix else f"/tickets{query}"
        with django_assert_num_queries(expected):
            response = staff_client.get(path)
        assert response.status_code == 200 and not response.has_header("Age")


# --- the OpenAPI document ------------------------------------------------------------------------


TICKET_FILTERS = {
    "status",
    "customer_id",
    "vehicle_id",
    "mechanic_id",
    "vin",
    "service_date_after",
    "service_date_before",
    "search",
    "ordering",
    "page",
    "per_page",
}


@pytest.mark.parametrize("path", ["/tickets", "/tickets/my-tickets"])
def test_the_filters_are_in_the_openapi_document(api_client, path):
    schema = api_client.get("/api/schema/?format=json").json()
    parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "query"}
    assert set(parameters) == TICKET_FILTERS
    assert parameters["status"]["schema"]["enum"] == sorted(Status.values)
    assert parameters["customer_id"]["schema"] == {
        "type": "integer",
        "format": "int64",
        "minimum": 1,
        "maximum": 2**63 - 1,
    }
    assert parameters["service_date_after"]["schema"] == {"type": "string", "format": "date"}
    assert "service_date, status" in parameters["ordering"]["description"]


def test_my_tickets_filters_do_not_change_the_number_of_queries(client_for, shop, django_assert_num_queries):
    ada = client_for(shop["ada"])
    ada.get("/tickets/my-tickets")  # the caller's account is now cached
    for path, expected in (
        ("/tickets/my-tickets?status=closed&search=brake&ordering=-service_date", TICKET_LIST_QUERIES),
        ("/tickets/my-tickets?vin=" + VIN_A + "&page=1&per_page=1", TICKET_PAGE_QUERIES),
    ):
        with django_assert_num_queries(expected):
            assert ids(ada.get(path)) == pks(shop, "a1")
