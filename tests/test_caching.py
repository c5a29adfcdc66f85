"""Cached reads (GET /customers/<id>, /mechanics, /mechanics/<id>, /tickets, /tickets/<id>,
/tickets/my-tickets): a hit after a miss, never stale after any write, never shown to a caller who
may not see it, one entry for all callers allowed to see the same body, and one cache round trip
per hit (two for a read per caller). Each test runs on the default store (diskcache) and on Redis (the `store` fixture).

The invalidation policy (core/caching.py): the service that writes bumps the versions of what
the write shows in; every write goes through a service, the admin's too, and the demo data's bulk
loads bump every resource. WRITE_PATHS walks every write path: each service function, each write
the admin offers, each management command of the project. A new one missing from the table fails
a test_every_..._is_walked test; one that leaves a cached read stale fails
test_no_cached_read_is_stale_after_a_write.

core.caching adds `Age` to an answer it serves from the cache; an answer built by the view has
none.
"""

import importlib
import inspect
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.cache import cache, caches
from django.core.management import call_command, get_commands
from django.test import Client, RequestFactory
from django.utils.decorators import method_decorator
from rest_framework.response import Response
from rest_framework.views import APIView

from conftest import CUSTOMER_PASSWORD, client_with_token
from core import caching
from inventory import stock
from mechanics import services as mechanic_services
from notifications import services as notification_services
from tickets import services as ticket_services
from tickets import workflow
from tickets.versions import bump_ticket
from vehicles.tests.factories import VehicleFactory, make_vin

pytestmark = pytest.mark.usefixtures("store", "throttling_off")

# The modules whose public functions are the services: every write to the shop's data goes through one.
SERVICE_MODULES = (
    "customers.services",
    "mechanics.services",
    "inventory.services",
    "inventory.stock",
    "vehicles.services",
    "tickets.services",
    "tickets.workflow",
)
# Admin pages whose writes no cached read shows: Django's own users and groups (the cached copy of
# an account is accounts.signals' business, tested in accounts/tests/test_principals.py).
ADMIN_WITHOUT_CACHED_READS = {"auth.user", "auth.group", "webhooks.subscription"}


@pytest.fixture
def shop(staff_client, customer, customer_client, make_customer, make_mechanic, make_item, make_ticket, superuser):
    """Ticket `t` of `customer` with mechanic m1, tracked part i1 and `line` on it, written through
    the services; m2, tracked i2, untracked i3, customer c2 and `customer`'s vehicle `v` are on no
    ticket; `t0`, another ticket of `customer`, charges nothing."""
    m1, m2 = make_mechanic(), make_mechanic()
    i1, i2, i3 = make_item(), make_item(), make_item()
    for item in (i1, i2):
        stock.receive_initial_stock(item_id=item.pk, quantity=10, by="test")
    t = ticket_services.ticket_create(
        customer_id=customer.pk, vin="1HGCM82633A004352", service_date=date(2026, 11, 2), service_description="Brakes"
    )
    ticket_services.assign_mechanic(ticket_id=t.pk, mechanic_id=m1.pk)
    ticket_services.add_parts(ticket_id=t.pk, quantities={i1.pk: 1})
    line = ticket_services.add_line(ticket_id=t.pk, kind="fee", description="Disposal", quantity=1, unit_price=5)
    return SimpleNamespace(
        staff=staff_client,
        c=customer,
        owner=customer_client,
        c2=make_customer(),
        m1=m1,
        m2=m2,
        i1=i1,
        i2=i2,
        i3=i3,
        t=t,
        line=line,
        t0=make_ticket(customer=customer),
        v=VehicleFactory(customer=customer),
        superuser=superuser,
    )


def is_hit(response) -> bool:
    return response.has_header("Age")


def seen(response) -> tuple:
    """What a client sees of a read: its status, body and total count."""
    return response.status_code, response.json(), response.get("X-Total-Count")


def warm(client, urls: list[str]) -> dict[str, tuple]:
    """Read each URL twice, a miss and then a hit of the same answer; what was seen."""
    before = {}
    for url in urls:
        miss, hit = client.get(url), client.get(url)
        assert (miss.status_code, is_hit(miss)) == (200, False), url
        assert (hit.status_code, is_hit(hit)) == (200, True), url
        assert seen(hit) == seen(miss) and int(hit["Age"]) >= 0
        before[url] = seen(miss)
    return before


def assert_fresh_after(client, urls: list[str], write, changed: list[str] | None = None) -> None:
    """Warm each URL, write, then read each again: what the database holds now (as read with an
    empty cache), never what was cached before. The `changed` URLs (all of them by default) must
    show that the write changed them."""
    before = warm(client, urls)

    write()

    after = {url: client.get(url) for url in urls}
    cache.clear()
    truth = {url: seen(client.get(url)) for url in urls}
    for url in urls:
        assert seen(after[url]) == truth[url], f"{url}: stale after the write"
    for url in urls if changed is None else changed:
        assert truth[url] != before[url], f"{url}: the write changed nothing visible"
        if after[url].status_code == 200:
            assert not is_hit(after[url]), f"{url}: served from the cache after the write"


def answer_estimate_link(w, decision: str) -> None:
    """The ticket's customer answers the approval link of an estimate sent now (its page)."""
    link = notification_services.send_estimate(ticket_id=w.t.pk, by="staff")
    token = notification_services.estimate_url(link).rsplit("/", 1)[1]
    ok(Client().post(f"/estimates/{token}", {"decision": decision}))


def ok(response, status: int = 200) -> None:
    assert response.status_code == status, response.content[:2000]


def move(ticket, *statuses: str) -> None:
    for status in statuses:
        workflow.transition(ticket_id=ticket.pk, to=status, by="test")


TO_COMPLETED = ("approved", "in_progress", "completed")


# --- the admin's pages ---------------------------------------------------------------------------


def admin_client(w) -> Client:
    client = Client()
    client.force_login(w.superuser)
    return client


