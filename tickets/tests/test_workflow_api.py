"""The ticket workflow as an API client sees it (API.md: "Ticket status", "Lines, totals, tax,
payments"): transitions, history, labor and fee lines, part removal, payments, totals, and the
lock on invoiced, closed and cancelled tickets."""

from decimal import Decimal

import pytest

from inventory import stock
from inventory.models import Inventory, StockMovement
from tests.asserts import assert_error
from tickets import selectors, services, workflow
from tickets.models import Invoice, Payment, Ticket, TicketInventory, TicketLine, TicketMechanic

SLASHES = ["", "/"]


def move(ticket, *statuses):
    for to in statuses:
        workflow.transition(ticket_id=ticket.pk, to=to, by="staff")


TO_INVOICED = ("approved", "in_progress", "completed", "invoiced")


@pytest.fixture
def invoiced(make_ticket):
    """An invoiced ticket whose total is 100.00."""
    ticket = make_ticket()
    TicketLine.objects.create(ticket=ticket, kind="fee", description="Inspection", quantity=1, unit_price=100)
    move(ticket, *TO_INVOICED)
    return ticket


# --- POST /tickets/<id>/transition ------------------------------------------------------------------


@pytest.mark.parametrize("slash", SLASHES)
def test_staff_transition_answers_the_ticket(staff_client, make_ticket, slash):
    ticket = make_ticket()
    response = staff_client.post(
        f"/tickets/{ticket.pk}/transition{slash}", {"to": "approved", "note": "ok"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["status"], body["invoice_number"]) == (ticket.pk, "approved", None)


def test_a_refused_transition_is_409_with_status_and_allowed(staff_client, make_ticket):
    ticket = make_ticket()
    response = staff_client.post(f"/tickets/{ticket.pk}/transition", {"to": "invoiced"}, format="json")
    body = assert_error(response, 409)
    assert set(body) == {"error", "status", "allowed"}
    assert (body["status"], sorted(body["allowed"])) == ("estimate", ["approved", "cancelled"])
    assert Ticket.objects.get(pk=ticket.pk).status == "estimate"


def test_invoicing_gives_an_invoice_number_and_frozen_totals(staff_client, make_ticket, settings):
    settings.TAX_RATE = Decimal("0.0825")
    ticket = make_ticket()
    TicketLine.objects.create(
        ticket=ticket, kind="labor", description="Work", quantity=Decimal("1.5"), unit_price=Decimal("90")
    )
    move(ticket, "approved", "in_progress", "completed")

    body = staff_client.post(f"/tickets/{ticket.pk}/transition", {"to": "invoiced"}, format="json").json()
    settings.TAX_RATE = Decimal("0.2")
    again = staff_client.get(f"/tickets/{ticket.pk}")

    assert body["invoice_number"] == Invoice.objects.get(ticket=ticket).pk
    assert body["totals"] == {
        "parts": 0,
        "labor": 135,
        "fees": 0,
        "subtotal": 135,
        "tax": 11.14,
        "total": 146.14,
        "paid": 0,
        "balance": 146.14,
    }
    assert again.json()["totals"] == body["totals"]
    assert b'"tax":11.14,"total":146.14,"paid":0.00' in again.content


@pytest.mark.parametrize("to, expected", [("approved", 200), ("cancelled", 200), ("in_progress", 403)])
def test_a_customer_approves_or_declines_their_estimate_only(customer_client, customer, make_ticket, to, expected):
    ticket = make_ticket(customer=customer)
    response = customer_client.post(f"/tickets/{ticket.pk}/transition", {"to": to}, format="json")
    assert response.status_code == expected, response.content


def test_a_customer_cannot_move_an_approved_ticket(customer_client, customer, make_ticket):
    ticket = make_ticket(customer=customer)
    move(ticket, "approved")
    assert_error(customer_client.post(f"/tickets/{ticket.pk}/transition", {"to": "cancelled"}, format="json"), 403)
    assert Ticket.objects.get(pk=ticket.pk).status == "approved"


@pytest.mark.parametrize("body", [{}, {"to": "paid"}, {"to": "approved", "note": "x" * 1001}, {"to": None}])
def test_transition_body_is_validated(staff_client, make_ticket, body):
    ticket = make_ticket()
    assert_error(staff_client.post(f"/tickets/{ticket.pk}/transition", body, format="json"), 400)
    assert Ticket.objects.get(pk=ticket.pk).status == "estimate"


def test_transition_of_an_unknown_ticket_is_404(staff_client):
    assert_error(staff_client.post("/tickets/424242/transition", {"to": "approved"}, format="json"), 404)


def test_closing_with_a_balance_is_409(staff_client, invoiced):
    body = assert_error(staff_client.post(f"/tickets/{invoiced.pk}/transition", {"to": "closed"}, format="json"), 409)
    assert body["status"] == "invoiced"


def test_cancelling_returns_parts_to_stock(staff_client, make_ticket, make_item):
    item = make_item()
    stock.record_movement(item_id=item.pk, kind="receipt", quantity=4, by="staff")
    ticket = make_ticket()
    services.add_parts(ticket_id=ticket.pk, quantities={item.pk: 3})

    response = staff_client.post(f"/tickets/{ticket.pk}/transition", {"to": "cancelled"}, format="json")

    assert response.status_code == 200
    assert Inventory.objects.get(pk=item.pk).quantity_on_hand == 4
    assert StockMovement.objects.filter(item=item, kind="return", ticket=ticket, quantity=3).exists()


# --- GET /tickets/<id>/history ------------------------------------------------------------------------


@pytest.mark.parametrize("slash", SLASHES)
def test_history_lists_creation_then_each_transition(customer_client, customer, staff_client, slash):
    created = customer_client.post(
        "/tickets", {"VIN": "ABC", "service_date": "2026-11-25", "service_description": "Brakes"}, format="json"
    ).json()
    customer_client.post(f"/tickets/{created['id']}/transition", {"to": "approved", "note": "Go"}, format="json")
    staff_client.post(f"/tickets/{created['id']}/transition", {"to": "in_progress"}, format="json")

    history = customer_client.get(f"/tickets/{created['id']}/history{slash}")

    assert history.status_code == 200
    rows = history.json()
    assert [(r["from"], r["to"], r["by"], r["note"]) for r in rows] == [
        (None, "estimate", customer.email, ""),
        ("estimate", "approved", customer.email, "Go"),
        ("approved", "in_progress", "staff", ""),
    ]
    assert all(r["at"].endswith("Z") for r in rows)
    assert list(rows[0]) == ["from", "to", "at", "by", "note"]


def test_history_of_another_customers_ticket_is_403(customer_client, make_ticket):
    assert_error(customer_client.get(f"/tickets/{make_ticket().pk}/history"), 403)


def test_history_paginates(staff_client, make_ticket):
    ticket = make_ticket()
    move(ticket, "approved", "estimate", "approved")
    response = staff_client.get(f"/tickets/{ticket.pk}/history?page=1&per_page=2")
    assert response.status_code == 200 and len(response.json()) == 2
    assert response["X-Total-Count"] == "3"


# --- lines -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("slash", SLASHES)
def test_add_a_labor_line(staff_client, make_ticket, make_mechanic, slash):
    ticket, mechanic = make_ticket(), make_mechanic()
    response = staff_client.post(
        f"/tickets/{ticket.pk}/lines{slash}",
        {
            "kind": "labor",
            "description": "Brake job",
            "quantity": "1.25",
            "unit_price": 99.99,
            "mechanic_id": mechanic.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    line = TicketLine.objects.get()
    assert response.json() == {
        "id": line.pk,
        "kind": "labor",
        "description": "Brake job",
        "quantity": 1.25,
        "unit_price": 99.99,
        "amount": 124.99,
        "mechanic_id": mechanic.pk,
    }
    shown = staff_client.get(f"/tickets/{ticket.pk}").json()
    assert shown["lines"] == [response.json()]
    assert (shown["totals"]["labor"], shown["totals"]["total"]) == (124.99, 124.99)


def test_a_fee_line_without_mechanic(staff_client, make_ticket):
    response = staff_client.post(
        f"/tickets/{make_ticket().pk}/lines",
        {"kind": "fee", "description": "Disposal", "quantity": 1, "unit_price": 0},
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["mechanic_id"], response.json()["amount"]) == (None, 0)
    assert b'"amount":0.00' in response.content


@pytest.mark.parametrize(
    "change, field",
    [
        ({"kind": "parts"}, "kind"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": "0.001"}, "quantity"),
        ({"quantity": "NaN"}, "quantity"),
        ({"quantity": 1_000_000}, "quantity"),
        ({"unit_price": -0.01}, "unit_price"),
        ({"unit_price": "1.005"}, "unit_price"),
        ({"description": ""}, "description"),
        ({"description": "x" * 256}, "description"),
        ({"mechanic_id": 0}, "mechanic_id"),
        ({"mechanic_id": "abc"}, "mechanic_id"),
    ],
)
def test_line_input_is_validated(staff_client, make_ticket, change, field):
    body = {"kind": "labor", "description": "Work", "quantity": 1, "unit_price": 10, **change}
    assert_error(staff_client.post(f"/tickets/{make_ticket().pk}/lines", body, format="json"), 400, field)
    assert not TicketLine.objects.exists()


def test_a_line_priced_minus_zero_is_answered_as_a_plain_zero(staff_client, make_ticket):
    body = {"kind": "fee", "description": "Free check", "quantity": 1, "unit_price": "-0"}
    response = staff_client.post(f"/tickets/{make_ticket().pk}/lines", body, format="json")
    assert response.status_code == 201, response.content
    assert b'"unit_price":0.00,"amount":0.00' in response.content


def test_a_line_for_an_unknown_mechanic_is_404(staff_client, make_ticket):
    body = {"kind": "labor", "description": "Work", "quantity": 1, "unit_price": 10, "mechanic_id": 424242}
    assert_error(staff_client.post(f"/tickets/{make_ticket().pk}/lines", body, format="json"), 404)
    assert not TicketLine.objects.exists()


@pytest.mark.parametrize("slash", SLASHES)
def test_delete_a_line(staff_client, make_ticket, slash):
    ticket = make_ticket()
    line = TicketLine.objects.create(ticket=ticket, kind="fee", description="x", quantity=1, unit_price=1)
    response = staff_client.delete(f"/tickets/{ticket.pk}/lines/{line.pk}{slash}")
    assert (response.status_code, response.content) == (204, b"")
    assert not TicketLine.objects.exists()
    assert_error(staff_client.delete(f"/tickets/{ticket.pk}/lines/{line.pk}"), 404)


def test_a_customer_cannot_write_lines(customer_client, customer, make_ticket):
    ticket = make_ticket(customer=customer)
    body = {"kind": "fee", "description": "x", "quantity": 1, "unit_price": 1}
    assert_error(customer_client.post(f"/tickets/{ticket.pk}/lines", body, format="json"), 403)


# --- DELETE /tickets/<id>/inventory/<inventory_id> --------------------------------------------------


@pytest.mark.parametrize("slash", SLASHES)
def test_remove_a_part(staff_client, make_ticket, make_item, slash):
    item = make_item()
    stock.record_movement(item_id=item.pk, kind="receipt", quantity=5, by="staff")
    ticket = make_ticket()
    services.add_parts(ticket_id=ticket.pk, quantities={item.pk: 2})

    response = staff_client.delete(f"/tickets/{ticket.pk}/inventory/{item.pk}{slash}")

    assert response.status_code == 204
    assert not TicketInventory.objects.exists()
    assert Inventory.objects.get(pk=item.pk).quantity_on_hand == 5
    assert_error(staff_client.delete(f"/tickets/{ticket.pk}/inventory/{item.pk}"), 404)


def test_removing_a_part_not_on_the_ticket_is_404(staff_client, make_ticket, make_item):
    assert_error(staff_client.delete(f"/tickets/{make_ticket().pk}/inventory/{make_item().pk}"), 404)
    assert_error(staff_client.delete("/tickets/424242/inventory/1"), 404)


@pytest.mark.parametrize("inventory_id", [str(2**63 - 1), str(2**63), "9" * 19])
def test_removing_a_part_of_an_id_beyond_the_columns_is_404(staff_client, make_ticket, inventory_id):
    assert_error(staff_client.delete(f"/tickets/{make_ticket().pk}/inventory/{inventory_id}"), 404)


def test_parts_price_is_the_lines_not_the_items(staff_client, make_ticket, make_item):
    item = make_item(price=Decimal("10.00"))
    ticket = make_ticket()
    services.add_parts(ticket_id=ticket.pk, quantities={item.pk: 2})
    Inventory.objects.filter(pk=item.pk).update(price=Decimal("99.00"))

    body = staff_client.get(f"/tickets/{ticket.pk}").json()

    assert body["parts"][0]["price"] == 10
    assert body["totals"]["parts"] == 20


# --- payments ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("slash", SLASHES)
def test_take_a_payment(staff_client, invoiced, slash):
    response = staff_client.post(
        f"/tickets/{invoiced.pk}/payments{slash}",
        {"amount": "60.50", "method": "card", "reference": "auth 1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    payment = Payment.objects.get()
    body = response.json()
    assert {k: body[k] for k in ("id", "amount", "method", "reference")} == {
        "id": payment.pk,
        "amount": 60.5,
        "method": "card",
        "reference": "auth 1",
    }
    assert body["at"].endswith("Z")
    assert staff_client.get(f"/tickets/{invoiced.pk}/payments{slash}").json() == [body]
    totals = staff_client.get(f"/tickets/{invoiced.pk}").json()["totals"]
    assert (totals["paid"], totals["balance"]) == (60.5, 39.5)
    assert payment.by == "staff"


def test_payments_over_the_balance_and_refunds_over_paid_are_400(staff_client, invoiced):
    url = f"/tickets/{invoiced.pk}/payments"
    assert_error(staff_client.post(url, {"amount": "100.01", "method": "cash"}, format="json"), 400, "amount")
    assert_error(staff_client.post(url, {"amount": "-0.01", "method": "cash"}, format="json"), 400, "amount")
    assert staff_client.post(url, {"amount": 100, "method": "cash"}, format="json").status_code == 201
    assert_error(staff_client.post(url, {"amount": "0.01", "method": "cash"}, format="json"), 400, "amount")
    assert staff_client.post(url, {"amount": -100, "method": "cash"}, format="json").status_code == 201
    assert list(Payment.objects.values_list("amount", flat=True)) == [Decimal(100), Decimal(-100)]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"amount": 0, "method": "cash"}, "amount"),
        ({"amount": "1.001", "method": "cash"}, "amount"),
        ({"amount": "Infinity", "method": "cash"}, "amount"),
        ({"amount": 1, "method": "bitcoin"}, "method"),
        ({"amount": 1}, "method"),
        ({"method": "cash"}, "amount"),
        ({"amount": 1, "method": "cash", "reference": "x" * 256}, "reference"),
    ],
)
def test_payment_input_is_validated(staff_client, invoiced, body, field):
    assert_error(staff_client.post(f"/tickets/{invoiced.pk}/payments", body, format="json"), 400, field)
    assert not Payment.objects.exists()


def test_payments_only_on_invoiced_tickets(staff_client, make_ticket):
    body = assert_error(
        staff_client.post(f"/tickets/{make_ticket().pk}/payments", {"amount": 1, "method": "cash"}, format="json"), 409
    )
    assert body["status"] == "estimate"


def test_a_customer_reads_their_payments_but_cannot_pay(customer_client, customer, make_ticket):
    ticket = make_ticket(customer=customer)
    TicketLine.objects.create(ticket=ticket, kind="fee", description="x", quantity=1, unit_price=10)
    move(ticket, *TO_INVOICED)
    services.add_payment(ticket_id=ticket.pk, amount=Decimal(4), method="cash")

    assert [p["amount"] for p in customer_client.get(f"/tickets/{ticket.pk}/payments").json()] == [4]
    assert_error(
        customer_client.post(f"/tickets/{ticket.pk}/payments", {"amount": 6, "method": "cash"}, format="json"), 403
    )
    assert_error(customer_client.get(f"/tickets/{make_ticket().pk}/payments"), 403)


# --- frozen tickets ---------------------------------------------------------------------------------


def frozen(make_ticket, make_mechanic, make_item, status):
    mechanic, item = make_mechanic(), make_item(price=Decimal(0))
    ticket = make_ticket(mechanics=[mechanic], parts=[(item, 1)])
    line = TicketLine.objects.create(ticket=ticket, kind="fee", description="x", quantity=1, unit_price=0)
    move(ticket, *({"cancelled": ["cancelled"], "invoiced": TO_INVOICED, "closed": (*TO_INVOICED, "closed")}[status]))
    return ticket, mechanic, item, line


def frozen_calls(ticket, mechanic, item, line, other_mechanic, other_item):
    t = ticket.pk
    return [
        (
            "put",
            f"/tickets/{t}",
            {
                "VIN": "ABC",
                "service_date": "2026-01-01",
                "service_description": "New",
                "customer_id": ticket.customer_id,
            },
        ),
        ("patch", f"/tickets/{t}", {"service_description": "New"}),
        ("put", f"/tickets/{t}/assign-mechanic/{other_mechanic.pk}", None),
        ("put", f"/tickets/{t}/remove-mechanic/{mechanic.pk}", None),
        ("put", f"/tickets/{t}/update-mechanics", {"add_mechanic_ids": [other_mechanic.pk]}),
        ("post", f"/tickets/{t}/inventory", {"add_inventory_items": [{"inventory_id": other_item.pk, "quantity": 1}]}),
        ("delete", f"/tickets/{t}/inventory/{item.pk}", None),
        ("post", f"/tickets/{t}/lines", {"kind": "fee", "description": "x", "quantity": 1, "unit_price": 1}),
        ("delete", f"/tickets/{t}/lines/{line.pk}", None),
    ]


@pytest.mark.parametrize("status", ["invoiced", "closed", "cancelled"])
@pytest.mark.parametrize("call", range(9))
def test_a_frozen_ticket_refuses_every_change_with_409(
    staff_client, make_ticket, make_mechanic, make_item, status, call
):
    ticket, mechanic, item, line = frozen(make_ticket, make_mechanic, make_item, status)
    method, path, body = frozen_calls(ticket, mechanic, item, line, make_mechanic(), make_item())[call]
    before = staff_client.get(f"/tickets/{ticket.pk}").json()

    response = getattr(staff_client, method)(path, body, format="json")

    assert_error(response, 409)
    assert response.json()["status"] == status
    assert staff_client.get(f"/tickets/{ticket.pk}").json() == before
    assert (TicketMechanic.objects.count(), TicketInventory.objects.count(), TicketLine.objects.count()) == (1, 1, 1)


def test_a_customer_cannot_edit_their_frozen_ticket(customer_client, customer, make_ticket):
    ticket = make_ticket(customer=customer)
    move(ticket, "cancelled")
    assert_error(customer_client.patch(f"/tickets/{ticket.pk}", {"service_description": "New"}, format="json"), 409)


def test_a_customer_edit_is_checked_against_the_owner_under_the_row_lock(
    customer_client, customer, make_customer, make_ticket, monkeypatch
):
    """Staff give the ticket to another customer between the view's permission check and the
    update: the customer's change is refused, not made to the other customer's ticket."""
    ticket, other = make_ticket(customer=customer, service_description="Mine"), make_customer()
    read = selectors.ticket_detail

    def read_then_reassign(*, ticket_id):
        found = read(ticket_id=ticket_id)
        Ticket.objects.filter(pk=ticket_id).update(customer_id=other.pk)
        return found

    monkeypatch.setattr(selectors, "ticket_detail", read_then_reassign)
    body = {"service_description": "Changed", "customer_id": customer.pk}
    assert_error(customer_client.patch(f"/tickets/{ticket.pk}", body, format="json"), 403)
    assert Ticket.objects.filter(pk=ticket.pk).values_list("customer_id", "service_description").get() == (
        other.pk,
        "Mine",
    )


# --- totals in lists ----------------------------------------------------------------------------------


def test_lists_show_totals_and_invoice_numbers(staff_client, customer_client, customer, make_ticket, throttling_off):
    mine = make_ticket(customer=customer)
    TicketLine.objects.create(ticket=mine, kind="fee", description="x", quantity=3, unit_price=Decimal("0.10"))
    move(mine, *TO_INVOICED)
    services.add_payment(ticket_id=mine.pk, amount=Decimal("0.10"), method="cash")
    make_ticket()

    listed = staff_client.get("/tickets").json()
    my = customer_client.get("/tickets/my-tickets").json()

    assert [t["invoice_number"] for t in listed] == [Invoice.objects.get().pk, None]
    assert listed[0]["totals"] == {
        "parts": 0,
        "labor": 0,
        "fees": 0.3,
        "subtotal": 0.3,
        "tax": 0,
        "total": 0.3,
        "paid": 0.1,
        "balance": 0.2,
    }
    assert my == [listed[0]]


# --- methods -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "transition"),
        ("put", "history"),
        ("get", "lines"),
        ("patch", "lines/1"),
        ("delete", "payments"),
        ("get", "inventory/1"),
    ],
)
def test_methods_not_served_are_405(staff_client, make_ticket, method, path):
    assert_error(getattr(staff_client, method)(f"/tickets/{make_ticket().pk}/{path}"), 405)


def test_the_cached_list_shows_a_payment_at_once(staff_client, invoiced, throttling_off):
    staff_client.get("/tickets")
    assert staff_client.get("/tickets").has_header("Age")  # cached
    staff_client.post(f"/tickets/{invoiced.pk}/payments", {"amount": 30, "method": "cash"}, format="json")
    fresh = staff_client.get("/tickets")
    assert not fresh.has_header("Age")
    assert fresh.json()[0]["totals"]["paid"] == 30


def test_huge_totals_are_shown_exactly(staff_client, make_ticket):
    ticket = make_ticket()
    body = {"kind": "labor", "description": "Forever", "quantity": "999999.99", "unit_price": "99999999.99"}
    for _ in range(20):
        assert staff_client.post(f"/tickets/{ticket.pk}/lines", body, format="json").status_code == 201
    response = staff_client.get(f"/tickets/{ticket.pk}")
    assert response.status_code == 200
    assert b'"labor":1999999979800000.00' in response.content
    # More than an approved total (or an invoice) can hold: refused, not a database error.
    assert_error(staff_client.post(f"/tickets/{ticket.pk}/transition", {"to": "approved"}, format="json"), 409)
    assert Ticket.objects.get(pk=ticket.pk).status == "estimate"
