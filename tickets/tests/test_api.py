"""The /tickets endpoints as an API client sees them (API.md: "Ticket", "Who may call what",
"Pagination", "Rate limits")."""

from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import OperationalError

from core.ratelimits import account_key
from tests.asserts import assert_error
from tickets import services
from tickets.models import Ticket, TicketInventory, TicketMechanic

BEFORE_NEXT_WINDOW = 800  # s: an hourly window's Retry-After
MAX_ID = 2**63 - 1
BIG_ID = 2**70  # 22 digits: no path matches it, and no body field accepts it


def ticket_json(ticket: Ticket) -> dict:
    """The ticket as the API must show it, read straight from the models."""
    ticket = Ticket.objects.get(pk=ticket.pk)
    return {
        "id": ticket.pk,
        "VIN": ticket.vin,
        "service_date": ticket.service_date.isoformat(),
        "service_description": ticket.service_description,
        "customer_id": ticket.customer_id,
        "vehicle_id": ticket.vehicle_id,
        "mileage_in": ticket.mileage_in,
        "mileage_out": ticket.mileage_out,
        "mechanics": [{"id": m.pk, "name": m.name} for m in ticket.mechanics.order_by("id")],
        "parts": [
            {
                "inventory_id": line.inventory_id,
                "name": line.inventory.name,
                "price": float(line.unit_price),
                "quantity": line.quantity,
            }
            for line in ticket.part_lines.select_related("inventory").order_by("inventory_id")
        ],
        **workflow_json(ticket),
    }


def workflow_json(ticket: Ticket) -> dict:
    """status, lines, totals and invoice_number of a ticket without payments or tax (TAX_RATE 0),
    whose amounts are exact in cents."""
    lines = list(ticket.lines.order_by("id"))
    parts = sum(line.quantity * line.unit_price for line in ticket.part_lines.all())
    labor = sum(line.quantity * line.unit_price for line in lines if line.kind == "labor")
    fees = sum(line.quantity * line.unit_price for line in lines if line.kind == "fee")
    total = float(parts + labor + fees)
    return {
        "status": ticket.status,
        "lines": [
            {
                "id": line.pk,
                "kind": line.kind,
                "description": line.description,
                "quantity": float(line.quantity),
                "unit_price": float(line.unit_price),
                "amount": float(line.quantity * line.unit_price),
                "mechanic_id": line.mechanic_id,
            }
            for line in lines
        ],
        "totals": {
            "parts": float(parts),
            "labor": float(labor),
            "fees": float(fees),
            "subtotal": total,
            "tax": 0.0,
            "total": total,
            "paid": 0.0,
            "balance": total,
        },
        "invoice_number": None,
        "approved_total": None if ticket.approved_total is None else float(ticket.approved_total),
        "needs_approval": ticket.status in ("approved", "in_progress")
        and ticket.approved_total is not None
        and total > ticket.approved_total,
    }


def mechanic_ids(ticket: Ticket) -> list[int]:
    return sorted(TicketMechanic.objects.filter(ticket=ticket).values_list("mechanic_id", flat=True))


def part_lines(ticket: Ticket) -> dict[int, int]:
    return dict(TicketInventory.objects.filter(ticket=ticket).values_list("inventory_id", "quantity"))


def is_cache_hit(response) -> bool:
    """Django's cache_page marks a response served from the cache with an Age header."""
    return response.has_header("Age")


@pytest.fixture
def new_ticket(customer) -> dict:
    return {
        "VIN": "1hgcm82633a004352",
        "service_date": "2026-11-25",
        "service_description": "Oil change",
        "customer_id": customer.pk,
    }


@pytest.fixture
def assigned(make_ticket, make_mechanic, customer):
    """The customer's ticket with one mechanic on it."""
    mechanic = make_mechanic()
    return make_ticket(customer=customer, mechanics=[mechanic]), mechanic


@pytest.fixture
def full_ticket(make_ticket, make_mechanic, make_item, customer):
    """A ticket with two mechanics and two parts, attached out of id order."""
    m1, m2 = make_mechanic(name="Ada"), make_mechanic(name="Linus")
    i1, i2 = make_item(name="Brake pad", price=Decimal("49.99")), make_item(name="Oil filter", price=Decimal("7.50"))
    return make_ticket(customer=customer, mechanics=[m2, m1], parts=[(i2, 3), (i1, 1)])


# --- who may call -------------------------------------------------------------------------------

STAFF_ONLY = [
    ("get", "/tickets"),
    ("put", "/tickets/{id}/assign-mechanic/{mid}"),
    ("put", "/tickets/{id}/remove-mechanic/{mid}"),
    ("put", "/tickets/{id}/update-mechanics"),
    ("post", "/tickets/{id}/inventory"),
]
EVERY_ENDPOINT = [
    *STAFF_ONLY,
    ("get", "/tickets/{id}"),
    ("get", "/tickets/my-tickets"),
    ("post", "/tickets"),
    ("put", "/tickets/{id}"),
    ("patch", "/tickets/{id}"),
    ("delete", "/tickets/{id}"),
    ("delete", "/tickets/my-tickets"),
]


@pytest.mark.parametrize("method, path", EVERY_ENDPOINT)
def test_anonymous_callers_get_401_with_bearer_challenge(api_client, assigned, new_ticket, method, path):
    ticket, mechanic = assigned
    before = ticket_json(ticket)
    response = getattr(api_client, method)(path.format(id=ticket.pk, mid=mechanic.pk), new_ticket, format="json")
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Ticket.objects.count() == 1
    assert ticket_json(ticket) == before


@pytest.mark.parametrize("method, path", STAFF_ONLY)
def test_customers_get_403_on_staff_only_endpoints_even_for_own_ticket(
    customer_client, assigned, make_item, method, path
):
    ticket, mechanic = assigned
    item = make_item()
    body = {"add_inventory_items": [{"inventory_id": item.pk}], "remove_mechanic_ids": [mechanic.pk]}
    response = getattr(customer_client, method)(path.format(id=ticket.pk, mid=mechanic.pk), body, format="json")
    assert_error(response, 403)
    assert mechanic_ids(ticket) == [mechanic.pk]
    assert part_lines(ticket) == {}


@pytest.mark.parametrize(
    "path", ["/tickets/my-tickets", "/tickets/my-tickets/", "/tickets/my-tickets?page=1&per_page=2"]
)
def test_staff_get_403_on_my_tickets(staff_client, make_ticket, path):
    make_ticket()
    assert_error(staff_client.get(path), 403)


def test_cached_list_is_not_served_to_a_customer(staff_client, customer_client, make_ticket, throttling_off):
    make_ticket()
    assert staff_client.get("/tickets").status_code == 200
    assert is_cache_hit(staff_client.get("/tickets"))
    response = customer_client.get("/tickets")
    assert_error(response, 403)
    assert not is_cache_hit(response)


def test_cached_list_is_not_served_to_an_anonymous_caller(staff_client, api_client, make_ticket, throttling_off):
    make_ticket()
    staff_client.get("/tickets")
    assert is_cache_hit(staff_client.get("/tickets"))
    assert_error(api_client.get("/tickets"), 401)


