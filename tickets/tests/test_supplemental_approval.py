"""Supplemental approval (API.md "Who may change a ticket, and when", issue #23 item 2): the total
the customer approved is recorded, work added after it waits for their approval of the new total
(`POST /tickets/<id>/approve`), and the ticket may not be completed or invoiced meanwhile, in the
API and in the admin alike."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.errors import Conflict, Forbidden, InvalidInput
from inventory import stock
from tests.asserts import assert_error
from tickets import services, workflow
from tickets.models import StatusChange, Ticket, TicketLine


def move(ticket, *statuses):
    for to in statuses:
        workflow.transition(ticket_id=ticket.pk, to=to, by="staff")


def fee(ticket, amount) -> TicketLine:
    return services.add_line(ticket_id=ticket.pk, kind="fee", description="Work", quantity=1, unit_price=amount)


def history(ticket) -> list[tuple]:
    return list(StatusChange.objects.filter(ticket=ticket).values_list("from_status", "to_status", "by", "note"))


def status_of(ticket) -> str:
    return Ticket.objects.values_list("status", flat=True).get(pk=ticket.pk)


@pytest.fixture
def approved(make_ticket, customer):
    """The customer's ticket, approved at 100.00."""
    ticket = make_ticket(customer=customer)
    fee(ticket, 100)
    move(ticket, "approved")
    return ticket


@pytest.fixture
def extended(approved):
    """Work started, then 25.50 of work added: 125.50 waits for the customer's approval."""
    move(approved, "in_progress")
    fee(approved, Decimal("25.50"))
    return approved


# --- approved_total and needs_approval ----------------------------------------------------------------


def test_a_new_ticket_has_no_approved_total(staff_client, customer):
    body = {"customer_id": customer.pk, "VIN": "1HGCM82633A004352", "service_date": "2026-12-01"}

    response = staff_client.post("/tickets", {**body, "service_description": "Oil"}, format="json")

    assert response.status_code == 201
    assert (response.json()["approved_total"], response.json()["needs_approval"]) == (None, False)


def test_approving_the_estimate_records_its_total(customer_client, customer, make_ticket, settings):
    settings.TAX_RATE = Decimal("0.1")
    ticket = make_ticket(customer=customer)
    fee(ticket, Decimal("80.05"))

    response = customer_client.post(f"/tickets/{ticket.pk}/transition", {"to": "approved"}, format="json")

    assert response.status_code == 200
    assert response.json()["totals"]["total"] == 88.06
    assert (response.json()["approved_total"], response.json()["needs_approval"]) == (88.06, False)
    assert b'"approved_total":88.06' in response.content
    assert Ticket.objects.get(pk=ticket.pk).approved_total == Decimal("88.06")


@pytest.mark.parametrize("status", ["approved", "in_progress"])
def test_work_added_after_the_approval_needs_approval(staff_client, customer_client, approved, status):
    if status == "in_progress":
        move(approved, "in_progress")
    fee(approved, 10)

    for client in (staff_client, customer_client):
        shown = client.get(f"/tickets/{approved.pk}").json()
        assert (shown["approved_total"], shown["totals"]["total"], shown["needs_approval"]) == (100, 110, True)
    assert staff_client.get("/tickets").json()[0]["needs_approval"] is True
    assert customer_client.get("/tickets/my-tickets").json()[0]["needs_approval"] is True


def test_parts_added_after_the_approval_need_approval_too(staff_client, approved, make_item):
    item = make_item(price=Decimal("7.25"))
    stock.record_movement(item_id=item.pk, kind="receipt", quantity=5, by="staff")
    body = {"add_inventory_items": [{"inventory_id": item.pk, "quantity": 2}]}

    assert staff_client.post(f"/tickets/{approved.pk}/inventory", body, format="json").status_code == 200

    assert staff_client.get(f"/tickets/{approved.pk}").json()["needs_approval"] is True


def test_a_lower_total_needs_no_approval(staff_client, approved):
    line = TicketLine.objects.get(ticket=approved)
    services.delete_line(ticket_id=approved.pk, line_id=line.pk)

    shown = staff_client.get(f"/tickets/{approved.pk}").json()

    assert (shown["approved_total"], shown["totals"]["total"], shown["needs_approval"]) == (100, 0, False)


def test_a_ticket_without_a_recorded_approval_never_needs_one(staff_client, make_ticket):
    """Tickets from before approvals were recorded (in progress, approved_total null)."""
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status="in_progress")
    fee(ticket, 500)

    assert staff_client.get(f"/tickets/{ticket.pk}").json()["needs_approval"] is False
    assert staff_client.post(f"/tickets/{ticket.pk}/transition", {"to": "completed"}, format="json").status_code == 200


# --- completing and invoicing wait for the approval ---------------------------------------------------


def test_completing_while_the_new_total_waits_is_409(staff_client, extended):
    response = staff_client.post(f"/tickets/{extended.pk}/transition", {"to": "completed"}, format="json")

    body = assert_error(response, 409)
    assert set(body) == {"error", "status", "allowed"}
    assert (body["status"], body["allowed"]) == ("in_progress", ["cancelled"])
    assert "125.50" in body["error"] and "approv" in body["error"]
    assert status_of(extended) == "in_progress"


