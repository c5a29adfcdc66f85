"""The role table of API.md ("Who may call what"), one row per endpoint and caller, for the
endpoints that exist today (customers, mechanics, tickets, vehicles, inventory, documents, reports).

Callers: anonymous, a customer ("me"), and staff. Paths name either my records or another
customer's, so every "own only, else 403" cell is checked from both sides. A method a path does
not serve is 405 for a signed-in caller (and 401 for an anonymous one, who is told to sign in
first). ROLE_MATRIX is the flattened table: len(ROLE_MATRIX) is the number of (endpoint, caller)
cells tested.

That a 401/403 comes before any cached response is checked in test_caching.py.
"""

from dataclasses import dataclass
from functools import cached_property

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from conftest import CUSTOMER_PASSWORD, access_token_for, client_with_token
from customers.models import Customer
from inventory.models import Inventory
from mechanics.models import Mechanic
from tickets import workflow
from tickets.models import Ticket, TicketInventory, TicketLine, TicketMechanic
from vehicles.models import Vehicle
from vehicles.tests.factories import VehicleFactory

ANON, CUSTOMER, STAFF = "anonymous", "customer", "staff"


class World:
    """The records a path or body may name, created on first use so that each test holds only
    what it needs (a customer with tickets could not be deleted, a mechanic on a ticket neither)."""

    def __init__(self, make_customer, make_mechanic, make_item, make_ticket, make_staff):
        self._make_customer, self._make_mechanic = make_customer, make_mechanic
        self._make_item, self._make_ticket, self._make_staff = make_item, make_ticket, make_staff

    @cached_property
    def me(self):
        return self._make_customer(email="me@example.com")

    @cached_property
    def other(self):
        return self._make_customer(email="other@example.com")

    @cached_property
    def staff(self):
        return self._make_staff()

    @cached_property
    def mechanic(self):
        """A mechanic on no ticket."""
        return self._make_mechanic(email="free-mechanic@example.com")

    @cached_property
    def ticket_mechanic(self):
        """The mechanic assigned to both my ticket and the other customer's."""
        return self._make_mechanic(email="busy-mechanic@example.com")

    @cached_property
    def item(self):
        return self._make_item(name="Spark plug")

    @cached_property
    def my_vehicle(self):
        """My vehicle, without tickets (so it can be deleted)."""
        return VehicleFactory(customer=self.me)

    @cached_property
    def other_vehicle(self):
        return VehicleFactory(customer=self.other)

    @cached_property
    def my_ticket(self):
        return self._make_ticket(customer=self.me, mechanics=[self.ticket_mechanic])

    @cached_property
    def other_ticket(self):
        return self._make_ticket(customer=self.other, mechanics=[self.ticket_mechanic])

    @cached_property
    def my_line(self):
        return TicketLine.objects.create(
            ticket=self.my_ticket, kind="labor", description="Brakes", quantity=1, unit_price=80
        )

    @cached_property
    def other_line(self):
        return TicketLine.objects.create(
            ticket=self.other_ticket, kind="fee", description="Disposal", quantity=1, unit_price=5
        )

    @cached_property
    def ticket_item(self):
        """An item that is a parts line on both my ticket and the other customer's."""
        item = self._make_item(name="Brake pad")
        for ticket in (self.my_ticket, self.other_ticket):
            TicketInventory.objects.create(ticket=ticket, inventory=item, quantity=1, unit_price=item.price)
        return item

    def _invoiced(self, customer):
        ticket = self._make_ticket(customer=customer)
        TicketLine.objects.create(ticket=ticket, kind="fee", description="Inspection", quantity=1, unit_price=100)
        for to in ("approved", "in_progress", "completed", "invoiced"):
            workflow.transition(ticket_id=ticket.pk, to=to, by="staff")
        return ticket

    def _awaiting_approval(self, customer):
        """Approved, then work added: its new total waits for the customer's approval."""
        ticket = self._make_ticket(customer=customer)
        workflow.transition(ticket_id=ticket.pk, to="approved", by="staff")
        TicketLine.objects.create(ticket=ticket, kind="labor", description="Extra", quantity=1, unit_price=50)
        return ticket

    @cached_property
    def my_ticket_awaiting_approval(self):
        return self._awaiting_approval(self.me)

    @cached_property
    def other_ticket_awaiting_approval(self):
        return self._awaiting_approval(self.other)

    @cached_property
    def my_invoiced_ticket(self):
        return self._invoiced(self.me)

    @cached_property
    def other_invoiced_ticket(self):
        return self._invoiced(self.other)

    def __getitem__(self, name: str) -> int:
        return getattr(self, name).pk

    def client(self, caller: str) -> APIClient:
        if caller == CUSTOMER:
            return client_with_token(access_token_for(self.me))
        if caller == STAFF:
            return client_with_token(access_token_for(self.staff))
        return APIClient()