# --- list -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/tickets", "/tickets/"])
def test_list_returns_every_ticket_with_mechanics_and_parts(staff_client, full_ticket, make_ticket, path):
    other = make_ticket(vin="JH4KA7561PC008269", service_date=date(2026, 1, 2))
    response = staff_client.get(path)
    assert response.status_code == 200
    m1, m2 = full_ticket.mechanics.order_by("id")
    i1, i2 = full_ticket.parts.order_by("id")
    assert response.json() == [
        {
            "id": full_ticket.pk,
            "VIN": "1HGCM82633A004352",
            "service_date": "2026-11-01",
            "service_description": "Oil change",
            "customer_id": full_ticket.customer_id,
            "vehicle_id": None,
            "mileage_in": None,
            "mileage_out": None,
            "mechanics": [{"id": m1.pk, "name": "Ada"}, {"id": m2.pk, "name": "Linus"}],
            "parts": [
                {"inventory_id": i1.pk, "name": "Brake pad", "price": 49.99, "quantity": 1},
                {"inventory_id": i2.pk, "name": "Oil filter", "price": 7.5, "quantity": 3},
            ],
            "status": "estimate",
            "lines": [],
            "totals": {
                "parts": 72.49,
                "labor": 0,
                "fees": 0,
                "subtotal": 72.49,
                "tax": 0,
                "total": 72.49,
                "paid": 0,
                "balance": 72.49,
            },
            "invoice_number": None,
            "approved_total": None,
            "needs_approval": False,
        },
        ticket_json(other),
    ]
    # Money is an exact JSON number, not a string.
    assert b'"price":49.99' in response.content and b'"price":7.50' in response.content
    assert (
        b'"totals":{"parts":72.49,"labor":0.00,"fees":0.00,"subtotal":72.49,"tax":0.00,"total":72.49,"paid":0.00,"balance":72.49}'
        in response.content
    )


def test_list_of_no_tickets_is_an_empty_array(staff_client):
    response = staff_client.get("/tickets")
    assert response.status_code == 200
    assert response.json() == []


def test_list_is_cached_and_a_hit_costs_no_queries(
    staff_client, full_ticket, throttling_off, django_assert_num_queries
):
    first = staff_client.get("/tickets")
    assert first.status_code == 200 and not is_cache_hit(first)
    with django_assert_num_queries(0):
        again = staff_client.get("/tickets")
    assert again.status_code == 200
    assert is_cache_hit(again)
    assert 0 <= int(again["Age"]) <= 10
    assert again.content == first.content


def test_cached_list_expires_after_ten_seconds(staff_client, make_ticket, throttling_off, monkeypatch, settings):
    import time

    # A cache whose clock is Python's (Redis keeps its own), so the test can move it forward.
    settings.CACHES = {
        alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"tickets-expiry-{alias}"}
        for alias in ("default", "limits", "accounts")
    }
    make_ticket()
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    staff_client.get("/tickets")
    monkeypatch.setattr(time, "time", lambda: now + 9)
    assert is_cache_hit(staff_client.get("/tickets"))
    monkeypatch.setattr(time, "time", lambda: now + 11)
    assert not is_cache_hit(staff_client.get("/tickets"))


def fresh_list(staff_client) -> list[dict]:
    """GET /tickets, which must not be a stale cached answer."""
    response = staff_client.get("/tickets")
    assert response.status_code == 200
    assert not is_cache_hit(response)
    return response.json()


@pytest.fixture
def warm_list(staff_client, full_ticket, throttling_off):
    """The list is in the cache."""
    staff_client.get("/tickets")
    assert is_cache_hit(staff_client.get("/tickets"))
    return full_ticket


def test_list_shows_an_assigned_mechanic_at_once(staff_client, warm_list, make_mechanic):
    extra = make_mechanic(name="Zed")
    assert staff_client.put(f"/tickets/{warm_list.pk}/assign-mechanic/{extra.pk}").status_code == 200
    assert fresh_list(staff_client)[0]["mechanics"][-1] == {"id": extra.pk, "name": "Zed"}


def test_list_shows_a_removed_mechanic_at_once(staff_client, warm_list):
    gone = warm_list.mechanics.order_by("id").first()
    assert staff_client.put(f"/tickets/{warm_list.pk}/remove-mechanic/{gone.pk}").status_code == 200
    assert gone.pk not in [m["id"] for m in fresh_list(staff_client)[0]["mechanics"]]


def test_list_shows_update_mechanics_at_once(staff_client, warm_list, make_mechanic):
    extra = make_mechanic(name="Zed")
    first = warm_list.mechanics.order_by("id").first()
    body = {"add_mechanic_ids": [extra.pk], "remove_mechanic_ids": [first.pk]}
    assert staff_client.put(f"/tickets/{warm_list.pk}/update-mechanics", body, format="json").status_code == 200
    mechanics = fresh_list(staff_client)[0]["mechanics"]
    assert mechanics == ticket_json(warm_list)["mechanics"]
    assert {"id": extra.pk, "name": "Zed"} in mechanics and first.pk not in [m["id"] for m in mechanics]


def test_list_shows_added_parts_at_once(staff_client, warm_list, make_item):
    item = make_item(name="Spark plug")
    body = {"add_inventory_items": [{"inventory_id": item.pk, "quantity": 4}]}
    assert staff_client.post(f"/tickets/{warm_list.pk}/inventory", body, format="json").status_code == 200
    assert fresh_list(staff_client)[0]["parts"][-1] == {
        "inventory_id": item.pk,
        "name": "Spark plug",
        "price": 19.99,
        "quantity": 4,
    }


def test_list_shows_a_renamed_mechanic_at_once(staff_client, warm_list):
    mechanic = warm_list.mechanics.order_by("id").first()
    assert staff_client.patch(f"/mechanics/{mechanic.pk}", {"name": "Grace"}, format="json").status_code == 200
    assert fresh_list(staff_client)[0]["mechanics"][0] == {"id": mechanic.pk, "name": "Grace"}


def test_list_shows_an_edited_and_a_new_ticket_at_once(staff_client, warm_list, new_ticket):
    assert (
        staff_client.patch(f"/tickets/{warm_list.pk}", {"service_description": "Brakes"}, format="json").status_code
        == 200
    )
    assert fresh_list(staff_client)[0]["service_description"] == "Brakes"
    created = staff_client.post("/tickets", new_ticket, format="json").json()
    assert [t["id"] for t in fresh_list(staff_client)] == [warm_list.pk, created["id"]]


def test_list_is_rate_limited_to_five_per_hour_by_default(staff_client, staff_user, make_ticket, ratelimit_clock):
    ratelimit_clock.set_into_window(account_key(staff_user), 3600 - BEFORE_NEXT_WINDOW)
    make_ticket()
    # Cached answers count too: the limit is decided before the cache is looked at.
    assert [staff_client.get("/tickets").status_code for _ in range(5)] == [200] * 5
    response = staff_client.get("/tickets/")
    assert_error(response, 429)
    assert response["Retry-After"] == str(BEFORE_NEXT_WINDOW)