def page_data(page, **fields) -> dict:
    """What the browser would post back from an admin form page unchanged (the form and every
    inline formset, management forms included), with `fields` changed."""
    forms, data = [page.context["adminform"].form], {}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(name): value for name, value in management.initial.items()})
        forms += inline.formset.forms
    for form in forms:
        for bound in form:
            if bound.value() is not None:
                data[bound.html_name] = bound.value()
    return {**data, **fields}


def admin_form(w, path: str, **fields) -> None:
    """Open the admin's add or change page and send it with `fields` changed."""
    client = admin_client(w)
    ok(client.post(f"/admin/{path}", page_data(client.get(f"/admin/{path}"), **fields)), 302)


def admin_delete(w, path: str) -> None:
    ok(admin_client(w).post(f"/admin/{path}delete/", {"post": "yes"}), 302)


def admin_post(w, path: str, **fields) -> None:
    """Press a button of the ticket page's panel: it comes back to the page with a success message."""
    response = admin_client(w).post(f"/admin/{path}", fields)
    ok(response, 302)
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]


def admin_action(w, changelist: str, action: str, objects, **fields) -> None:
    data = {"action": action, "_selected_action": [obj.pk for obj in objects], **fields}
    ok(admin_client(w).post(f"/admin/{changelist}", data), 302)


# --- every write path ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WritePath:
    name: str
    write: Callable
    # the cached URLs (beyond watched()) the write must visibly change
    changes: Callable = lambda w: []
    # the service functions it goes through ("tickets.services.add_line"), checked to be called
    exercises: tuple[str, ...] = ()
    # what it walks in the admin: (model label, "add" / "change" / "delete" / "action:<name>" / "inline:<model label>")
    admin: tuple[str, str] | None = None
    command: str | None = None
    # run before the cached reads are warmed
    prepare: Callable | None = None


def watched(w) -> list[str]:
    """The cached reads every write path is checked against."""
    return [
        f"/customers/{w.c.pk}",
        "/mechanics",
        f"/mechanics/{w.m1.pk}",
        "/tickets",
        f"/tickets/{w.t.pk}",
        f"/tickets/{w.t0.pk}",
    ]


def customer_url(w) -> list[str]:
    return [f"/customers/{w.c.pk}"]


def free_customer_url(w) -> list[str]:
    return [f"/customers/{w.c2.pk}"]


def mechanic_urls(w) -> list[str]:
    return ["/mechanics", f"/mechanics/{w.m2.pk}"]


def ticket_urls(w) -> list[str]:
    return ["/tickets", "/tickets?page=1&per_page=50"]


def ticket_and_mechanic_urls(w) -> list[str]:
    return [*ticket_urls(w), "/mechanics", f"/mechanics/{w.m1.pk}"]


def seed_shop(*flags: str) -> Callable:
    sizes = ("--customers", "2", "--mechanics", "2", "--tickets", "3", "--parts", "2")
    return lambda w: call_command("seed_shop", *sizes, *flags, verbosity=0)


def new_ticket_body(**extra) -> dict:
    return {"VIN": "2HGCM82633A004352", "service_date": "2026-12-01", "service_description": "Brake job", **extra}


def new_vehicle_body(w) -> dict:
    return {"customer_id": w.c.pk, "vin": make_vin(9001), "year": 2019, "make": "Honda", "model": "Civic"}


CUSTOMERS, MECHANICS, INVENTORY = "customers.services", "mechanics.services", "inventory.services"
STOCK, VEHICLES, TICKETS, TRANSITION = "inventory.stock", "vehicles.services", "tickets.services", "tickets.workflow"


def transition_action(to: str, ticket: str = "t", path: tuple[str, ...] = ()) -> WritePath:
    return WritePath(
        f"admin action: move to {to}",
        lambda w: admin_action(w, "tickets/ticket/", f"move_to_{to}", [getattr(w, ticket)]),
        ticket_urls,
        (f"{TRANSITION}.transition",),
        admin=("tickets.ticket", f"action:move_to_{to}"),
        prepare=lambda w: move(getattr(w, ticket), *path),
    )