@pytest.fixture
def world(make_customer, make_mechanic, make_item, make_ticket, make_staff) -> World:
    return World(make_customer, make_mechanic, make_item, make_ticket, make_staff)


def ticket_body(**extra):
    return lambda w: {
        "VIN": "1HGCM82633A004352",
        "service_date": "2026-12-01",
        "service_description": "Brake check",
        **{key: value(w) if callable(value) else value for key, value in extra.items()},
    }


def new_customer_body(w):
    return {"name": "New Person", "email": "new.person@example.com", "phone": "555-7000", "password": CUSTOMER_PASSWORD}


def customer_replacement_body(w):
    # current_password: a customer replacing their own record changes its email (staff need none).
    return {
        "name": "Renamed",
        "email": "renamed@example.com",
        "phone": "555-7001",
        "current_password": CUSTOMER_PASSWORD,
    }


def mechanic_body(w):
    return {"name": "Mo Mechanic", "email": "mo@example.com", "phone": "555-7002", "salary": 61000.5}


def vehicle_body(**extra):
    return lambda w: {
        "vin": "JH4KA7561PC008269",
        "year": 1993,
        "make": "Acura",
        "model": "Legend",
        **{key: value(w) if callable(value) else value for key, value in extra.items()},
    }


def item_body(w):
    return {"name": "Air filter", "price": 12.5}


my_id = lambda w: w["me"]  # noqa: E731
other_id = lambda w: w["other"]  # noqa: E731


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # placeholders name World attributes
    body: object  # None or a callable World -> dict
    anonymous: int
    customer: int
    staff: int

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


