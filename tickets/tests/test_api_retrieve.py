"""One ticket as an API client reads it, and the JSON 404s of unknown ids and paths (API.md:
"Ticket")."""

from decimal import Decimal

import pytest

from tests.asserts import assert_error
from tickets.tests.helpers import (
    BIG_ID,
    MAX_ID,
    mechanic_ids,
    part_lines,
    ticket_json,
)

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