def test_list_limit_is_per_caller(client_for, make_staff, make_ticket, ratelimit_clock):
    make_ticket()
    first, second = client_for(make_staff()), client_for(make_staff())
    assert [first.get("/tickets").status_code for _ in range(6)] == [200] * 5 + [429]
    assert second.get("/tickets").status_code == 200


# --- retrieve ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/tickets/{id}", "/tickets/{id}/"])
def test_staff_retrieve_any_ticket(staff_client, full_ticket, path):
    response = staff_client.get(path.format(id=full_ticket.pk))
    assert response.status_code == 200
    assert response.json() == ticket_json(full_ticket)


def test_customer_retrieves_own_ticket(customer_client, full_ticket):
    response = customer_client.get(f"/tickets/{full_ticket.pk}")
    assert response.status_code == 200
    assert response.json() == ticket_json(full_ticket)


def test_customer_cannot_retrieve_another_customers_ticket(customer_client, make_ticket):
    other = make_ticket(vin="OTHERVIN12345", service_description="Someone else's job")
    response = customer_client.get(f"/tickets/{other.pk}")
    assert_error(response, 403)
    assert b"OTHERVIN12345" not in response.content and b"Someone else" not in response.content


def test_detail_is_never_a_stale_answer(staff_client, make_ticket, make_mechanic, make_item):
    first, second = make_mechanic(), make_mechanic(name="Old Name")
    item = make_item(name="Old Part")
    ticket = make_ticket(mechanics=[first])
    url = f"/tickets/{ticket.pk}"
    assert staff_client.get(url).json() == ticket_json(ticket)

    assert staff_client.put(f"{url}/assign-mechanic/{second.pk}").status_code == 200
    assert staff_client.put(f"{url}/remove-mechanic/{first.pk}").status_code == 200
    body = {"add_inventory_items": [{"inventory_id": item.pk, "quantity": 4}]}
    assert staff_client.post(f"{url}/inventory", body, format="json").status_code == 200
    assert staff_client.patch(url, {"service_description": "Changed"}, format="json").status_code == 200
    assert staff_client.patch(f"/mechanics/{second.pk}", {"name": "New Name"}, format="json").status_code == 200
    assert staff_client.patch(f"/inventory/{item.pk}", {"name": "New Part"}, format="json").status_code == 200

    response = staff_client.get(url)
    assert response.json() == ticket_json(ticket)
    assert response.json()["mechanics"] == [{"id": second.pk, "name": "New Name"}]
    assert [(p["inventory_id"], p["name"], p["quantity"]) for p in response.json()["parts"]] == [
        (item.pk, "New Part", 4)
    ]
    assert response.json()["service_description"] == "Changed"


def test_prices_keep_their_cents(staff_client, make_ticket, make_item):
    items = [make_item(price=Decimal(p)) for p in ("12.50", "0.01", "1234.56", "99999999.99")]
    ticket = make_ticket(parts=[(item, 2) for item in items])
    response = staff_client.get(f"/tickets/{ticket.pk}")
    assert [part["price"] for part in response.json()["parts"]] == [12.5, 0.01, 1234.56, 99999999.99]
    assert b'"price":12.50,' in response.content and b'"price":99999999.99,' in response.content


@pytest.mark.parametrize(
    "ticket_id",
    [
        pytest.param(lambda t: "0", id="zero"),
        pytest.param(lambda t: str(t.pk + 1000), id="missing"),
        pytest.param(lambda t: str(MAX_ID), id="largest-id"),
        pytest.param(lambda t: str(MAX_ID + 1), id="19-digits-past-the-largest-id"),
        pytest.param(lambda t: "9" * 19, id="19-nines"),
        pytest.param(lambda t: "1" + "0" * 19, id="20-digits"),
        pytest.param(lambda t: str(BIG_ID), id="22-digits"),
        pytest.param(lambda t: "0" * 30 + str(t.pk), id="existing-id-with-30-leading-zeros"),
        pytest.param(lambda t: "9" * 4301, id="longer-than-int-converts"),
    ],
)
@pytest.mark.parametrize("method", ["get", "put", "patch"])
def test_unknown_or_out_of_range_ticket_id_is_a_json_404(staff_client, make_ticket, new_ticket, method, ticket_id):
    ticket = make_ticket()
    before = ticket_json(ticket)
    response = getattr(staff_client, method)(f"/tickets/{ticket_id(ticket)}", new_ticket, format="json")
    assert set(assert_error(response, 404)) == {"error"}
    assert ticket_json(ticket) == before


def test_unknown_ticket_is_404_for_staff_and_403_for_a_customer(staff_client, customer_client, make_ticket):
    # A customer may read only their own tickets, and the 403 comes before the lookup: an id
    # that names no ticket is refused like another customer's (tests/test_role_matrix.py).
    ticket = make_ticket()
    assert_error(staff_client.get(f"/tickets/{ticket.pk + 1000}"), 404)
    assert_error(customer_client.get(f"/tickets/{ticket.pk + 1000}"), 403)


def test_a_ticket_id_with_leading_zeros_names_the_ticket(staff_client, make_ticket):
    ticket = make_ticket()
    response = staff_client.get(f"/tickets/000{ticket.pk}")
    assert (response.status_code, response.json()["id"]) == (200, ticket.pk)


@pytest.mark.parametrize(
    "path", ["/tickets/-1", "/tickets/abc", "/tickets/1.5", "/tickets/1/unknown-action", "/tickets/%201"]
)
def test_unroutable_paths_are_json_404(staff_client, make_ticket, path):
    make_ticket()
    assert_error(staff_client.get(path), 404)


@pytest.mark.parametrize(
    "method, path",
    [
        ("put", "/tickets/{n}/assign-mechanic/{id}"),
        ("put", "/tickets/{id}/assign-mechanic/{n}"),
        ("put", "/tickets/{n}/remove-mechanic/{id}"),
        ("put", "/tickets/{id}/remove-mechanic/{n}"),
        ("put", "/tickets/{n}/update-mechanics"),
        ("post", "/tickets/{n}/inventory"),
    ],
)
@pytest.mark.parametrize("n", ["1" + "0" * 19, "9" * 4301])
def test_an_id_of_twenty_digits_or_more_in_any_path_is_a_json_404(staff_client, assigned, make_item, method, path, n):
    ticket, mechanic = assigned
    body = {"add_inventory_items": [{"inventory_id": make_item().pk}], "add_mechanic_ids": [mechanic.pk]}
    response = getattr(staff_client, method)(path.format(n=n, id=ticket.pk), body, format="json")
    assert_error(response, 404)
    assert mechanic_ids(ticket) == [mechanic.pk] and part_lines(ticket) == {}


# --- my-tickets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/tickets/my-tickets", "/tickets/my-tickets/"])
def test_my_tickets_lists_only_the_callers_tickets(
    customer_client, customer, make_ticket, make_mechanic, make_item, path
):
    mine = [
        make_ticket(customer=customer, mechanics=[make_mechanic()], parts=[(make_item(), 2)]),
        make_ticket(customer=customer, vin="JH4KA7561PC008269"),
    ]
    make_ticket()
    response = customer_client.get(path)
    assert response.status_code == 200
    assert response.json() == [ticket_json(t) for t in mine]
    assert not response.has_header("X-Total-Count")