E = Endpoint
# The rows of API.md's table, with the status each caller gets. "me" is the calling customer.
ENDPOINTS = [
    # --- customers
    E("post", "/customers", new_customer_body, 201, 201, 201),
    E("get", "/customers", None, 401, 403, 200),
    E("get", "/customers/{me}", None, 401, 200, 200),
    E("get", "/customers/{other}", None, 401, 403, 200),
    E("put", "/customers/{me}", customer_replacement_body, 401, 200, 200),
    E("put", "/customers/{other}", customer_replacement_body, 401, 403, 200),
    E("patch", "/customers/{me}", lambda w: {"phone": "555-9999"}, 401, 200, 200),
    E("patch", "/customers/{other}", lambda w: {"phone": "555-9999"}, 401, 403, 200),
    E("delete", "/customers/{me}", None, 401, 204, 204),
    E("delete", "/customers/{other}", None, 401, 403, 204),
    # --- mechanics: staff only
    E("get", "/mechanics", None, 401, 403, 200),
    E("post", "/mechanics", mechanic_body, 401, 403, 201),
    E("get", "/mechanics/top-3-mechanics", None, 401, 403, 200),
    E("get", "/mechanics/{mechanic}", None, 401, 403, 200),
    E("put", "/mechanics/{mechanic}", mechanic_body, 401, 403, 200),
    E("patch", "/mechanics/{mechanic}", lambda w: {"salary": 70000}, 401, 403, 200),
    E("delete", "/mechanics/{mechanic}", None, 401, 403, 204),
    # --- tickets
    E("get", "/tickets", None, 401, 403, 200),
    E("get", "/tickets/{my_ticket}", None, 401, 200, 200),
    E("get", "/tickets/{other_ticket}", None, 401, 403, 200),
    E("get", "/tickets/my-tickets", None, 401, 200, 403),
    E("post", "/tickets", ticket_body(customer_id=my_id), 401, 201, 201),
    E("post", "/tickets", ticket_body(customer_id=other_id), 401, 403, 201),
    # A customer's ticket is theirs without saying so; staff must name the customer.
    E("post", "/tickets", ticket_body(), 401, 201, 400),
    E("put", "/tickets/{my_ticket}", ticket_body(), 401, 200, 200),
    E("put", "/tickets/{my_ticket}", ticket_body(customer_id=my_id), 401, 200, 200),
    E("put", "/tickets/{my_ticket}", ticket_body(customer_id=other_id), 401, 403, 200),
    E("put", "/tickets/{other_ticket}", ticket_body(), 401, 403, 200),
    E("patch", "/tickets/{my_ticket}", lambda w: {"service_description": "Tyres"}, 401, 200, 200),
    E("patch", "/tickets/{my_ticket}", lambda w: {"customer_id": w["other"]}, 401, 403, 200),
    E("patch", "/tickets/{other_ticket}", lambda w: {"service_description": "Tyres"}, 401, 403, 200),
    E("put", "/tickets/{my_ticket}/assign-mechanic/{mechanic}", None, 401, 403, 200),
    E("put", "/tickets/{other_ticket}/assign-mechanic/{mechanic}", None, 401, 403, 200),
    E("put", "/tickets/{my_ticket}/remove-mechanic/{ticket_mechanic}", None, 401, 403, 200),
    E("put", "/tickets/{other_ticket}/remove-mechanic/{ticket_mechanic}", None, 401, 403, 200),
    E("put", "/tickets/{my_ticket}/update-mechanics", lambda w: {"add_mechanic_ids": [w["mechanic"]]}, 401, 403, 200),
    E(
        "put",
        "/tickets/{other_ticket}/update-mechanics",
        lambda w: {"add_mechanic_ids": [w["mechanic"]]},
        401,
        403,
        200,
    ),
    E(
        "post",
        "/tickets/{my_ticket}/inventory",
        lambda w: {"add_inventory_items": [{"inventory_id": w["item"], "quantity": 2}]},
        401,
        403,
        200,
    ),
    E(
        "post",
        "/tickets/{other_ticket}/inventory",
        lambda w: {"add_inventory_items": [{"inventory_id": w["item"], "quantity": 2}]},
        401,
        403,
        200,
    ),
    E("delete", "/tickets/{my_ticket}/inventory/{ticket_item}", None, 401, 403, 204),
    E("delete", "/tickets/{other_ticket}/inventory/{ticket_item}", None, 401, 403, 204),
    # The workflow: a customer approves or declines their own estimate, and nothing else.
    E("post", "/tickets/{my_ticket}/transition", lambda w: {"to": "approved"}, 401, 200, 200),
    E("post", "/tickets/{my_ticket}/transition", lambda w: {"to": "cancelled", "note": "Too dear"}, 401, 200, 200),
    E("post", "/tickets/{my_ticket}/transition", lambda w: {"to": "in_progress"}, 401, 403, 409),
    E("post", "/tickets/{other_ticket}/transition", lambda w: {"to": "approved"}, 401, 403, 200),
    E("get", "/tickets/{my_ticket}/history", None, 401, 200, 200),
    E("get", "/tickets/{other_ticket}/history", None, 401, 403, 200),
    # Supplemental work: the customer approves the new total of their own ticket; staff record an
    # approval given by phone (with a note). The audit trail is for staff.
    E("post", "/tickets/{my_ticket_awaiting_approval}/approve", lambda w: {"note": "By phone"}, 401, 200, 200),
    E("post", "/tickets/{other_ticket_awaiting_approval}/approve", lambda w: {"note": "By phone"}, 401, 403, 200),
    E("get", "/tickets/{my_ticket}/changes", None, 401, 403, 200),
    E("get", "/tickets/{other_ticket}/changes", None, 401, 403, 200),
    E(
        "post",
        "/tickets/{my_ticket}/lines",
        lambda w: {"kind": "labor", "description": "Brakes", "quantity": 1.5, "unit_price": 80},
        401,
        403,
        201,
    ),
    E(
        "post",
        "/tickets/{other_ticket}/lines",
        lambda w: {"kind": "fee", "description": "Disposal", "quantity": 1, "unit_price": 5},
        401,
        403,
        201,
    ),
    E("delete", "/tickets/{my_ticket}/lines/{my_line}", None, 401, 403, 204),
    E("delete", "/tickets/{other_ticket}/lines/{other_line}", None, 401, 403, 204),
    E("get", "/tickets/{my_invoiced_ticket}/payments", None, 401, 200, 200),
    E("get", "/tickets/{other_invoiced_ticket}/payments", None, 401, 403, 200),
    E("post", "/tickets/{my_invoiced_ticket}/payments", lambda w: {"amount": 40, "method": "card"}, 401, 403, 201),
    E("post", "/tickets/{other_invoiced_ticket}/payments", lambda w: {"amount": 40, "method": "cash"}, 401, 403, 201),
    # --- documents: a ticket's own customer prints them, as they read the ticket
    E("get", "/tickets/{my_invoiced_ticket}/estimate.pdf", None, 401, 200, 200),
    E("get", "/tickets/{other_invoiced_ticket}/estimate.pdf", None, 401, 403, 200),
    E("get", "/tickets/{my_invoiced_ticket}/invoice.pdf", None, 401, 200, 200),
    E("get", "/tickets/{other_invoiced_ticket}/invoice.pdf", None, 401, 403, 200),
    # --- customers hear from the shop: staff send an estimate; anyone asks for a password reset
    E("post", "/tickets/{my_ticket}/send-estimate", None, 401, 403, 202),
    E("post", "/tickets/{other_ticket}/send-estimate", None, 401, 403, 202),
    E("post", "/customers/password-reset", lambda w: {"email": "me@example.com"}, 202, 202, 202),
    E(
        "post",
        "/customers/password-reset/confirm",
        lambda w: {"token": "not-a-token", "new_password": "Fresh-Lantern-77"},
        400,
        400,
        400,
    ),
    # --- reports: staff only
    E("get", "/reports/sales", None, 401, 403, 200),
    E("get", "/reports/payments", None, 401, 403, 200),
    E("get", "/reports/mechanics", None, 401, 403, 200),
    E("get", "/reports/receivables", None, 401, 403, 200),
    # --- vehicles
    E("get", "/vehicles", None, 401, 403, 200),
    E("post", "/vehicles", vehicle_body(customer_id=my_id), 401, 201, 201),
    E("post", "/vehicles", vehicle_body(customer_id=other_id), 401, 403, 201),
    # A customer's vehicle is theirs without saying so; staff must name the customer.
    E("post", "/vehicles", vehicle_body(), 401, 201, 400),
    E("get", "/vehicles/{my_vehicle}", None, 401, 200, 200),
    E("get", "/vehicles/{other_vehicle}", None, 401, 403, 200),
    E("put", "/vehicles/{my_vehicle}", vehicle_body(), 401, 200, 200),
    E("put", "/vehicles/{my_vehicle}", vehicle_body(customer_id=other_id), 401, 403, 200),
    E("put", "/vehicles/{other_vehicle}", vehicle_body(), 401, 403, 200),
    E("patch", "/vehicles/{my_vehicle}", lambda w: {"license_plate": "ME 1"}, 401, 200, 200),
    E("patch", "/vehicles/{my_vehicle}", lambda w: {"customer_id": w["other"]}, 401, 403, 200),
    E("patch", "/vehicles/{other_vehicle}", lambda w: {"license_plate": "ME 1"}, 401, 403, 200),
    E("delete", "/vehicles/{my_vehicle}", None, 401, 204, 204),
    E("delete", "/vehicles/{other_vehicle}", None, 401, 403, 204),
    E("get", "/vehicles/{my_vehicle}/tickets", None, 401, 200, 200),
    E("get", "/vehicles/{other_vehicle}/tickets", None, 401, 403, 200),
    # --- inventory: anyone reads, staff write
    E("get", "/inventory", None, 200, 200, 200),
    E("get", "/inventory/{item}", None, 200, 200, 200),
    E("post", "/inventory", item_body, 401, 403, 201),
    E("put", "/inventory/{item}", item_body, 401, 403, 200),
    E("patch", "/inventory/{item}", lambda w: {"price": 3}, 401, 403, 200),
    E("delete", "/inventory/{item}", None, 401, 403, 204),
    # --- stock: staff only, reads included
    E("get", "/inventory/{item}/movements", None, 401, 403, 200),
    E("post", "/inventory/{item}/movements", lambda w: {"kind": "receipt", "quantity": 5}, 401, 403, 201),
    E("get", "/inventory/low-stock", None, 401, 403, 200),
]