WRITE_PATHS = [
    # customers
    WritePath(
        "POST customer (sign-up)",
        lambda w: ok(
            w.staff.post(
                "/customers", {"name": "New", "email": "new@example.com", "phone": "1", "password": "Fresh-Lantern-77"}
            ),
            201,
        ),
        exercises=(f"{CUSTOMERS}.customer_create",),
    ),
    WritePath(
        "PUT customer",
        lambda w: ok(w.staff.put(f"/customers/{w.c.pk}", {"name": "Put Name", "email": w.c.email, "phone": w.c.phone})),
        customer_url,
        (f"{CUSTOMERS}.customer_update",),
    ),
    WritePath(
        "PATCH customer email by its owner",
        lambda w: ok(
            w.owner.patch(f"/customers/{w.c.pk}", {"email": "moved@example.com", "current_password": CUSTOMER_PASSWORD})
        ),
        customer_url,
        (f"{CUSTOMERS}.customer_update", f"{CUSTOMERS}.needs_current_password"),
    ),
    WritePath(
        "DELETE customer",
        lambda w: ok(w.staff.delete(f"/customers/{w.c2.pk}"), 204),
        free_customer_url,
        (f"{CUSTOMERS}.customer_delete",),
    ),
    WritePath(
        "admin customer add",
        lambda w: admin_form(
            w, "customers/customer/add/", name="Ann", email="ann@example.com", phone="1", new_password="Fresh-Lamp-77"
        ),
        exercises=(f"{CUSTOMERS}.customer_create",),
        admin=("customers.customer", "add"),
    ),
    WritePath(
        "admin customer change",
        lambda w: admin_form(w, f"customers/customer/{w.c.pk}/change/", name="Renamed In Admin"),
        customer_url,
        (f"{CUSTOMERS}.customer_update",),
        admin=("customers.customer", "change"),
    ),
    WritePath(
        "admin customer delete",
        lambda w: admin_delete(w, f"customers/customer/{w.c2.pk}/"),
        free_customer_url,
        (f"{CUSTOMERS}.customer_delete",),
        admin=("customers.customer", "delete"),
    ),
    WritePath(
        "admin customer delete action",
        lambda w: admin_action(w, "customers/customer/", "delete_selected", [w.c2], post="yes"),
        free_customer_url,
        (f"{CUSTOMERS}.customer_delete",),
        admin=("customers.customer", "action:delete_selected"),
    ),
    # mechanics
    WritePath(
        "POST mechanic",
        lambda w: ok(
            w.staff.post("/mechanics", {"name": "New", "email": "new@shop.example", "phone": "2", "salary": 3}), 201
        ),
        lambda w: ["/mechanics"],
        (f"{MECHANICS}.mechanic_create",),
    ),
    WritePath(
        "PUT mechanic",
        lambda w: ok(
            w.staff.put(f"/mechanics/{w.m2.pk}", {"name": "Put Mech", "email": w.m2.email, "phone": "1", "salary": 1})
        ),
        mechanic_urls,
        (f"{MECHANICS}.mechanic_update",),
    ),
    WritePath(
        "PATCH mechanic on a ticket",
        lambda w: ok(w.staff.patch(f"/mechanics/{w.m1.pk}", {"name": "Renamed Mech"})),
        ticket_and_mechanic_urls,
        (f"{MECHANICS}.mechanic_update",),
    ),
    WritePath(
        "DELETE mechanic",
        lambda w: ok(w.staff.delete(f"/mechanics/{w.m2.pk}"), 204),
        mechanic_urls,
        (f"{MECHANICS}.mechanic_delete",),
    ),
    WritePath(
        "admin mechanic add",
        lambda w: admin_form(
            w, "mechanics/mechanic/add/", name="Ada", email="ADA@shop.example", phone="3", salary="51000.00"
        ),
        lambda w: ["/mechanics"],
        (f"{MECHANICS}.mechanic_create",),
        admin=("mechanics.mechanic", "add"),
    ),
    WritePath(
        "admin mechanic change",
        lambda w: admin_form(w, f"mechanics/mechanic/{w.m1.pk}/change/", name="Renamed In Admin"),
        ticket_and_mechanic_urls,
        (f"{MECHANICS}.mechanic_update",),
        admin=("mechanics.mechanic", "change"),
    ),
    WritePath(
        "admin mechanic delete",
        lambda w: admin_delete(w, f"mechanics/mechanic/{w.m2.pk}/"),
        mechanic_urls,
        (f"{MECHANICS}.mechanic_delete",),
        admin=("mechanics.mechanic", "delete"),
    ),
    WritePath(
        "admin mechanic delete action",
        lambda w: admin_action(w, "mechanics/mechanic/", "delete_selected", [w.m2], post="yes"),
        mechanic_urls,
        (f"{MECHANICS}.mechanic_delete",),
        admin=("mechanics.mechanic", "action:delete_selected"),
    ),
    # inventory and stock: tickets show their parts' names, not the items' prices or stock
    WritePath(
        "POST inventory with stock",
        lambda w: ok(w.staff.post("/inventory", {"name": "New part", "price": 2, "quantity_on_hand": 4}), 201),
        exercises=(f"{INVENTORY}.inventory_create", f"{STOCK}.receive_initial_stock"),
    ),
    WritePath(
        "PATCH inventory name and price",
        lambda w: ok(w.staff.patch(f"/inventory/{w.i1.pk}", {"name": "Repriced", "price": 42.5})),
        ticket_urls,
        (f"{INVENTORY}.inventory_update",),
    ),
    WritePath(
        "PUT inventory",
        lambda w: ok(w.staff.put(f"/inventory/{w.i1.pk}", {"name": "Put part", "price": 1.25})),
        ticket_urls,
        (f"{INVENTORY}.inventory_update",),
    ),
    WritePath(
        "DELETE inventory",
        lambda w: ok(w.staff.delete(f"/inventory/{w.i3.pk}"), 204),
        exercises=(f"{INVENTORY}.inventory_delete",),
    ),
    WritePath(
        "POST stock movement",
        lambda w: ok(w.staff.post(f"/inventory/{w.i1.pk}/movements", {"kind": "receipt", "quantity": 5}), 201),
        exercises=(f"{STOCK}.record_movement",),
    ),
    WritePath(
        "admin inventory add",
        lambda w: admin_form(w, "inventory/inventory/add/", name="Admin part", price="3.00", reorder_point=0),
        exercises=(f"{INVENTORY}.inventory_create",),
        admin=("inventory.inventory", "add"),
    ),
    WritePath(
        "admin inventory change",
        lambda w: admin_form(w, f"inventory/inventory/{w.i1.pk}/change/", name="Renamed In Admin"),
        ticket_urls,
        (f"{INVENTORY}.inventory_update",),
        admin=("inventory.inventory", "change"),
    ),
    WritePath(
        "admin inventory delete",
        lambda w: admin_delete(w, f"inventory/inventory/{w.i3.pk}/"),
        exercises=(f"{INVENTORY}.inventory_delete",),
        admin=("inventory.inventory", "delete"),
    ),
    WritePath(
        "admin inventory delete action",
        lambda w: admin_action(w, "inventory/inventory/", "delete_selected", [w.i3], post="yes"),
        exercises=(f"{INVENTORY}.inventory_delete",),
        admin=("inventory.inventory", "action:delete_selected"),
    ),
    WritePath(
        "admin action: receive stock",
        lambda w: admin_action(
            w, "inventory/inventory/", "receive_stock", [w.i1, w.i2], apply="1", kind="receipt", quantity=3, note=""
        ),
        exercises=(f"{STOCK}.record_movement",),
        admin=("inventory.inventory", "action:receive_stock"),
    ),
    # vehicles: a ticket shows only its vehicle's id, which only tickets.services changes
    WritePath(
        "POST vehicle",
        lambda w: ok(w.staff.post("/vehicles", new_vehicle_body(w)), 201),
        exercises=(f"{VEHICLES}.vehicle_create",),
    ),
    WritePath(
        "PATCH vehicle",
        lambda w: ok(w.staff.patch(f"/vehicles/{w.v.pk}", {"license_plate": "SHOP-1"})),
        exercises=(f"{VEHICLES}.vehicle_update",),
    ),
    WritePath(
        "DELETE vehicle",
        lambda w: ok(w.staff.delete(f"/vehicles/{w.v.pk}"), 204),
        exercises=(f"{VEHICLES}.vehicle_delete",),
    ),
    WritePath(
        "admin vehicle add",
        lambda w: admin_form(
            w, "vehicles/vehicle/add/", customer=w.c.pk, vin=make_vin(9002), year=2019, make="Ford", model="Focus"
        ),
        exercises=(f"{VEHICLES}.vehicle_create",),
        admin=("vehicles.vehicle", "add"),
    ),
    WritePath(
        "admin vehicle change",
        lambda w: admin_form(w, f"vehicles/vehicle/{w.v.pk}/change/", license_plate="SHOP-2"),
        exercises=(f"{VEHICLES}.vehicle_update",),
        admin=("vehicles.vehicle", "change"),
    ),
    WritePath(
        "admin vehicle delete",
        lambda w: admin_delete(w, f"vehicles/vehicle/{w.v.pk}/"),
        exercises=(f"{VEHICLES}.vehicle_delete",),
        admin=("vehicles.vehicle", "delete"),
    ),
    WritePath(
        "admin vehicle delete action",
        lambda w: admin_action(w, "vehicles/vehicle/", "delete_selected", [w.v], post="yes"),
        exercises=(f"{VEHICLES}.vehicle_delete",),
        admin=("vehicles.vehicle", "action:delete_selected"),
    ),
    # tickets
    WritePath(
        "POST ticket by staff",
        lambda w: ok(w.staff.post("/tickets", new_ticket_body(customer_id=w.c2.pk)), 201),
        ticket_urls,
        (f"{TICKETS}.ticket_create",),
    ),
    WritePath(
        "POST ticket by its customer",
        lambda w: ok(w.owner.post("/tickets", new_ticket_body()), 201),
        ticket_urls,
        (f"{TICKETS}.ticket_create",),
    ),
    WritePath(
        "PUT ticket",
        lambda w: ok(w.staff.put(f"/tickets/{w.t.pk}", new_ticket_body())),
        ticket_urls,
        (f"{TICKETS}.ticket_update",),
    ),
    WritePath(
        "PATCH ticket by its customer",
        lambda w: ok(w.owner.patch(f"/tickets/{w.t.pk}", {"service_description": "Owner note"})),
        ticket_urls,
        (f"{TICKETS}.ticket_update",),
    ),
    WritePath(
        "PATCH ticket customer",
        lambda w: ok(w.staff.patch(f"/tickets/{w.t.pk}", {"customer_id": w.c2.pk})),
        ticket_urls,
        (f"{TICKETS}.ticket_update",),
    ),
    WritePath(
        "PATCH ticket vehicle",
        lambda w: ok(w.staff.patch(f"/tickets/{w.t.pk}", {"vehicle_id": w.v.pk, "mileage_in": 1200})),
        ticket_urls,
        (f"{TICKETS}.ticket_update", f"{VEHICLES}.lock_vehicles", f"{TICKETS}.refresh_mileage"),
    ),
    WritePath(
        "assign-mechanic",
        lambda w: ok(w.staff.put(f"/tickets/{w.t.pk}/assign-mechanic/{w.m2.pk}")),
        ticket_urls,
        (f"{TICKETS}.assign_mechanic",),
    ),
    WritePath(
        "remove-mechanic",
        lambda w: ok(w.staff.put(f"/tickets/{w.t.pk}/remove-mechanic/{w.m1.pk}")),
        ticket_urls,
        (f"{TICKETS}.remove_mechanic",),
    ),
    WritePath(
        "update-mechanics",
        lambda w: ok(
            w.staff.put(
                f"/tickets/{w.t.pk}/update-mechanics", {"add_mechanic_ids": [w.m2.pk], "remove_mechanic_ids": [w.m1.pk]}
            )
        ),
        ticket_urls,
        (f"{TICKETS}.update_mechanics",),
    ),
    WritePath(
        "POST ticket inventory",
        lambda w: ok(
            w.staff.post(
                f"/tickets/{w.t.pk}/inventory", {"add_inventory_items": [{"inventory_id": w.i2.pk, "quantity": 3}]}
            )
        ),
        ticket_urls,
        (f"{TICKETS}.add_parts", f"{STOCK}.consume_for_ticket"),
    ),
    WritePath(
        "DELETE ticket part",
        lambda w: ok(w.staff.delete(f"/tickets/{w.t.pk}/inventory/{w.i1.pk}"), 204),
        ticket_urls,
        (f"{TICKETS}.remove_part", f"{STOCK}.return_for_ticket"),
    ),
    WritePath(
        "POST ticket line",
        lambda w: ok(
            w.staff.post(
                f"/tickets/{w.t.pk}/lines", {"kind": "fee", "description": "Towing", "quantity": 1, "unit_price": 5}
            ),
            201,
        ),
        ticket_urls,
        (f"{TICKETS}.add_line",),
    ),
    WritePath(
        "DELETE ticket line",
        lambda w: ok(w.staff.delete(f"/tickets/{w.t.pk}/lines/{w.line.pk}"), 204),
        ticket_urls,
        (f"{TICKETS}.delete_line",),
    ),
    WritePath(
        "POST payment",
        lambda w: ok(w.staff.post(f"/tickets/{w.t.pk}/payments", {"amount": "1.00", "method": "cash"}), 201),
        ticket_urls,
        (f"{TICKETS}.add_payment",),
        prepare=lambda w: move(w.t, *TO_COMPLETED, "invoiced"),
    ),
    WritePath(
        "transition",
        lambda w: ok(w.staff.post(f"/tickets/{w.t.pk}/transition", {"to": "approved"})),
        ticket_urls,
        (f"{TRANSITION}.transition",),
    ),
    WritePath(
        "approve the new total (by its customer)",
        lambda w: ok(w.owner.post(f"/tickets/{w.t.pk}/approve", {})),
        ticket_urls,
        (f"{TRANSITION}.approve_supplemental",),
        prepare=lambda w: (
            move(w.t, "approved"),
            ticket_services.add_line(ticket_id=w.t.pk, kind="fee", description="Extra", quantity=1, unit_price=7),
        ),
    ),
    WritePath(
        "decline the new total (by its customer, on the estimate link's page)",
        lambda w: answer_estimate_link(w, "decline"),
        exercises=(f"{TRANSITION}.decline_supplemental",),
        prepare=lambda w: (
            move(w.t, "approved"),
            ticket_services.add_line(ticket_id=w.t.pk, kind="fee", description="Extra", quantity=1, unit_price=7),
        ),
    ),
    WritePath(
        "approve the estimate (by its customer, on the estimate link's page)",
        lambda w: answer_estimate_link(w, "approve"),
        ticket_urls,
        (f"{TRANSITION}.transition",),
    ),
    WritePath(
        "transition by its customer",
        lambda w: ok(w.owner.post(f"/tickets/{w.t.pk}/transition", {"to": "cancelled"})),
        ticket_urls,
        (f"{TRANSITION}.transition", f"{STOCK}.return_for_ticket"),
    ),
    WritePath(
        "admin ticket add",
        lambda w: admin_form(
            w,
            "tickets/ticket/add/",
            customer=w.c2.pk,
            vin="2HGCM82633A004352",
            service_date="2026-12-01",
            service_description="Added in the admin",
        ),
        ticket_urls,
        (f"{TICKETS}.ticket_create",),
        admin=("tickets.ticket", "add"),
    ),
    WritePath(
        "admin ticket change",
        lambda w: admin_form(w, f"tickets/ticket/{w.t.pk}/change/", service_description="Changed in the admin"),
        ticket_urls,
        (f"{TICKETS}.ticket_update",),
        admin=("tickets.ticket", "change"),
    ),
    WritePath(
        "admin ticket mechanics inline",
        lambda w: admin_form(w, f"tickets/ticket/{w.t.pk}/change/", **{"mechanic_links-0-mechanic": w.m2.pk}),
        ticket_urls,
        (f"{TICKETS}.update_mechanics",),
        admin=("tickets.ticket", "inline:tickets.ticketmechanic"),
    ),
    WritePath(
        "admin ticket lines inline",
        lambda w: admin_form(w, f"tickets/ticket/{w.t.pk}/change/", **{"lines-0-description": "Changed in the admin"}),
        ticket_urls,
        (f"{TICKETS}.update_line",),
        admin=("tickets.ticket", "inline:tickets.ticketline"),
    ),
    WritePath(
        "admin ticket parts inline",
        lambda w: admin_form(
            w,
            f"tickets/ticket/{w.t.pk}/change/",
            **{"part_lines-TOTAL_FORMS": 2, "part_lines-1-inventory": w.i2.pk, "part_lines-1-quantity": 1},
        ),
        ticket_urls,
        (f"{TICKETS}.add_parts", f"{STOCK}.consume_for_ticket"),
        admin=("tickets.ticket", "inline:tickets.ticketinventory"),
    ),
    WritePath(
        "admin ticket page: a move button",
        lambda w: admin_post(w, f"tickets/ticket/{w.t.pk}/move/", to="approved", note="At the counter"),
        ticket_urls,
        (f"{TRANSITION}.transition",),
    ),
    WritePath(
        "admin ticket page: the customer's approval",
        lambda w: admin_post(w, f"tickets/ticket/{w.t.pk}/approve/", note="By phone"),
        ticket_urls,
        (f"{TRANSITION}.approve_supplemental",),
        prepare=lambda w: (
            move(w.t, "approved"),
            ticket_services.add_line(ticket_id=w.t.pk, kind="fee", description="Extra", quantity=1, unit_price=7),
        ),
    ),
    WritePath(
        "admin ticket page: a payment",
        lambda w: admin_post(w, f"tickets/ticket/{w.t.pk}/payment/", amount="1.00", method="card"),
        ticket_urls,
        (f"{TICKETS}.add_payment",),
        prepare=lambda w: move(w.t, *TO_COMPLETED, "invoiced"),
    ),
    WritePath(
        "admin action: record the customer's approval",
        lambda w: admin_action(w, "tickets/ticket/", "record_approval", [w.t], apply="1", note="By phone"),
        ticket_urls,
        (f"{TRANSITION}.approve_supplemental",),
        admin=("tickets.ticket", "action:record_approval"),
        prepare=lambda w: (
            move(w.t, "approved"),
            ticket_services.add_line(ticket_id=w.t.pk, kind="fee", description="Extra", quantity=1, unit_price=7),
        ),
    ),
    transition_action("approved"),
    transition_action("in_progress", path=("approved",)),
    transition_action("completed", path=("approved", "in_progress")),
    transition_action("invoiced", path=TO_COMPLETED),
    transition_action("closed", ticket="t0", path=(*TO_COMPLETED, "invoiced")),
    transition_action("cancelled"),
    # management commands
    WritePath(
        "seed_shop",
        seed_shop(),
        lambda w: [*ticket_urls(w), "/mechanics"],
        command="seed_shop",
    ),
    WritePath(
        "seed_shop --flush",
        seed_shop("--flush"),
        lambda w: [*ticket_urls(w), "/mechanics", *customer_url(w)],
        command="seed_shop",
    ),
    WritePath(
        "recount_ticket_statuses",
        lambda w: call_command("recount_ticket_statuses", stdout=io.StringIO()),
        exercises=(f"{TICKETS}.recount_ticket_statuses",),
        command="recount_ticket_statuses",
    ),
]


