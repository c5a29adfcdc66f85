"""The events the services record (API.md, "Webhooks"): one per change, in the change's
transaction, whose `data` is the resource as the API shows it; the same events whether the
change came through the API or the admin, and none for a change that was refused."""

import json
from decimal import Decimal

import pytest

from events.models import Event
from inventory import stock
from inventory.models import Inventory
from tickets import workflow
from tickets.models import TicketLine

TO_INVOICED = ("approved", "in_progress", "completed", "invoiced")


def published(event_type: str) -> list[dict]:
    """The documents of the events of that type, oldest first, numbers read exactly."""
    rows = Event.objects.filter(type=event_type).order_by("created_at").values_list("payload", flat=True)
    return [json.loads(row, parse_float=Decimal) for row in rows]


def the_one(event_type: str) -> dict:
    documents = published(event_type)
    assert len(documents) == 1, documents
    return documents[0]["data"]


def shown(client, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, response.content
    return json.loads(response.content, parse_float=Decimal)


@pytest.fixture(autouse=True)
def _throttling_off(throttling_off):
    pass


def test_a_document_has_the_contract_shape(db, api_client):
    api_client.post(
        "/customers", {"name": "Ann", "email": "ann@example.com", "phone": "1", "password": "Str0ng-Pass-42"}
    )
    [event] = Event.objects.all()
    document = json.loads(event.payload)
    assert set(document) == {"id", "type", "created_at", "data"}
    assert document["id"] == str(event.pk)
    assert document["type"] == "customer.created"
    assert document["created_at"].endswith("Z")


def test_customer_created_by_sign_up(api_client, staff_client):
    response = api_client.post(
        "/customers", {"name": "Ann", "email": "ann@example.com", "phone": "1", "password": "Str0ng-Pass-42"}
    )
    assert response.status_code == 201
    data = the_one("customer.created")
    assert data == shown(staff_client, f"/customers/{response.json()['id']}")
    assert "password" not in data


def test_customer_created_in_the_admin(admin_browser, staff_client):
    response = admin_browser.post(
        "/admin/customers/customer/add/",
        {"name": "Bo", "email": "bo@example.com", "phone": "2", "new_password": "Str0ng-Pass-42"},
    )
    assert response.status_code == 302, response.content[:2000]
    data = the_one("customer.created")
    assert data["email"] == "bo@example.com"
    assert data == shown(staff_client, f"/customers/{data['id']}")


def test_vehicle_created(staff_client, customer):
    response = staff_client.post(
        "/vehicles",
        {"customer_id": customer.pk, "vin": "1HGCM82633A004352", "year": 2003, "make": "Honda", "model": "Accord"},
    )
    assert response.status_code == 201, response.content
    assert the_one("vehicle.created") == shown(staff_client, f"/vehicles/{response.json()['id']}")


def test_ticket_created_and_updated(staff_client, customer):
    response = staff_client.post(
        "/tickets",
        {
            "VIN": "1HGCM82633A004352",
            "service_date": "2026-11-01",
            "service_description": "Brakes",
            "customer_id": customer.pk,
        },
    )
    assert response.status_code == 201, response.content
    ticket_id = response.json()["id"]
    assert the_one("ticket.created") == shown(staff_client, f"/tickets/{ticket_id}")

    assert staff_client.patch(f"/tickets/{ticket_id}", {"service_description": "Brakes and oil"}).status_code == 200
    assert the_one("ticket.updated") == shown(staff_client, f"/tickets/{ticket_id}")


def test_ticket_updated_for_each_change_to_its_lines_parts_and_mechanics(
    staff_client, make_ticket, make_item, make_mechanic
):
    ticket = make_ticket()
    item, mechanic = make_item(price=Decimal("12.50")), make_mechanic()
    path = f"/tickets/{ticket.pk}"
    changes = [
        ("post", f"{path}/lines", {"kind": "labor", "description": "Work", "quantity": 1.5, "unit_price": 80}),
        ("post", f"{path}/inventory", {"add_inventory_items": [{"inventory_id": item.pk, "quantity": 2}]}),
        ("put", f"{path}/assign-mechanic/{mechanic.pk}", {}),
        ("put", f"{path}/remove-mechanic/{mechanic.pk}", {}),
        ("put", f"{path}/update-mechanics", {"add_mechanic_ids": [mechanic.pk]}),
        ("delete", f"{path}/inventory/{item.pk}", None),
    ]
    for number, (method, url, body) in enumerate(changes, start=1):
        response = getattr(staff_client, method)(url, body, format="json")
        assert response.status_code in (200, 201, 204), (url, response.content)
        documents = published("ticket.updated")
        assert len(documents) == number, url
        assert documents[-1]["data"] == shown(staff_client, path), url
    line_id = TicketLine.objects.get().pk
    assert staff_client.delete(f"{path}/lines/{line_id}").status_code == 204
    assert published("ticket.updated")[-1]["data"]["lines"] == []


def test_status_changed_with_from_and_to_and_invoice_issued(staff_client, make_ticket):
    ticket = make_ticket()
    TicketLine.objects.create(ticket=ticket, kind="fee", description="Inspection", quantity=1, unit_price=100)
    for to in TO_INVOICED:
        assert staff_client.post(f"/tickets/{ticket.pk}/transition", {"to": to}).status_code == 200

    moves = [document["data"] for document in published("ticket.status_changed")]
    assert [(m["from"], m["to"], m["status"]) for m in moves] == [
        ("estimate", "approved", "approved"),
        ("approved", "in_progress", "in_progress"),
        ("in_progress", "completed", "completed"),
        ("completed", "invoiced", "invoiced"),
    ]
    ticket_now = shown(staff_client, f"/tickets/{ticket.pk}")
    assert moves[-1] == {**ticket_now, "from": "completed", "to": "invoiced"}
    invoice = the_one("invoice.issued")
    assert invoice == ticket_now
    assert invoice["invoice_number"] is not None
    assert invoice["totals"]["total"] == Decimal("100.00")


def test_a_refused_transition_records_nothing(staff_client, make_ticket):
    ticket = make_ticket()
    assert staff_client.post(f"/tickets/{ticket.pk}/transition", {"to": "invoiced"}).status_code == 409
    assert not Event.objects.exists()


def test_transitions_in_the_admin_emit_the_same_event(admin_browser, make_ticket):
    ticket = make_ticket()
    admin_browser.post(
        "/admin/tickets/ticket/", {"action": "move_to_approved", "_selected_action": [ticket.pk]}, follow=True
    )
    data = the_one("ticket.status_changed")
    assert (data["id"], data["from"], data["to"]) == (ticket.pk, "estimate", "approved")


def test_payments_and_refunds_are_payment_received(staff_client, make_ticket):
    ticket = make_ticket()
    TicketLine.objects.create(ticket=ticket, kind="fee", description="Inspection", quantity=1, unit_price=100)
    for to in TO_INVOICED:
        workflow.transition(ticket_id=ticket.pk, to=to, by="staff")

    paid = staff_client.post(f"/tickets/{ticket.pk}/payments", {"amount": "60.25", "method": "card"})
    refund = staff_client.post(f"/tickets/{ticket.pk}/payments", {"amount": "-10.25", "method": "card"})
    assert (paid.status_code, refund.status_code) == (201, 201)

    documents = [document["data"] for document in published("payment.received")]
    assert documents == [
        {**json.loads(paid.content, parse_float=Decimal), "ticket_id": ticket.pk},
        {**json.loads(refund.content, parse_float=Decimal), "ticket_id": ticket.pk},
    ]
    assert documents[1]["amount"] == Decimal("-10.25")


def test_stock_low_once_when_a_tracked_item_reaches_its_reorder_point(staff_client, make_ticket, make_item):
    item = make_item(reorder_point=3)
    stock.receive_initial_stock(item_id=item.pk, quantity=6, by="staff")
    tickets = [make_ticket() for _ in range(3)]

    def take(ticket, quantity):
        body = {"add_inventory_items": [{"inventory_id": item.pk, "quantity": quantity}]}
        assert staff_client.post(f"/tickets/{ticket.pk}/inventory", body).status_code == 200

    take(tickets[0], 2)  # 6 -> 4: above the reorder point
    assert published("stock.low") == []
    take(tickets[1], 2)  # 4 -> 2: reaches it
    data = the_one("stock.low")
    assert data == shown(staff_client, f"/inventory/{item.pk}")
    assert (data["quantity_on_hand"], data["reorder_point"]) == (2, 3)
    take(tickets[2], 1)  # 2 -> 1: still low, no news
    assert len(published("stock.low")) == 1


def test_stock_low_from_an_adjustment_but_not_for_untracked_items(staff_client, make_ticket, make_item):
    tracked = make_item(reorder_point=5)
    stock.receive_initial_stock(item_id=tracked.pk, quantity=5 + 4, by="staff")
    untracked = make_item(reorder_point=5)
    assert Inventory.objects.get(pk=untracked.pk).quantity_on_hand is None

    response = staff_client.post(f"/inventory/{tracked.pk}/movements", {"kind": "adjustment", "quantity": -4})
    assert response.status_code == 201, response.content
    body = {"add_inventory_items": [{"inventory_id": untracked.pk, "quantity": 50}]}
    assert staff_client.post(f"/tickets/{make_ticket().pk}/inventory", body).status_code == 200

    assert the_one("stock.low")["id"] == tracked.pk