def test_my_tickets_of_a_customer_without_tickets_is_empty(customer_client, make_ticket):
    make_ticket()
    response = customer_client.get("/tickets/my-tickets")
    assert response.status_code == 200
    assert response.json() == []


def test_my_tickets_shows_a_new_ticket_at_once(customer_client, customer, make_ticket, new_ticket):
    make_ticket(customer=customer)
    assert len(customer_client.get("/tickets/my-tickets").json()) == 1
    assert customer_client.post("/tickets", new_ticket, format="json").status_code == 201
    assert len(customer_client.get("/tickets/my-tickets").json()) == 2


# --- create -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/tickets", "/tickets/"])
def test_staff_create_ticket_for_a_customer(staff_client, new_ticket, customer, path):
    response = staff_client.post(path, new_ticket, format="json")
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert response.json() == {
        "id": ticket.pk,
        "VIN": "1HGCM82633A004352",
        "service_date": "2026-11-25",
        "service_description": "Oil change",
        "customer_id": customer.pk,
        "vehicle_id": None,
        "mileage_in": None,
        "mileage_out": None,
        "mechanics": [],
        "parts": [],
        "status": "estimate",
        "lines": [],
        "totals": {"parts": 0, "labor": 0, "fees": 0, "subtotal": 0, "tax": 0, "total": 0, "paid": 0, "balance": 0},
        "invoice_number": None,
        "approved_total": None,
        "needs_approval": False,
    }
    assert (ticket.vin, ticket.service_date, ticket.customer_id) == (
        "1HGCM82633A004352",
        date(2026, 11, 25),
        customer.pk,
    )


@pytest.mark.parametrize("customer_id", [999999, MAX_ID])
def test_staff_create_with_unknown_customer_is_404(staff_client, new_ticket, customer_id):
    assert_error(staff_client.post("/tickets", {**new_ticket, "customer_id": customer_id}, format="json"), 404)
    assert not Ticket.objects.exists()


def test_staff_create_without_customer_id_is_400(staff_client, new_ticket):
    del new_ticket["customer_id"]
    assert_error(staff_client.post("/tickets", new_ticket, format="json"), 400, "customer_id")
    assert not Ticket.objects.exists()


def test_customer_creates_ticket_for_themselves_without_customer_id(customer_client, customer, new_ticket):
    del new_ticket["customer_id"]
    response = customer_client.post("/tickets", new_ticket, format="json")
    assert response.status_code == 201
    assert response.json()["customer_id"] == customer.pk
    assert Ticket.objects.get().customer_id == customer.pk


def test_customer_may_name_themselves_as_customer(customer_client, customer, new_ticket):
    response = customer_client.post("/tickets", new_ticket, format="json")
    assert response.status_code == 201
    assert response.json()["customer_id"] == customer.pk
    assert customer_client.get(f"/tickets/{response.json()['id']}").status_code == 200


@pytest.mark.parametrize("whose", ["another", "unknown"])
def test_customer_cannot_open_a_ticket_for_someone_else(customer_client, make_customer, new_ticket, whose):
    """Naming another customer's id is 403 whether or not it exists: a customer cannot probe ids."""
    other_id = make_customer().pk if whose == "another" else 999999
    assert_error(customer_client.post("/tickets", {**new_ticket, "customer_id": other_id}, format="json"), 403)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "sent, stored",
    [
        ("1hgcm82633a004352", "1HGCM82633A004352"),
        ("  abc123  ", "ABC123"),
        ("a", "A"),
        ("12345678901234567", "12345678901234567"),
        ("ＡＢＣ１２３", "ABC123"),  # full-width forms fold to ASCII
        ("abc\u200b123", "ABC123"),  # a zero-width space is dropped
    ],
)
def test_vin_is_stored_upper_case(staff_client, new_ticket, sent, stored):
    response = staff_client.post("/tickets", {**new_ticket, "VIN": sent}, format="json")
    assert response.status_code == 201
    assert response.json()["VIN"] == stored
    assert Ticket.objects.get().vin == stored


@pytest.mark.parametrize("description", ["Bremsbeläge gewechselt ✓", "🚗💨 oil + filter", "x" * 1000, "línea\nnueva"])
def test_description_round_trips_unchanged(staff_client, new_ticket, description):
    response = staff_client.post("/tickets", {**new_ticket, "service_description": description}, format="json")
    assert response.status_code == 201
    assert response.json()["service_description"] == description
    assert staff_client.get(f"/tickets/{response.json()['id']}").json()["service_description"] == description


@pytest.mark.parametrize("field", ["VIN", "service_date", "service_description"])
def test_missing_field_is_400_naming_it(staff_client, new_ticket, field):
    del new_ticket[field]
    assert_error(staff_client.post("/tickets", new_ticket, format="json"), 400, field)
    assert not Ticket.objects.exists()


BAD_VALUES = [
    ("VIN", None),
    ("VIN", ""),
    ("VIN", "   "),
    ("VIN", "\u200b"),
    ("VIN", "1HGCM82633A0043521"),  # 18 characters
    ("VIN", "1HGCM82633A00435I"),
    ("VIN", "1HGCM82633A00435O"),
    ("VIN", "1HGCM82633A00435Q"),
    ("VIN", "1hgcm82633a00435q"),
    ("VIN", "1HGCM-82633"),
    ("VIN", "1HGCM 82633"),
    ("VIN", "ÄBC123"),
    ("VIN", "ß" * 9),  # upper-cases to 18 letters
    ("VIN", "ı23"),  # dotless i upper-cases to I
    ("VIN", "ABC\x00123"),
    ("VIN", True),
    ("VIN", ["1HGCM82633A004352"]),
    ("VIN", {"vin": "1HGCM82633A004352"}),
    ("service_date", None),
    ("service_date", ""),
    ("service_date", "tomorrow"),
    ("service_date", "2026-13-01"),
    ("service_date", "2026-02-30"),
    ("service_date", "25/11/2026"),
    ("service_date", 20261125),
    ("service_date", True),
    ("service_date", ["2026-11-25"]),
    ("service_description", None),
    ("service_description", ""),
    ("service_description", "   "),
    ("service_description", "x" * 1001),
    ("service_description", "oil\x00change"),
    ("service_description", ["Oil change"]),
    ("service_description", {"text": "Oil change"}),
    ("service_description", False),
    ("customer_id", None),
    ("customer_id", "abc"),
    ("customer_id", ""),
    ("customer_id", True),
    ("customer_id", 1.5),
    ("customer_id", 0),
    ("customer_id", -1),
    ("customer_id", MAX_ID + 1),
    ("customer_id", BIG_ID),
    ("customer_id", [1]),
    ("customer_id", {"id": 1}),
]