# Methods the paths do not serve: 405 for whoever is signed in, whatever their role.
NOT_ALLOWED = [
    E("put", "/customers", customer_replacement_body, 401, 405, 405),
    E("delete", "/customers", None, 401, 405, 405),
    E("post", "/customers/{me}", new_customer_body, 401, 405, 405),
    E("patch", "/mechanics", lambda w: {"salary": 1}, 401, 405, 405),
    E("post", "/mechanics/{mechanic}", mechanic_body, 401, 405, 405),
    E("delete", "/mechanics/top-3-mechanics", None, 401, 405, 405),
    E("post", "/mechanics/top-3-mechanics", None, 401, 405, 405),
    # Service history is kept: tickets are never deleted.
    E("delete", "/tickets/{my_ticket}", None, 401, 405, 405),
    E("delete", "/tickets/{other_ticket}", None, 401, 405, 405),
    E("delete", "/tickets", None, 401, 405, 405),
    E("delete", "/tickets/my-tickets", None, 401, 405, 405),
    E("post", "/tickets/my-tickets", ticket_body(), 401, 405, 405),
    E("post", "/tickets/{my_ticket}", ticket_body(), 401, 405, 405),
    E("get", "/tickets/{my_ticket}/assign-mechanic/{mechanic}", None, 401, 405, 405),
    E("delete", "/tickets/{my_ticket}/remove-mechanic/{ticket_mechanic}", None, 401, 405, 405),
    E("post", "/tickets/{my_ticket}/update-mechanics", lambda w: {"add_mechanic_ids": [w["mechanic"]]}, 401, 405, 405),
    E("get", "/tickets/{my_ticket}/inventory", None, 401, 405, 405),
    E("put", "/tickets/{my_ticket}/inventory/{ticket_item}", None, 401, 405, 405),
    E("get", "/tickets/{my_ticket}/transition", None, 401, 405, 405),
    E("post", "/tickets/{my_ticket}/history", None, 401, 405, 405),
    E("get", "/tickets/{my_ticket}/approve", None, 401, 405, 405),
    E("get", "/tickets/{my_ticket}/send-estimate", None, 401, 405, 405),
    E("post", "/tickets/{my_ticket}/changes", None, 401, 405, 405),
    E("get", "/tickets/{my_ticket}/lines", None, 401, 405, 405),
    E("get", "/tickets/{my_ticket}/lines/{my_line}", None, 401, 405, 405),
    E("delete", "/tickets/{my_invoiced_ticket}/payments", None, 401, 405, 405),
    E("post", "/tickets/{my_invoiced_ticket}/invoice.pdf", None, 401, 405, 405),
    E("delete", "/tickets/{my_ticket}/estimate.pdf", None, 401, 405, 405),
    E("post", "/reports/sales", None, 401, 405, 405),
    E("delete", "/reports/receivables", None, 401, 405, 405),
    E("put", "/vehicles", vehicle_body(), 401, 405, 405),
    E("delete", "/vehicles", None, 401, 405, 405),
    E("post", "/vehicles/{my_vehicle}", vehicle_body(), 401, 405, 405),
    E("post", "/vehicles/{my_vehicle}/tickets", None, 401, 405, 405),
    E("delete", "/vehicles/{my_vehicle}/tickets", None, 401, 405, 405),
    E("put", "/inventory", item_body, 401, 405, 405),
    E("delete", "/inventory", None, 401, 405, 405),
    E("post", "/inventory/{item}", item_body, 401, 405, 405),
    E("delete", "/inventory/{item}/movements", None, 401, 405, 405),
    E("post", "/inventory/low-stock", item_body, 401, 405, 405),
]

