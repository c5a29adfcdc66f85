"""Creating and changing tickets over the API: fields, validation and whose ticket it is (API.md:
"Ticket", "Who may call what")."""

from datetime import date

import pytest

from tests.asserts import assert_error
from tickets.models import Ticket, TicketInventory, TicketMechanic
from tickets.tests.helpers import (
    BIG_ID,
    MAX_ID,
    ticket_json,
)

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