@pytest.mark.parametrize("field, value", BAD_VALUES)
def test_create_rejects_bad_values_with_400_on_the_field(staff_client, new_ticket, field, value):
    assert_error(staff_client.post("/tickets", {**new_ticket, field: value}, format="json"), 400, field)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("field, value", BAD_VALUES)
def test_patch_rejects_bad_values_and_changes_nothing(staff_client, make_ticket, field, value):
    ticket = make_ticket()
    before = ticket_json(ticket)
    assert_error(staff_client.patch(f"/tickets/{ticket.pk}", {field: value}, format="json"), 400, field)
    assert ticket_json(ticket) == before


def test_read_only_and_unknown_fields_are_ignored_on_create(staff_client, new_ticket, make_mechanic, make_item):
    mechanic, item = make_mechanic(), make_item()
    body = {
        **new_ticket,
        "id": 12345,
        "mechanics": [{"id": mechanic.pk, "name": "x"}],
        "parts": [{"inventory_id": item.pk, "quantity": 2}],
        "colour": "red",
    }
    response = staff_client.post("/tickets", body, format="json")
    assert response.status_code == 201
    assert response.json()["id"] != 12345 or Ticket.objects.get().pk == 12345
    assert (response.json()["mechanics"], response.json()["parts"]) == ([], [])
    assert "colour" not in response.json()
    assert not TicketMechanic.objects.exists() and not TicketInventory.objects.exists()


# --- request bodies that are not a JSON object --------------------------------------------------

BODY_ENDPOINTS = [
    ("post", "/tickets"),
    ("put", "/tickets/{id}"),
    ("patch", "/tickets/{id}"),
    ("put", "/tickets/{id}/update-mechanics"),
    ("post", "/tickets/{id}/inventory"),
]


@pytest.mark.parametrize("body", ["[]", '[{"VIN": "ABC"}]', '"ABC"', "42", "null"])
@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
def test_json_that_is_not_an_object_is_400(staff_client, make_ticket, method, path, body):
    ticket = make_ticket()
    before = ticket_json(ticket)
    assert_error(getattr(staff_client, method)(path.format(id=ticket.pk), body, content_type="application/json"), 400)
    assert Ticket.objects.count() == 1
    assert ticket_json(ticket) == before


@pytest.mark.parametrize("body", ['{"VIN": "ABC"', "{'VIN': 'ABC'}", "VIN=ABC", '{"add_mechanic_ids": [NaN]}'])
@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
def test_malformed_json_is_400(staff_client, make_ticket, method, path, body):
    ticket = make_ticket()
    before = ticket_json(ticket)
    assert_error(getattr(staff_client, method)(path.format(id=ticket.pk), body, content_type="application/json"), 400)
    assert Ticket.objects.count() == 1
    assert ticket_json(ticket) == before


@pytest.mark.parametrize(
    "body, content_type",
    [('{"VIN": "ABC"}', "text/plain"), ("VIN=ABC&service_date=2026-11-25", "application/x-www-form-urlencoded")],
)
@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
def test_other_content_types_are_415(staff_client, make_ticket, method, path, body, content_type):
    ticket = make_ticket()
    before = ticket_json(ticket)
    assert_error(getattr(staff_client, method)(path.format(id=ticket.pk), body, content_type=content_type), 415)
    assert Ticket.objects.count() == 1
    assert ticket_json(ticket) == before


# --- update ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/tickets/{id}", "/tickets/{id}/"])
def test_staff_put_replaces_fields_and_may_move_the_ticket(staff_client, full_ticket, make_customer, path):
    other = make_customer()
    body = {
        "VIN": "jh4ka7561pc008269",
        "service_date": "2027-01-31",
        "service_description": "Brakes",
        "customer_id": other.pk,
    }
    response = staff_client.put(path.format(id=full_ticket.pk), body, format="json")
    assert response.status_code == 200
    assert response.json() == ticket_json(full_ticket)
    full_ticket.refresh_from_db()
    assert (full_ticket.vin, full_ticket.service_date, full_ticket.customer_id) == (
        "JH4KA7561PC008269",
        date(2027, 1, 31),
        other.pk,
    )
    assert len(response.json()["mechanics"]) == 2 and len(response.json()["parts"]) == 2


def test_put_without_required_fields_is_400(staff_client, make_ticket):
    ticket = make_ticket()
    before = ticket_json(ticket)
    assert_error(
        staff_client.put(f"/tickets/{ticket.pk}", {"VIN": "ABC"}, format="json"),
        400,
        "service_date",
        "service_description",
    )
    assert ticket_json(ticket) == before


@pytest.mark.parametrize("path", ["/tickets/{id}", "/tickets/{id}/"])
def test_patch_changes_only_given_fields(staff_client, full_ticket, path):
    before = ticket_json(full_ticket)
    response = staff_client.patch(path.format(id=full_ticket.pk), {"VIN": "abc"}, format="json")
    assert response.status_code == 200
    assert response.json() == {**before, "VIN": "ABC"}
    assert ticket_json(full_ticket) == {**before, "VIN": "ABC"}


def test_staff_move_to_unknown_customer_is_404(staff_client, make_ticket):
    ticket = make_ticket()
    before = ticket_json(ticket)
    assert_error(staff_client.patch(f"/tickets/{ticket.pk}", {"customer_id": 999999, "VIN": "NEW"}, format="json"), 404)
    assert ticket_json(ticket) == before


@pytest.mark.parametrize("method", ["put", "patch"])
def test_customer_updates_own_ticket(customer_client, customer, make_ticket, new_ticket, method):
    ticket = make_ticket(customer=customer)
    body = {**new_ticket, "service_description": "Tyres", "customer_id": customer.pk}
    response = getattr(customer_client, method)(f"/tickets/{ticket.pk}", body, format="json")
    assert response.status_code == 200
    assert response.json() == ticket_json(ticket)
    assert (response.json()["service_description"], response.json()["customer_id"]) == ("Tyres", customer.pk)


def test_customer_put_without_customer_id_keeps_the_ticket_theirs(customer_client, customer, make_ticket, new_ticket):
    ticket = make_ticket(customer=customer)
    del new_ticket["customer_id"]
    response = customer_client.put(
        f"/tickets/{ticket.pk}", {**new_ticket, "service_description": "Tyres"}, format="json"
    )
    assert response.status_code == 200
    assert Ticket.objects.get().customer_id == customer.pk


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("whose", ["another", "unknown"])
def test_customer_cannot_move_own_ticket_to_someone_else(
    customer_client, customer, make_customer, make_ticket, new_ticket, method, whose
):
    ticket = make_ticket(customer=customer)
    before = ticket_json(ticket)
    other_id = make_customer().pk if whose == "another" else 999999
    body = {**new_ticket, "service_description": "Moved", "customer_id": other_id}
    assert_error(getattr(customer_client, method)(f"/tickets/{ticket.pk}", body, format="json"), 403)
    assert ticket_json(ticket) == before


@pytest.mark.parametrize("method", ["put", "patch"])
def test_customer_cannot_change_another_customers_ticket(customer_client, make_ticket, new_ticket, method):
    ticket = make_ticket()
    before = ticket_json(ticket)
    body = {**new_ticket, "service_description": "Mine now", "customer_id": ticket.customer_id}
    assert_error(getattr(customer_client, method)(f"/tickets/{ticket.pk}", body, format="json"), 403)
    assert ticket_json(ticket) == before