def test_invoicing_work_added_after_completion_is_409_until_approved(staff_client, customer_client, approved):
    move(approved, "in_progress", "completed")
    fee(approved, 1)

    response = staff_client.post(f"/tickets/{approved.pk}/transition", {"to": "invoiced"}, format="json")

    body = assert_error(response, 409)
    assert (body["status"], body["allowed"]) == ("completed", ["in_progress"])
    assert status_of(approved) == "completed"
    # Back to work, where the customer approves, then on to the invoice.
    move(approved, "in_progress")
    assert customer_client.post(f"/tickets/{approved.pk}/approve", {}, format="json").status_code == 200
    move(approved, "completed", "invoiced")
    assert status_of(approved) == "invoiced"


def test_cancelling_is_still_allowed(staff_client, extended):
    assert (
        staff_client.post(f"/tickets/{extended.pk}/transition", {"to": "cancelled"}, format="json").status_code == 200
    )


# --- POST /tickets/<id>/approve ------------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_the_customer_approves_the_new_total(customer_client, customer, extended, slash):
    response = customer_client.post(f"/tickets/{extended.pk}/approve{slash}", {}, format="json")

    assert response.status_code == 200, response.content
    shown = response.json()
    assert (shown["id"], shown["status"], shown["approved_total"], shown["needs_approval"]) == (
        extended.pk,
        "in_progress",
        125.5,
        False,
    )
    assert history(extended)[-1] == (
        "in_progress",
        "in_progress",
        customer.email,
        "Approved the total of 125.50 (was 100.00).",
    )
    move(extended, "completed")  # no longer refused


def test_the_customers_note_is_kept(customer_client, customer, extended):
    response = customer_client.post(f"/tickets/{extended.pk}/approve", {"note": "  Go ahead  "}, format="json")

    assert response.status_code == 200
    assert history(extended)[-1][3] == "Approved the total of 125.50 (was 100.00): Go ahead"


def test_staff_record_an_approval_given_by_phone(staff_client, extended):
    response = staff_client.post(f"/tickets/{extended.pk}/approve", {"note": "By phone, 10:40"}, format="json")

    assert response.status_code == 200
    assert response.json()["needs_approval"] is False
    assert history(extended)[-1] == (
        "in_progress",
        "in_progress",
        "staff",
        "Approved the total of 125.50 (was 100.00): By phone, 10:40",
    )


@pytest.mark.parametrize("body", [{}, {"note": ""}, {"note": "   "}])
def test_staff_must_say_how_the_customer_approved(staff_client, extended, body):
    response = staff_client.post(f"/tickets/{extended.pk}/approve", body, format="json")

    assert_error(response, 400, "note")
    assert Ticket.objects.get(pk=extended.pk).approved_total == Decimal("100.00")


def test_a_note_too_long_is_400(customer_client, extended):
    response = customer_client.post(f"/tickets/{extended.pk}/approve", {"note": "x" * 901}, format="json")

    assert_error(response, 400, "note")


@pytest.mark.parametrize("state", ["estimate", "approved at that total", "lower total", "completed", "cancelled"])
def test_approving_when_nothing_waits_is_409(customer_client, customer, make_ticket, state):
    ticket = make_ticket(customer=customer)
    fee(ticket, 100)
    if state == "approved at that total":
        move(ticket, "approved")
    elif state == "lower total":
        line = TicketLine.objects.create(ticket=ticket, kind="fee", description="x", quantity=1, unit_price=5)
        move(ticket, "approved")
        line.delete()
    elif state == "completed":
        move(ticket, "approved", "in_progress", "completed")
        fee(ticket, 1)
    elif state == "cancelled":
        move(ticket, "cancelled")
    entries = len(history(ticket))

    response = customer_client.post(f"/tickets/{ticket.pk}/approve", {}, format="json")

    assert assert_error(response, 409)["status"] == status_of(ticket)
    assert len(history(ticket)) == entries


def test_the_first_approval_is_the_transitions_entry_only(customer_client, customer):
    ticket = services.ticket_create(
        customer_id=customer.pk, vin="1HGCM82633A004352", service_date="2026-12-01", service_description="Oil"
    )
    fee(ticket, 40)

    customer_client.post(f"/tickets/{ticket.pk}/transition", {"to": "approved", "note": "OK"}, format="json")

    assert [entry[:2] for entry in history(ticket)] == [(None, "estimate"), ("estimate", "approved")]
    assert history(ticket)[-1][3] == "OK"
    assert assert_error(customer_client.post(f"/tickets/{ticket.pk}/approve", {}, format="json"), 409)