ROLE_MATRIX = [
    pytest.param(endpoint, caller, getattr(endpoint, caller), id=f"{endpoint}-{caller}")
    for endpoint in [*ENDPOINTS, *NOT_ALLOWED]
    for caller in (ANON, CUSTOMER, STAFF)
]


def call(client: APIClient, endpoint: Endpoint, world: World):
    path = endpoint.path.format_map(world)
    body = endpoint.body(world) if endpoint.body else None
    return getattr(client, endpoint.method)(path, body, format="json")


@pytest.mark.parametrize(("endpoint", "caller", "expected"), ROLE_MATRIX)
def test_role_table(world, endpoint, caller, expected):
    response = call(world.client(caller), endpoint, world)

    assert response.status_code == expected, response.content
    if expected == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    if expected == 405:
        assert endpoint.method.upper() not in [m.strip() for m in response["Allow"].split(",")]
    if expected >= 400:
        # A refused transition also names the ticket's status and the moves it allows.
        assert set(response.json()) <= ({"error", "fields"} | ({"status", "allowed"} if expected == 409 else set()))
        assert isinstance(response.json()["error"], str) and response.json()["error"]


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Customer, Mechanic, Inventory, Ticket, TicketMechanic, TicketInventory, Vehicle)
    )


@pytest.mark.parametrize("endpoint", [e for e in NOT_ALLOWED if e.method != "get"], ids=str)
@pytest.mark.parametrize("caller", [ANON, CUSTOMER, STAFF])
def test_a_refused_method_changes_nothing(world, endpoint, caller):
    # Everything the call names exists before the count.
    client, path = world.client(caller), endpoint.path.format_map(world)
    body = endpoint.body(world) if endpoint.body else None
    before = counts()

    response = getattr(client, endpoint.method)(path, body, format="json")

    assert response.status_code == getattr(endpoint, caller)  # 401 anonymous, else 405
    assert counts() == before