# --- methods ------------------------------------------------------------------------------------

WRONG_METHODS = [
    ("delete", "/tickets/{id}"),
    ("delete", "/tickets/{id}/"),
    ("delete", "/tickets"),
    ("put", "/tickets"),
    ("patch", "/tickets/"),
    ("post", "/tickets/{id}"),
    ("post", "/tickets/my-tickets"),
    ("put", "/tickets/my-tickets"),
    ("delete", "/tickets/my-tickets"),
    ("delete", "/tickets/my-tickets/"),
    ("get", "/tickets/{id}/assign-mechanic/{mid}"),
    ("post", "/tickets/{id}/assign-mechanic/{mid}/"),
    ("delete", "/tickets/{id}/remove-mechanic/{mid}"),
    ("patch", "/tickets/{id}/remove-mechanic/{mid}"),
    ("post", "/tickets/{id}/update-mechanics"),
    ("get", "/tickets/{id}/update-mechanics/"),
    ("get", "/tickets/{id}/inventory"),
    ("put", "/tickets/{id}/inventory/"),
]


@pytest.mark.parametrize("method, path", WRONG_METHODS)
def test_wrong_method_is_405_in_json_for_staff(staff_client, assigned, method, path):
    ticket, mechanic = assigned
    before = ticket_json(ticket)
    response = getattr(staff_client, method)(path.format(id=ticket.pk, mid=mechanic.pk), {}, format="json")
    assert_error(response, 405)
    assert ticket_json(ticket) == before


@pytest.mark.parametrize("method, path", WRONG_METHODS)
def test_wrong_method_is_405_in_json_for_a_customer(customer_client, assigned, method, path):
    """Even on the customer's own ticket, and on staff-only routes: the method is wrong first."""
    ticket, mechanic = assigned
    before = ticket_json(ticket)
    response = getattr(customer_client, method)(path.format(id=ticket.pk, mid=mechanic.pk), {}, format="json")
    assert_error(response, 405)
    assert ticket_json(ticket) == before


@pytest.mark.parametrize("path", ["/tickets/{id}", "/tickets/my-tickets"])
def test_delete_by_an_anonymous_caller_is_401(api_client, assigned, path):
    ticket, _ = assigned
    response = api_client.delete(path.format(id=ticket.pk))
    assert_error(response, 401)
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_customer_cannot_delete_another_customers_ticket_either(customer_client, make_ticket):
    ticket = make_ticket()
    assert_error(customer_client.delete(f"/tickets/{ticket.pk}"), 405)
    assert Ticket.objects.filter(pk=ticket.pk).exists()


# --- assign-mechanic / remove-mechanic ------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_assign_mechanic_then_again_says_already_assigned(staff_client, make_ticket, make_mechanic, slash):
    ticket, mechanic = make_ticket(), make_mechanic()
    path = f"/tickets/{ticket.pk}/assign-mechanic/{mechanic.pk}{slash}"
    first = staff_client.put(path)
    assert first.status_code == 200
    assert set(first.json()) == {"message", "ticket_id", "mechanic_id"}
    assert (first.json()["ticket_id"], first.json()["mechanic_id"]) == (ticket.pk, mechanic.pk)
    assert "already" not in first.json()["message"].lower()
    again = staff_client.put(path)
    assert again.status_code == 200
    assert set(again.json()) == {"message", "ticket_id", "mechanic_id"}
    assert (again.json()["ticket_id"], again.json()["mechanic_id"]) == (ticket.pk, mechanic.pk)
    assert "already" in again.json()["message"].lower()
    assert mechanic_ids(ticket) == [mechanic.pk]


@pytest.mark.parametrize("action", ["assign-mechanic", "remove-mechanic"])
@pytest.mark.parametrize("unknown", ["ticket", "mechanic"])
@pytest.mark.parametrize("bad_id", [0, 999999, MAX_ID, MAX_ID + 1, BIG_ID])
def test_unknown_ticket_or_mechanic_in_path_is_404(staff_client, assigned, action, unknown, bad_id, throttling_off):
    ticket, mechanic = assigned
    ticket_id = bad_id if unknown == "ticket" else ticket.pk
    mechanic_id = bad_id if unknown == "mechanic" else mechanic.pk
    assert_error(staff_client.put(f"/tickets/{ticket_id}/{action}/{mechanic_id}"), 404)
    assert mechanic_ids(ticket) == [mechanic.pk]


