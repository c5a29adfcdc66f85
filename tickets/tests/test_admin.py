"""The ticket pages of the Django admin: the status moves only through the workflow's actions
(each refusal reported), invoiced, closed and cancelled tickets are read-only with their lines
and payments, and the list filters by status and shows the invoice total without a query per row."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from tickets import services, workflow
from tickets.models import Payment, StatusChange, Ticket, TicketLine

LIST = "/admin/tickets/ticket/"


@pytest.fixture
def admin_browser(make_staff) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(make_staff(username="admin-user", is_superuser=True))
    return client


def move(ticket, *statuses):
    for to in statuses:
        workflow.transition(ticket_id=ticket.pk, to=to, by="staff")


def invoiced(make_ticket, amount=100):
    ticket = make_ticket()
    TicketLine.objects.create(ticket=ticket, kind="fee", description="Inspection", quantity=1, unit_price=amount)
    move(ticket, "approved", "in_progress", "completed", "invoiced")
    return ticket


def run_action(client, action, tickets):
    return client.post(LIST, {"action": action, "_selected_action": [t.pk for t in tickets]}, follow=True)


def test_the_approve_action_moves_estimates_and_reports_refusals(admin_browser, make_ticket):
    estimate, other = make_ticket(), make_ticket()
    move(other, "cancelled")

    response = run_action(admin_browser, "move_to_approved", [estimate, other])

    assert response.status_code == 200
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(f"Moved to approved: ticket(s) {estimate.pk}" in t for t in texts)
    assert any(f"ticket {other.pk}" in t and "cancelled" in t for t in texts)
    assert Ticket.objects.get(pk=estimate.pk).status == "approved"
    assert Ticket.objects.get(pk=other.pk).status == "cancelled"
    entry = StatusChange.objects.filter(ticket=estimate).last()
    assert (entry.from_status, entry.to_status, entry.by, entry.note) == ("estimate", "approved", "admin-user", "Admin action")


@pytest.mark.parametrize(
    "action, start, expected",
    [
        ("move_to_in_progress", ["approved"], "in_progress"),
        ("move_to_completed", ["approved", "in_progress"], "completed"),
        ("move_to_invoiced", ["approved", "in_progress", "completed"], "invoiced"),
        ("move_to_cancelled", [], "cancelled"),
    ],
)
def test_each_action_makes_its_transition(admin_browser, make_ticket, action, start, expected):
    ticket = make_ticket()
    move(ticket, *start)
    run_action(admin_browser, action, [ticket])
    assert Ticket.objects.get(pk=ticket.pk).status == expected


def test_closing_with_a_balance_is_refused_with_a_message(admin_browser, make_ticket):
    ticket = invoiced(make_ticket)
    response = run_action(admin_browser, "move_to_closed", [ticket])
    assert any("balance" in str(m) for m in get_messages(response.wsgi_request))
    assert Ticket.objects.get(pk=ticket.pk).status == "invoiced"

    services.add_payment(ticket_id=ticket.pk, amount=Decimal(100), method="cash")
    run_action(admin_browser, "move_to_closed", [ticket])
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"


def test_status_is_not_a_form_field(admin_browser, make_ticket):
    ticket = make_ticket()
    response = admin_browser.get(f"{LIST}{ticket.pk}/change/")
    assert response.status_code == 200
    assert "status" not in response.context["adminform"].form.fields
    assert "Estimate" in response.content.decode()  # shown, read-only


@pytest.mark.parametrize("final", ["invoiced", "closed", "cancelled"])
def test_a_locked_ticket_is_read_only_with_its_inlines(admin_browser, make_ticket, final):
    ticket = invoiced(make_ticket)
    if final == "closed":
        services.add_payment(ticket_id=ticket.pk, amount=Decimal(100), method="card")
        move(ticket, "closed")
    elif final == "cancelled":
        ticket = make_ticket()
        move(ticket, "cancelled")
    url = f"{LIST}{ticket.pk}/change/"

    page = admin_browser.get(url)
    posted = admin_browser.post(url, {"vin": "JH4KA7561PC008269", "service_date": "2026-01-01", "service_description": "Changed"})

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert all(not formset.has_add_permission and not formset.has_change_permission for formset in page.context["inline_admin_formsets"])
    assert posted.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).service_description == "Oil change"


def test_an_open_ticket_stays_editable(admin_browser, make_ticket):
    page = admin_browser.get(f"{LIST}{make_ticket().pk}/change/")
    assert page.context["has_change_permission"] is True


def test_payments_are_shown_and_never_editable(admin_browser, make_ticket):
    ticket = invoiced(make_ticket)
    services.add_payment(ticket_id=ticket.pk, amount=Decimal("40.25"), method="card", reference="auth-77")
    page = admin_browser.get(f"{LIST}{ticket.pk}/change/")
    html = page.content.decode()
    assert "40.25" in html and "auth-77" in html
    payments = next(f for f in page.context["inline_admin_formsets"] if f.opts.model is Payment)
    assert (payments.has_add_permission, payments.has_change_permission, payments.has_delete_permission) == (False, False, False)


def test_the_list_filters_by_status_and_shows_invoice_totals(admin_browser, make_ticket):
    ticket = invoiced(make_ticket, amount=123)
    make_ticket()
    response = admin_browser.get(LIST, {"status__exact": "invoiced"})
    assert [t.pk for t in response.context["cl"].result_list] == [ticket.pk]
    assert "123.00" in response.content.decode()


def test_the_list_costs_the_same_with_more_invoiced_tickets(admin_browser, make_ticket, django_assert_max_num_queries):
    invoiced(make_ticket)
    admin_browser.get(LIST)
    with django_assert_max_num_queries(20) as few:
        admin_browser.get(LIST)
    for _ in range(10):
        invoiced(make_ticket)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_browser.get(LIST)
    assert len(response.context["cl"].result_list) == 11