def test_matrix_has_a_row_for_every_routed_action():
    """A new action on a ViewSet must get its row in the table."""
    from django.urls import resolve

    from customers.urls import router as customers_router
    from documents.urls import router as documents_router
    from inventory.urls import router as inventory_router
    from mechanics.urls import router as mechanics_router
    from reports.urls import router as reports_router
    from tickets.urls import router as tickets_router
    from vehicles.urls import router as vehicles_router

    routers = (customers_router, inventory_router, mechanics_router, tickets_router, vehicles_router)
    routed = set()
    for router in (*routers, documents_router, reports_router):
        for url in router.urls:
            viewset = url.callback.cls
            for method, action in url.callback.actions.items():
                if method in viewset.http_method_names and action not in ("login",):
                    routed.add((viewset.__name__, action))
    covered = set()
    for endpoint in ENDPOINTS:
        callback = resolve(endpoint.path.format_map(_AnyId())).func
        covered.add((callback.cls.__name__, callback.actions[endpoint.method]))

    assert routed - covered == set()


def test_not_allowed_rows_name_methods_their_routes_do_not_serve():
    """A 405 row whose method a route gains must move to the table above."""
    from django.urls import resolve

    for endpoint in NOT_ALLOWED:
        callback = resolve(endpoint.path.format_map(_AnyId())).func
        assert endpoint.method not in callback.actions or endpoint.method not in callback.cls.http_method_names, (
            endpoint
        )


class _AnyId(dict):
    def __missing__(self, key):
        return 1


# --- what a forbidden call leaves behind -----------------------------------------------------

FORBIDDEN_CUSTOMER_WRITES = [e for e in ENDPOINTS if e.method != "get" and e.customer == 403 and e.path.count("/") >= 2]