@pytest.mark.parametrize("slash", ["", "/"])
def test_remove_mechanic(staff_client, make_ticket, make_mechanic, slash):
    stays, goes = make_mechanic(), make_mechanic()
    ticket = make_ticket(mechanics=[stays, goes])
    other = make_ticket(mechanics=[goes])
    response = staff_client.put(f"/tickets/{ticket.pk}/remove-mechanic/{goes.pk}{slash}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"message", "ticket_id", "mechanic_id"}
    assert (body["ticket_id"], body["mechanic_id"]) == (ticket.pk, goes.pk)
    assert isinstance(body["message"], str) and body["message"]
    assert mechanic_ids(ticket) == [stays.pk]
    assert mechanic_ids(other) == [goes.pk]


def test_remove_mechanic_not_on_the_ticket_is_404(staff_client, make_ticket, make_mechanic):
    on_other_ticket = make_mechanic()
    make_ticket(mechanics=[on_other_ticket])
    ticket = make_ticket()
    assert_error(staff_client.put(f"/tickets/{ticket.pk}/remove-mechanic/{on_other_ticket.pk}"), 404)
    assert TicketMechanic.objects.filter(mechanic=on_other_ticket).count() == 1


def test_remove_mechanic_is_rate_limited_to_twenty_per_hour(
    staff_client, staff_user, make_ticket, make_mechanic, ratelimit_clock
):
    ratelimit_clock.set_into_window(account_key(staff_user), 3600 - BEFORE_NEXT_WINDOW)
    mechanic = make_mechanic()
    ticket = make_ticket(mechanics=[mechanic])
    path = f"/tickets/{ticket.pk}/remove-mechanic/{mechanic.pk}"
    # Not-assigned answers (404) count against the limit too.
    assert [staff_client.put(path).status_code for _ in range(20)] == [200] + [404] * 19
    staff_client.put(f"/tickets/{ticket.pk}/assign-mechanic/{mechanic.pk}")  # not limited
    response = staff_client.put(path)
    assert_error(response, 429)
    assert response["Retry-After"] == str(BEFORE_NEXT_WINDOW)
    assert mechanic_ids(ticket) == [mechanic.pk]


# --- update-mechanics -----------------------------------------------------------------------------


@pytest.fixture
def crew(make_ticket, make_mechanic):
    """A ticket with mechanics a and b; c and d are free."""
    a, b, c, d = (make_mechanic() for _ in range(4))
    return make_ticket(mechanics=[a, b]), (a, b, c, d)


@pytest.mark.parametrize("slash", ["", "/"])
def test_update_mechanics_adds_and_removes_and_returns_the_ticket(staff_client, crew, slash):
    ticket, (a, b, c, d) = crew
    body = {"add_mechanic_ids": [d.pk, c.pk, a.pk], "remove_mechanic_ids": [b.pk]}
    response = staff_client.put(f"/tickets/{ticket.pk}/update-mechanics{slash}", body, format="json")
    assert response.status_code == 200
    assert mechanic_ids(ticket) == sorted([a.pk, c.pk, d.pk])
    assert response.json() == ticket_json(ticket)
    assert [m["id"] for m in response.json()["mechanics"]] == sorted([a.pk, c.pk, d.pk])


@pytest.mark.parametrize("body", [{}, {"add_mechanic_ids": [], "remove_mechanic_ids": []}, None])
def test_update_mechanics_with_empty_body_changes_nothing(staff_client, crew, body):
    ticket, (a, b, _, _) = crew
    response = staff_client.put(f"/tickets/{ticket.pk}/update-mechanics", body, format="json")
    assert response.status_code == 200
    assert response.json() == ticket_json(ticket)
    assert mechanic_ids(ticket) == [a.pk, b.pk]


def test_update_mechanics_only_add_or_only_remove(staff_client, crew):
    ticket, (a, b, c, d) = crew
    url = f"/tickets/{ticket.pk}/update-mechanics"
    assert staff_client.put(url, {"add_mechanic_ids": [c.pk]}, format="json").status_code == 200
    assert mechanic_ids(ticket) == [a.pk, b.pk, c.pk]
    # Removing a known mechanic who is not on the ticket is no error.
    assert staff_client.put(url, {"remove_mechanic_ids": [a.pk, b.pk, d.pk]}, format="json").status_code == 200
    assert mechanic_ids(ticket) == [c.pk]


def test_update_mechanics_tolerates_repeated_ids_in_one_list(staff_client, crew):
    ticket, (a, b, c, _) = crew
    response = staff_client.put(
        f"/tickets/{ticket.pk}/update-mechanics", {"add_mechanic_ids": [c.pk, c.pk, a.pk]}, format="json"
    )
    assert response.status_code == 200
    assert mechanic_ids(ticket) == [a.pk, b.pk, c.pk]


@pytest.mark.parametrize(
    "lists",
    [
        {"add": ["u1"]},
        {"remove": ["u1"]},
        {"add": ["c", "u1", "u2"]},
        {"add": ["c"], "remove": ["a", "u2"]},
        {"add": ["u1"], "remove": ["u2"]},
        {"add": ["u1", "max"]},
    ],
)
def test_update_mechanics_with_unknown_ids_is_404_listing_them_and_changes_nothing(staff_client, crew, lists):
    ticket, (a, b, c, d) = crew
    ids = {"a": a.pk, "b": b.pk, "c": c.pk, "u1": 999998, "u2": 999999, "max": MAX_ID}
    body = {f"{key}_mechanic_ids": [ids[name] for name in names] for key, names in lists.items()}
    response = staff_client.put(f"/tickets/{ticket.pk}/update-mechanics", body, format="json")
    error = assert_error(response, 404)
    unknown = sorted(ids[name] for names in lists.values() for name in names if name in ("u1", "u2", "max"))
    assert error["missing_ids"] == unknown
    assert mechanic_ids(ticket) == [a.pk, b.pk]


def test_update_mechanics_with_an_id_in_both_lists_is_400_and_changes_nothing(staff_client, crew):
    ticket, (a, b, c, _) = crew
    body = {"add_mechanic_ids": [c.pk, a.pk], "remove_mechanic_ids": [a.pk, b.pk]}
    error = assert_error(staff_client.put(f"/tickets/{ticket.pk}/update-mechanics", body, format="json"), 400)
    assert str(a.pk) in " ".join(message for messages in error["fields"].values() for message in messages)
    assert mechanic_ids(ticket) == [a.pk, b.pk]


@pytest.mark.parametrize("ticket_id", [0, 999999, MAX_ID, BIG_ID])
def test_update_mechanics_on_unknown_ticket_is_404(staff_client, crew, ticket_id):
    _, (_, _, c, _) = crew
    assert_error(
        staff_client.put(f"/tickets/{ticket_id}/update-mechanics", {"add_mechanic_ids": [c.pk]}, format="json"), 404
    )
    assert not TicketMechanic.objects.filter(mechanic=c).exists()


@pytest.mark.parametrize("key", ["add_mechanic_ids", "remove_mechanic_ids"])
@pytest.mark.parametrize(
    "value",
    [
        None,
        5,
        "5",
        "abc",
        True,
        {"id": 5},
        ["abc"],
        [True],
        [1.5],
        [0],
        [-1],
        [MAX_ID + 1],
        [BIG_ID],
        [None],
        [[1]],
        [{"id": 1}],
        list(range(1, 1002)),
    ],
)
def test_update_mechanics_rejects_bad_id_lists(staff_client, crew, key, value):
    ticket, (a, b, _, _) = crew
    body = assert_error(staff_client.put(f"/tickets/{ticket.pk}/update-mechanics", {key: value}, format="json"), 400)
    assert any(field.startswith(key) for field in body["fields"]), body
    assert mechanic_ids(ticket) == [a.pk, b.pk]


# --- POST /tickets/<id>/inventory -------------------------------------------------------------------


@pytest.fixture
def stock(make_item):
    return [make_item() for _ in range(4)]


@pytest.mark.parametrize("slash", ["", "/"])
def test_add_parts_reports_added_and_duplicates(staff_client, make_ticket, stock, slash):
    i1, i2, i3, _ = stock
    ticket = make_ticket(parts=[(i2, 5)])
    body = {
        "add_inventory_items": [
            {"inventory_id": i3.pk, "quantity": 2},
            {"inventory_id": i2.pk, "quantity": 9},
            {"inventory_id": i1.pk},
        ]
    }
    response = staff_client.post(f"/tickets/{ticket.pk}/inventory{slash}", body, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "ticket_id": ticket.pk,
        "added_inventory_ids": [i1.pk, i3.pk],
        "duplicate_inventory_ids": [i2.pk],
        "requested_count": 3,
        "added_count": 2,
        "duplicate_count": 1,
    }
    # The duplicate keeps its quantity; an omitted quantity is 1.
    assert part_lines(ticket) == {i1.pk: 1, i2.pk: 5, i3.pk: 2}


def test_adding_the_same_parts_again_adds_nothing(staff_client, make_ticket, stock):
    ticket = make_ticket()
    url = f"/tickets/{ticket.pk}/inventory"
    assert (
        staff_client.post(
            url, {"add_inventory_items": [{"inventory_id": stock[0].pk, "quantity": 3}]}, format="json"
        ).json()["added_count"]
        == 1
    )
    again = staff_client.post(
        url, {"add_inventory_items": [{"inventory_id": stock[0].pk, "quantity": 7}]}, format="json"
    )
    assert again.status_code == 200
    assert again.json() == {
        "ticket_id": ticket.pk,
        "added_inventory_ids": [],
        "duplicate_inventory_ids": [stock[0].pk],
        "requested_count": 1,
        "added_count": 0,
        "duplicate_count": 1,
    }
    assert part_lines(ticket) == {stock[0].pk: 3}


def test_added_parts_show_on_the_ticket(staff_client, make_ticket, stock):
    ticket = make_ticket()
    body = {"add_inventory_items": [{"inventory_id": stock[1].pk, "quantity": 4}]}
    assert staff_client.post(f"/tickets/{ticket.pk}/inventory", body, format="json").status_code == 200
    parts = staff_client.get(f"/tickets/{ticket.pk}").json()["parts"]
    assert parts == [{"inventory_id": stock[1].pk, "name": stock[1].name, "price": 19.99, "quantity": 4}]


def test_add_parts_leaves_other_tickets_alone(staff_client, make_ticket, stock):
    ticket, other = make_ticket(), make_ticket(parts=[(stock[0], 6)])
    body = {"add_inventory_items": [{"inventory_id": stock[0].pk, "quantity": 2}]}
    assert staff_client.post(f"/tickets/{ticket.pk}/inventory", body, format="json").json()["added_inventory_ids"] == [
        stock[0].pk
    ]
    assert (part_lines(ticket), part_lines(other)) == ({stock[0].pk: 2}, {stock[0].pk: 6})


@pytest.mark.parametrize("unknown", [[999999], [999998, 999999], [MAX_ID]])
def test_add_parts_with_unknown_ids_is_404_listing_them_and_adds_nothing(staff_client, make_ticket, stock, unknown):
    ticket = make_ticket(parts=[(stock[0], 2)])
    items = [{"inventory_id": stock[1].pk}, *({"inventory_id": iid} for iid in unknown), {"inventory_id": stock[0].pk}]
    error = assert_error(
        staff_client.post(f"/tickets/{ticket.pk}/inventory", {"add_inventory_items": items}, format="json"), 404
    )
    assert error["missing_ids"] == sorted(unknown)
    assert part_lines(ticket) == {stock[0].pk: 2}


@pytest.mark.parametrize("ticket_id", [0, 999999, MAX_ID, BIG_ID])
def test_add_parts_to_unknown_ticket_is_404(staff_client, stock, ticket_id):
    body = {"add_inventory_items": [{"inventory_id": stock[0].pk}]}
    assert_error(staff_client.post(f"/tickets/{ticket_id}/inventory", body, format="json"), 404)
    assert not TicketInventory.objects.exists()


def test_add_parts_is_one_transaction(staff_client, make_ticket, stock, monkeypatch):
    """A failure after the lines were written (here: the database goes away) leaves none."""
    ticket = make_ticket(parts=[(stock[0], 1)])

    def database_gone(*resources):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "bump_ticket", database_gone)  # runs after the inserts
    body = {"add_inventory_items": [{"inventory_id": stock[1].pk, "quantity": 2}, {"inventory_id": stock[2].pk}]}
    assert_error(staff_client.post(f"/tickets/{ticket.pk}/inventory", body, format="json"), 503)
    assert part_lines(ticket) == {stock[0].pk: 1}