def test_each_supplemental_approval_is_its_own_history_entry(customer_client, extended):
    customer_client.post(f"/tickets/{extended.pk}/approve", {}, format="json")
    fee(extended, Decimal("4.50"))
    customer_client.post(f"/tickets/{extended.pk}/approve", {}, format="json")

    notes = [entry[3] for entry in history(extended) if entry[0] == entry[1]]

    assert notes == ["Approved the total of 125.50 (was 100.00).", "Approved the total of 130.00 (was 125.50)."]
    shown = customer_client.get(f"/tickets/{extended.pk}/history").json()[-1]
    assert (shown["from"], shown["to"]) == ("in_progress", "in_progress")


# --- the service ------------------------------------------------------------------------------------------


def test_approve_supplemental_is_a_keyword_only_service(extended, customer, make_customer):
    with pytest.raises(TypeError):
        workflow.approve_supplemental(extended.pk, "x")  # keyword-only
    with pytest.raises(Forbidden):
        workflow.approve_supplemental(ticket_id=extended.pk, by="x", customer_id=make_customer().pk)
    with pytest.raises(InvalidInput):
        workflow.approve_supplemental(ticket_id=extended.pk, by="staff")

    ticket = workflow.approve_supplemental(ticket_id=extended.pk, by=customer.email, customer_id=customer.pk)

    assert ticket.approved_total == Decimal("125.50")
    with pytest.raises(Conflict):
        workflow.approve_supplemental(ticket_id=extended.pk, by=customer.email, customer_id=customer.pk)


def test_the_approval_is_decided_under_the_ticket_row_lock(extended, customer):
    """The ticket is read with SELECT ... FOR UPDATE before the total is read: a line added
    meanwhile waits for the approval's commit, and is then a new change to approve."""
    with CaptureQueriesContext(connection) as queries:
        workflow.approve_supplemental(ticket_id=extended.pk, by=customer.email, customer_id=customer.pk)

    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    assert "tickets_ticket" in reads[0]
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in reads[0]


def test_an_approval_too_large_for_its_column_is_a_conflict(make_ticket):
    ticket = make_ticket()
    for _ in range(2):
        TicketLine.objects.create(
            ticket=ticket, kind="fee", description="x", quantity=Decimal("999999.99"), unit_price=Decimal("99999999.99")
        )
    with pytest.raises(Conflict):
        move(ticket, "approved")
    assert Ticket.objects.values_list("status", "approved_total").get(pk=ticket.pk) == ("estimate", None)


# --- the admin keeps the rule ------------------------------------------------------------------------------


@pytest.fixture
def admin_browser(make_staff) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(make_staff(username="admin-user", is_superuser=True))
    return client


def test_the_admins_complete_action_refuses_with_the_reason(admin_browser, extended):
    response = admin_browser.post(
        "/admin/tickets/ticket/", {"action": "move_to_completed", "_selected_action": [extended.pk]}, follow=True
    )

    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(f"ticket {extended.pk}" in t and "125.50" in t and "approv" in t for t in texts), texts
    assert status_of(extended) == "in_progress"


def test_the_admins_invoice_action_refuses_with_the_reason(admin_browser, approved):
    move(approved, "in_progress", "completed")
    fee(approved, 3)

    response = admin_browser.post(
        "/admin/tickets/ticket/", {"action": "move_to_invoiced", "_selected_action": [approved.pk]}, follow=True
    )

    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(f"Not moved to invoiced, ticket {approved.pk}" in t and "103.00" in t for t in texts), texts
    assert status_of(approved) == "completed"


def test_the_admins_ticket_page_shows_the_approved_total_and_whether_it_waits(admin_browser, extended):
    page = admin_browser.get(f"/admin/tickets/ticket/{extended.pk}/change/").content.decode()

    assert "Approved total</th><td>100.00" in page
    assert 'Needs approval</th><td class="ticket-warning">yes' in page


def test_the_admin_records_an_approval_given_by_phone(admin_browser, extended):
    page = admin_browser.post(
        "/admin/tickets/ticket/", {"action": "record_approval", "_selected_action": [extended.pk]}
    )
    assert page.status_code == 200 and "How the customer approved" in page.content.decode()
    assert Ticket.objects.get(pk=extended.pk).approved_total == Decimal("100.00")  # nothing yet

    response = admin_browser.post(
        "/admin/tickets/ticket/",
        {"action": "record_approval", "_selected_action": [extended.pk], "apply": "1", "note": "By phone"},
        follow=True,
    )

    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(f"Ticket {extended.pk}: approval of 125.50 recorded." in t for t in texts), texts
    assert history(extended)[-1] == (
        "in_progress",
        "in_progress",
        "admin-user",
        "Approved the total of 125.50 (was 100.00): By phone",
    )


def test_the_admin_reports_a_ticket_with_nothing_to_approve(admin_browser, make_ticket):
    ticket = make_ticket()

    response = admin_browser.post(
        "/admin/tickets/ticket/",
        {"action": "record_approval", "_selected_action": [ticket.pk], "apply": "1", "note": "By phone"},
        follow=True,
    )

    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(f"Not recorded, ticket {ticket.pk}: Nothing on ticket" in t for t in texts), texts