@pytest.mark.parametrize("endpoint", FORBIDDEN_CUSTOMER_WRITES, ids=str)
def test_forbidden_customer_write_changes_nothing(world, endpoint):
    record_path = "/".join(endpoint.path.format_map(world).split("/")[:3])
    staff = world.client(STAFF)
    before = staff.get(record_path).json()

    response = call(world.client(CUSTOMER), endpoint, world)
    cache.clear()  # read the database, not a copy cached before the call
    after = staff.get(record_path)

    assert response.status_code == 403
    assert after.status_code == 200
    assert after.json() == before


def test_customer_ticket_without_customer_id_is_their_own(world):
    response = world.client(CUSTOMER).post("/tickets", ticket_body()(world), format="json")

    assert response.status_code == 201
    assert response.json()["customer_id"] == world["me"]
    assert Ticket.objects.get(pk=response.json()["id"]).customer_id == world["me"]


def test_customer_cannot_open_a_ticket_for_another_customer(world):
    response = world.client(CUSTOMER).post("/tickets", ticket_body(customer_id=other_id)(world), format="json")

    assert response.status_code == 403
    assert not Ticket.objects.filter(customer=world.other).exists()


def test_customer_cannot_move_own_ticket_to_another_customer(world):
    ticket_id = world["my_ticket"]

    response = world.client(CUSTOMER).patch(f"/tickets/{ticket_id}", {"customer_id": world["other"]}, format="json")

    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket_id).customer_id == world["me"]


def test_my_tickets_lists_only_the_callers_tickets(world):
    mine, _theirs = world["my_ticket"], world["other_ticket"]

    response = world.client(CUSTOMER).get("/tickets/my-tickets")

    assert response.status_code == 200
    assert [t["id"] for t in response.json()] == [mine]


# --- an id that is not the customer's, existing or not ---------------------------------------

UNKNOWN_ID = 987654321
OWN_ONLY_BY_ID = [
    ("get", "/tickets/{id}", None),
    ("patch", "/tickets/{id}", {"service_description": "Brakes"}),
    (
        "put",
        "/tickets/{id}",
        {"VIN": "1HGCM82633A004352", "service_date": "2026-11-02", "service_description": "Brakes"},
    ),
    ("post", "/tickets/{id}/transition", {"to": "approved"}),
    ("post", "/tickets/{id}/approve", {"note": "By phone"}),
    ("get", "/tickets/{id}/changes", None),
    ("get", "/tickets/{id}/history", None),
    ("get", "/tickets/{id}/payments", None),
    ("get", "/tickets/{id}/estimate.pdf", None),
    ("get", "/tickets/{id}/invoice.pdf", None),
    ("get", "/vehicles/{id}", None),
    ("patch", "/vehicles/{id}", {"make": "Honda"}),
    ("delete", "/vehicles/{id}", None),
    ("get", "/vehicles/{id}/tickets", None),
]


@pytest.mark.parametrize(("method", "path", "body"), OWN_ONLY_BY_ID, ids=lambda v: v if isinstance(v, str) else "")
def test_customer_gets_403_for_an_unknown_id_as_for_another_customers(world, method, path, body):
    """API.md: "own only, else 403", and a 403 is decided before anything else (an unknown id's
    404 included), so a customer cannot tell another customer's ticket or vehicle from none."""
    other_id = world["other_ticket"] if path.startswith("/tickets") else world["other_vehicle"]
    client = world.client(CUSTOMER)

    def send(record_id):
        url = path.format(id=record_id)
        return (
            client.get(url) if body is None and method == "get" else getattr(client, method)(url, body, format="json")
        )

    theirs, unknown = send(other_id), send(UNKNOWN_ID)

    assert (theirs.status_code, unknown.status_code) == (403, 403)
    assert unknown.json() == theirs.json()
    record_path = "/".join(path.format(id=UNKNOWN_ID).split("/")[:3])
    assert world.client(STAFF).get(record_path).status_code == 404  # staff still learn it does not exist