def service_functions() -> dict[str, Callable]:
    """Every public function of the service modules, by its dotted name."""
    found = {}
    for module_name in SERVICE_MODULES:
        module = importlib.import_module(module_name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module_name and not name.startswith("_"):
                found[f"{module_name}.{name}"] = function
    return found


@pytest.fixture
def service_calls(monkeypatch) -> list[str]:
    """The dotted names of the service functions called (through their modules) from now on."""
    calls = []

    def recording(name: str, function: Callable) -> Callable:
        def recorded(*args, **kwargs):
            calls.append(name)
            return function(*args, **kwargs)

        return recorded

    for name, function in service_functions().items():
        module_name, attribute = name.rsplit(".", 1)
        monkeypatch.setattr(importlib.import_module(module_name), attribute, recording(name, function))
    return calls


@pytest.mark.parametrize("path", WRITE_PATHS, ids=[path.name for path in WRITE_PATHS])
def test_no_cached_read_is_stale_after_a_write(shop, service_calls, path):
    if path.prepare:
        path.prepare(shop)
    changed = path.changes(shop)
    service_calls.clear()

    assert_fresh_after(shop.staff, list(dict.fromkeys([*watched(shop), *changed])), lambda: path.write(shop), changed)

    assert set(path.exercises) <= set(service_calls), f"{path.name} went around its services"


def test_every_service_function_is_walked():
    walked = {name for path in WRITE_PATHS for name in path.exercises}
    assert set(service_functions()) - walked == set()


def test_every_write_the_admin_offers_is_walked(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    offered = set()
    for model in apps.get_models():
        label = model._meta.label_lower
        if not admin.site.is_registered(model) or label in ADMIN_WITHOUT_CACHED_READS:
            continue
        model_admin = admin.site.get_model_admin(model)
        permissions = {
            "add": model_admin.has_add_permission(request),
            "change": model_admin.has_change_permission(request),
            "delete": model_admin.has_delete_permission(request),
        }
        offered |= {(label, operation) for operation, allowed in permissions.items() if allowed}
        offered |= {(label, f"action:{name}") for name in model_admin.get_actions(request)}
        for inline in model_admin.get_inline_instances(request):
            if (
                inline.has_add_permission(request, None)
                or inline.has_change_permission(request)
                or inline.has_delete_permission(request)
            ):
                offered.add((label, f"inline:{inline.model._meta.label_lower}"))

    assert offered - {path.admin for path in WRITE_PATHS} == set()


def test_every_management_command_of_the_project_is_walked():
    ours = {config.name for config in apps.get_app_configs() if Path(config.path).parent == settings.BASE_DIR}
    commands = {name for name, app in get_commands().items() if app in ours}
    assert commands - {path.command for path in WRITE_PATHS} == set()


def test_both_spellings_of_a_path_are_fresh_after_a_write(shop):
    """With and without the trailing slash are two URLs, so two cache entries: both go stale."""
    urls = [f"/customers/{shop.c.pk}", f"/customers/{shop.c.pk}/", "/mechanics", "/mechanics/", "/tickets", "/tickets/"]

    def write():
        ok(shop.staff.patch(f"/customers/{shop.c.pk}", {"name": "Slash Name"}))
        ok(shop.staff.patch(f"/mechanics/{shop.m1.pk}", {"name": "Slash Mech"}))

    assert_fresh_after(shop.staff, urls, write)


def test_the_owner_sees_their_own_change_at_once(shop):
    assert_fresh_after(
        shop.owner,
        [f"/customers/{shop.c.pk}"],
        lambda: ok(shop.owner.patch(f"/customers/{shop.c.pk}", {"name": "Self Renamed"})),
    )


def test_seed_shop_makes_every_cached_resource_fresh(shop):
    """seed_shop inserts in bulk, around the services: it bumps every generation itself."""
    resources = ("customers", "mechanics", "tickets")
    before = {resource: caching.generation(resource) for resource in resources}

    call_command("seed_shop", "--customers", "1", "--mechanics", "1", "--tickets", "1", "--parts", "1", verbosity=0)

    assert all(caching.generation(resource) != generation for resource, generation in before.items())


def test_a_failed_write_leaves_the_cached_read_correct(shop):
    """A refused write (409: mechanic still on a ticket) changes nothing, and the read stays right."""
    url = f"/mechanics/{shop.m1.pk}"
    warmed = shop.staff.get(url).json()

    assert shop.staff.delete(url).status_code == 409
    again = shop.staff.get(url)
    assert again.status_code == 200 and again.json() == warmed


@method_decorator(caching.cache_read("mechanics", seconds=60), name="get")
class StaleMechanicList(APIView):
    """GET /mechanics as a reader answers it from rows read before a write committed."""

    body = None

    def get(self, request):
        return Response(self.body)


def test_a_reader_racing_a_transaction_cannot_keep_its_stale_copy(shop, django_capture_on_commit_callbacks):
    """A reader that builds its response while a write is uncommitted stores the old data under
    the new generation; the bump on commit must make the next read miss it."""
    stale_body = shop.staff.get("/mechanics").json()
    authorization = shop.staff._credentials["HTTP_AUTHORIZATION"]
    # What a concurrent reader, not yet seeing the write, runs: the cached view, answering old rows.
    stale_view = StaleMechanicList.as_view(body=stale_body)

    def stale_read():
        response = stale_view(RequestFactory().get("/mechanics", HTTP_AUTHORIZATION=authorization))
        if hasattr(response, "render"):  # what Django's handler does with a view's response (then it is stored)
            response.render()
        return response

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        mechanic_services.mechanic_update(mechanic_id=shop.m2.pk, changes={"name": "Committed Name"})
        assert not is_hit(stale_read())
        assert is_hit(stale_read())

    fresh = shop.staff.get("/mechanics")
    assert callbacks, "the write registered no bump for its commit"
    assert not is_hit(fresh)
    assert "Committed Name" in [m["name"] for m in fresh.json()]


# --- leakage: who may see a cached read --------------------------------------------------------


def assert_no_trace(response, *secrets: str) -> None:
    assert not is_hit(response)
    body = response.content.decode()
    assert response.json().keys() == {"error"}
    for secret in secrets:
        assert secret not in body


def bad_token_client():
    return client_with_token("not-a-token")


def test_a_customers_cached_record_is_not_shown_to_others(make_customer, client_for, api_client):
    a = make_customer(name="Alice Secret", email="alice.secret@example.com", phone="555-1234")
    b_client, a_client = client_for(make_customer()), client_for(a)
    url = f"/customers/{a.pk}"
    assert [is_hit(a_client.get(url)), is_hit(a_client.get(url))] == [False, True]

    for client, status in [(b_client, 403), (api_client, 401), (bad_token_client(), 401)]:
        for path in (url, url + "/"):
            response = client.get(path)
            assert response.status_code == status
            assert_no_trace(response, "Alice Secret", "alice.secret@example.com", "555-1234")
            if status == 401:
                assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "path", ["/tickets", "/tickets?page=1&per_page=5", "/mechanics", "/mechanics/{m}", "/customers/{c}"]
)
def test_staff_warmed_reads_are_refused_to_customers_and_anonymous(
    staff_client, customer_client, api_client, customer, make_customer, make_mechanic, make_ticket, path
):
    """401 and 403 are decided before the cache is looked at."""
    mechanic = make_mechanic(name="Marvin Wrench", email="marvin@shop.example")
    other = make_customer(name="Other Person", email="other.person@example.com")
    make_ticket(customer=other, mechanics=[mechanic], vin="SECRETVIN123", service_description="Hidden work")
    url = path.format(m=mechanic.pk, c=other.pk)
    assert [is_hit(staff_client.get(url)), is_hit(staff_client.get(url))] == [False, True]

    for client, status in [(customer_client, 403), (api_client, 401), (bad_token_client(), 401)]:
        response = client.get(url)
        assert response.status_code == status
        assert_no_trace(response, "Marvin Wrench", "marvin@shop.example", "SECRETVIN123", "Hidden work", "Other Person")


def test_a_token_of_a_deleted_customer_gets_no_cached_answer(make_customer, client_for):
    """The account behind a token is checked on every request, a cached read included."""
    gone = make_customer(name="Soon Gone")
    client = client_for(gone)
    url = f"/customers/{gone.pk}"
    assert [is_hit(client.get(url)), is_hit(client.get(url))] == [False, True]

    gone.delete()

    response = client.get(url)
    assert response.status_code == 401
    assert_no_trace(response, "Soon Gone")


@pytest.mark.parametrize("path", ["/mechanics", "/mechanics/{m}", "/tickets", "/customers/{c}", "/tickets/{t}"])
def test_callers_allowed_to_see_a_read_share_one_entry(make_staff, make_mechanic, make_ticket, client_for, path):
    """The body does not depend on who of those allowed asks, so one entry serves them all."""
    mechanic = make_mechanic()
    ticket = make_ticket(mechanics=[mechanic])
    url = path.format(m=mechanic.pk, c=ticket.customer_id, t=ticket.pk)
    first, second = client_for(make_staff()), client_for(make_staff())
    assert [is_hit(first.get(url)), is_hit(first.get(url))] == [False, True]

    answer = second.get(url)

    assert is_hit(answer) and answer.json() == first.get(url).json()


def test_a_tickets_owner_shares_its_entry_and_no_other_customer_gets_it(shop, make_customer, client_for, api_client):
    url = f"/tickets/{shop.t.pk}"
    assert [is_hit(shop.staff.get(url)), is_hit(shop.staff.get(url))] == [False, True]

    owners = shop.owner.get(url)
    assert (owners.status_code, is_hit(owners)) == (200, True)
    for client, status in [(client_for(make_customer()), 403), (api_client, 401), (bad_token_client(), 401)]:
        response = client.get(url)
        assert response.status_code == status
        assert_no_trace(response, "1HGCM82633A004352", "Disposal")


def test_my_tickets_is_one_entry_per_customer(shop, make_customer, make_ticket, client_for):
    other = make_customer()
    make_ticket(customer=other, vin="OTHERVIN1234567")
    mine = shop.owner.get("/tickets/my-tickets")
    assert [is_hit(mine), is_hit(shop.owner.get("/tickets/my-tickets"))] == [False, True]

    theirs = client_for(other).get("/tickets/my-tickets")

    assert not is_hit(theirs)
    assert [t["VIN"] for t in theirs.json()] == ["OTHERVIN1234567"]
    assert is_hit(client_for(shop.c).get("/tickets/my-tickets"))  # a new token of the same customer


@pytest.mark.parametrize(
    "write",
    [
        lambda w: ok(w.owner.patch(f"/tickets/{w.t.pk}", {"service_description": "Owner's words"})),
        lambda w: ticket_services.add_line(ticket_id=w.t.pk, kind="fee", description="Fee", quantity=1, unit_price=2),
        lambda w: move(w.t, "approved"),
    ],
    ids=["owner's edit", "staff's line", "approval"],
)
def test_my_tickets_and_the_detail_are_fresh_for_the_owner_after_a_write(shop, write):
    urls = ["/tickets/my-tickets", "/tickets/my-tickets?page=1&per_page=1", f"/tickets/{shop.t.pk}"]

    assert_fresh_after(shop.owner, urls, lambda: write(shop), changed=["/tickets/my-tickets", f"/tickets/{shop.t.pk}"])


def test_a_write_to_one_ticket_leaves_the_other_tickets_cached(shop):
    t, t0 = f"/tickets/{shop.t.pk}", f"/tickets/{shop.t0.pk}"
    warm(shop.staff, [t, t0])

    ticket_services.add_line(ticket_id=shop.t.pk, kind="fee", description="Another", quantity=1, unit_price=1)

    assert not is_hit(shop.staff.get(t))
    assert is_hit(shop.staff.get(t0))


def test_a_password_change_ends_the_old_tokens_cached_reads(customer, client_for):
    """The account is read with the versions on every request, a cached read's included."""
    url = f"/customers/{customer.pk}"
    old = client_for(customer)
    assert [is_hit(old.get(url)), is_hit(old.get(url))] == [False, True]

    customer.set_password("a-brand-new-passphrase")
    customer.save()

    response = old.get(url)
    assert response.status_code == 401 and not is_hit(response)


class CountingCache:
    """The calls made to a cache alias's API: one round trip each to a Redis server (a backend
    whose get_many calls its own get, such as diskcache's, is counted once for it)."""

    def __init__(self, monkeypatch, alias: str, calls: list):
        backend, depth = caches[alias], [0]
        for name in ("get", "get_many", "set", "add", "incr", "delete", "set_many", "has_key"):
            original = getattr(backend, name)

            def counted(*args, _name=name, _original=original, **kwargs):
                if not depth[0]:
                    calls.append((alias, _name))
                depth[0] += 1
                try:
                    return _original(*args, **kwargs)
                finally:
                    depth[0] -= 1

            monkeypatch.setattr(backend, name, counted)


@pytest.mark.parametrize(
    ("client_name", "path"),
    [
        ("staff", "/customers/{c}"),
        ("owner", "/customers/{c}"),
        ("staff", "/mechanics"),
        ("staff", "/mechanics/{m}"),
        ("staff", "/tickets?page=1&per_page=5"),
        ("staff", "/tickets/{t}"),
        ("owner", "/tickets/{t}"),
    ],
)
def test_a_cached_answer_takes_one_cache_round_trip(shop, monkeypatch, django_assert_num_queries, client_name, path):
    """The caller's account, the versions and the stored answer in one get_many; no query."""
    client = getattr(shop, client_name)
    url = path.format(c=shop.c.pk, m=shop.m1.pk, t=shop.t.pk)
    client.get(url)
    calls = []
    for alias in ("default", "limits"):
        CountingCache(monkeypatch, alias, calls)

    with django_assert_num_queries(0):
        response = client.get(url)

    assert is_hit(response)
    assert calls == [("default", "get_many")], calls


def test_an_answer_per_caller_takes_two_cache_round_trips(shop, monkeypatch, django_assert_num_queries):
    """A customer's own tickets: the entry's key names the caller, known only once the account is
    read, so the stored answer comes in a get of its own."""
    shop.owner.get("/tickets/my-tickets")
    calls = []
    for alias in ("default", "limits"):
        CountingCache(monkeypatch, alias, calls)

    with django_assert_num_queries(0):
        response = shop.owner.get("/tickets/my-tickets")

    assert is_hit(response)
    assert calls == [("default", "get_many"), ("default", "get")], calls


@pytest.mark.parametrize("client_name", ["staff", "owner"])
def test_a_304_takes_one_cache_round_trip(shop, monkeypatch, django_assert_num_queries, client_name):
    client = getattr(shop, client_name)
    url = f"/tickets/{shop.t.pk}"
    tag = client.get(url)["ETag"]
    calls = []
    for alias in ("default", "limits"):
        CountingCache(monkeypatch, alias, calls)

    with django_assert_num_queries(0):
        response = client.get(url, HTTP_IF_NONE_MATCH=tag)

    assert response.status_code == 304
    assert calls == [("default", "get_many")], calls


def test_an_entry_of_older_versions_is_not_answered(shop):
    """An entry is kept under one key per URL and replaced after a write: a reader that stored
    the body it built before a write (a slow one) cannot make the next reader see it."""
    url = f"/tickets/{shop.t.pk}"
    before = shop.staff.get(url)
    bump_ticket(shop.t.pk)

    after = shop.staff.get(url)

    assert not is_hit(after) and after["ETag"] != before["ETag"]
    assert is_hit(shop.staff.get(url))


# --- what is cached, and how ---------------------------------------------------------------------


def test_pagination_headers_survive_a_hit(shop):
    url = "/tickets?page=1&per_page=1"
    miss, hit = shop.staff.get(url), shop.staff.get(url)

    assert is_hit(hit) and not is_hit(miss)
    assert (hit["X-Total-Count"], hit["Link"]) == (miss["X-Total-Count"], miss["Link"])


def test_a_hit_for_another_host_links_to_that_host(shop):
    """Link headers are absolute; a page cached for one host name must not send clients of
    another to it."""
    url = "/mechanics?page=1&per_page=1"
    shop.staff.get(url, HTTP_HOST="localhost")

    other = shop.staff.get(url, HTTP_HOST="127.0.0.1")

    assert "//127.0.0.1/" in other["Link"] and "localhost" not in other["Link"]


def test_a_long_query_string_is_served_not_a_500(shop):
    """Cache keys are limited (250 characters for memcached, warned about by Django); a
    client's long query string must not turn into a server error."""
    url = f"/mechanics/{shop.m1.pk}?" + "x" * 400

    responses = [shop.staff.get(url) for _ in range(2)]

    assert [r.status_code for r in responses] == [200, 200]
    assert [is_hit(r) for r in responses] == [False, True]


def test_a_cached_read_costs_no_database_query(shop, django_assert_num_queries):
    """The token's account comes from the cache too (accounts/principals.py)."""
    url = f"/mechanics/{shop.m1.pk}"
    shop.staff.get(url)

    with django_assert_num_queries(0):
        assert is_hit(shop.staff.get(url))


@pytest.mark.parametrize(
    ("url", "ttl"), [("/customers/{c}", 60), ("/mechanics", 60), ("/mechanics/{m}", 60), ("/tickets", 10)]
)
def test_each_cached_read_is_stored_for_its_documented_time(shop, monkeypatch, url, ttl):
    stored = []
    default = caches["default"]
    original_set = default.set

    def recording_set(key, value, timeout=None, **kwargs):
        stored.append(timeout)
        return original_set(key, value, timeout, **kwargs)

    monkeypatch.setattr(default, "set", recording_set)

    response = shop.staff.get(url.format(c=shop.c.pk, m=shop.m1.pk))

    assert not is_hit(response)
    assert stored and set(stored) == {ttl}  # the response, and the list of headers it varies on


@pytest.mark.parametrize("path", ["/tickets/{t}/history", "/inventory", "/mechanics/top-3-mechanics", "/customers"])
def test_reads_that_are_not_cached_are_never_served_from_the_cache(shop, path):
    client = shop.owner if "my-tickets" in path else shop.staff
    url = path.format(t=shop.t.pk)

    assert [is_hit(client.get(url)) for _ in range(2)] == [False, False]


@pytest.mark.parametrize("status_path", [(404, "/mechanics/999999"), (404, "/customers/999999")])
def test_only_successful_reads_are_stored(shop, status_path):
    status, path = status_path
    responses = [shop.staff.get(path) for _ in range(2)]

    assert [r.status_code for r in responses] == [status, status]
    assert not any(is_hit(r) for r in responses)
