"""The /tickets endpoints as an API client sees them: who may call which endpoint, and with which
methods (API.md: "Who may call what")."""

import pytest

from tests.asserts import assert_error
from tickets.models import Ticket
from tickets.tests.helpers import (
    is_cache_hit,
    mechanic_ids,
    part_lines,
    ticket_json,
)

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