def test_update_mechanics_is_one_transaction(staff_client, crew, monkeypatch):
    ticket, (a, b, c, _) = crew

    def database_gone(*resources):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "bump_ticket", database_gone)  # runs after the inserts and deletes
    body = {"add_mechanic_ids": [c.pk], "remove_mechanic_ids": [a.pk]}
    assert_error(staff_client.put(f"/tickets/{ticket.pk}/update-mechanics", body, format="json"), 503)
    assert mechanic_ids(ticket) == [a.pk, b.pk]


@pytest.mark.parametrize(
    "items",
    [
        [],
        None,
        "abc",
        5,
        {"inventory_id": 1},
        [5],
        [None],
        [[1]],
        [{}],
        [{"quantity": 2}],
        [{"inventory_id": "{a}", "quantity": 0}],
        [{"inventory_id": "{a}", "quantity": -1}],
        [{"inventory_id": "{a}", "quantity": 1.5}],
        [{"inventory_id": "{a}", "quantity": "many"}],
        [{"inventory_id": "{a}", "quantity": True}],
        [{"inventory_id": "{a}", "quantity": None}],
        [{"inventory_id": "{a}", "quantity": 2**31}],
        [{"inventory_id": "{a}", "quantity": BIG_ID}],
        [{"inventory_id": 0}],
        [{"inventory_id": -1}],
        [{"inventory_id": MAX_ID + 1}],
        [{"inventory_id": BIG_ID}],
        [{"inventory_id": 1.5}],
        [{"inventory_id": True}],
        [{"inventory_id": "abc"}],
        [{"inventory_id": None}],
        [{"inventory_id": [1]}],
        [{"inventory_id": "{a}"}, {"inventory_id": "{a}", "quantity": 2}],
        [{"inventory_id": "{a}"}, {"inventory_id": "{b}"}, {"inventory_id": "{a}"}],
    ],
)
def test_add_parts_rejects_bad_items_with_400_and_adds_nothing(staff_client, make_ticket, stock, items):
    ticket = make_ticket()
    ids = {"{a}": stock[0].pk, "{b}": stock[1].pk}
    if isinstance(items, list):
        items = [
            {k: ids.get(v, v) if isinstance(v, str) else v for k, v in item.items()} if isinstance(item, dict) else item
            for item in items
        ]
    response = staff_client.post(f"/tickets/{ticket.pk}/inventory", {"add_inventory_items": items}, format="json")
    body = assert_error(response, 400)
    assert any(field.startswith("add_inventory_items") for field in body["fields"]), body
    assert part_lines(ticket) == {}


def test_add_parts_without_the_list_is_400(staff_client, make_ticket):
    ticket = make_ticket()
    assert_error(staff_client.post(f"/tickets/{ticket.pk}/inventory", {}, format="json"), 400, "add_inventory_items")
    assert part_lines(ticket) == {}


def test_add_parts_limit_of_1000_items_per_request(staff_client, make_ticket):
    ticket = make_ticket()
    items = [{"inventory_id": n} for n in range(1, 1002)]
    assert_error(
        staff_client.post(f"/tickets/{ticket.pk}/inventory", {"add_inventory_items": items}, format="json"), 400
    )
    assert part_lines(ticket) == {}


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


# --- with Redis, as in production -------------------------------------------------------------------


@pytest.mark.redis
def test_cached_list_is_refreshed_after_a_change_with_redis(
    staff_client, full_ticket, make_mechanic, redis_cache, throttling_off
):
    extra = make_mechanic(name="Zed")
    staff_client.get("/tickets")
    assert is_cache_hit(staff_client.get("/tickets"))
    body = {"add_mechanic_ids": [extra.pk]}
    assert staff_client.put(f"/tickets/{full_ticket.pk}/update-mechanics", body, format="json").status_code == 200
    response = staff_client.get("/tickets")
    assert not is_cache_hit(response)
    assert response.json()[0]["mechanics"][-1] == {"id": extra.pk, "name": "Zed"}
