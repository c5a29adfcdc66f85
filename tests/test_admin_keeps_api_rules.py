"""Nothing in the admin bypasses a rule the API keeps: each write the API refuses is refused on
the admin's ticket page too, over its HTTP as a signed-in staff member, with the same reason (the
service's own sentence) and nothing changed. Each test makes the same attempt both ways."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from customers.tests.factories import CUSTOMER_PASSWORD
from inventory import stock
from tickets import services, workflow
from tickets.admin import FrozenTicketInline, TicketAdmin
from tickets.models import Payment, Ticket, TicketInventory, TicketLine

LIST = "/admin/tickets/ticket/"


def move(ticket, *statuses):
    for to in statuses:
        workflow.transition(ticket_id=ticket.pk, to=to, by="staff")


def fee(ticket, amount):
    services.add_line(ticket_id=ticket.pk, kind="fee", description="Fee", quantity=1, unit_price=Decimal(amount))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def page_data(page, **fields) -> dict:
    """What the browser posts back from the ticket's page unchanged, with `fields` changed."""
    forms = [page.context["adminform"].form]
    data = {}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(name): value for name, value in management.initial.items()})
        forms += inline.formset.forms
    for form in forms:
        for field in form:
            if field.value() is not None:
                data[field.html_name] = field.value()
    return {**data, **fields}


def page_errors(response) -> list[str]:
    return [m for messages in response.context["adminform"].form.errors.values() for m in messages]


@pytest.fixture
def invoiced(make_ticket):
    ticket = make_ticket()
    fee(ticket, 100)
    move(ticket, "approved", "in_progress", "completed", "invoiced")
    return ticket


def test_a_locked_ticket(admin_browser, staff_client, invoiced, monkeypatch):
    api = staff_client.patch(f"/tickets/{invoiced.pk}", {"service_description": "Changed"})
    reason = api.json()["error"]
    assert api.status_code == 409 and reason == f"Ticket {invoiced.pk} is invoiced: it can no longer be changed."

    url = f"{LIST}{invoiced.pk}/change/"
    page = admin_browser.get(url)
    assert reason in page.content.decode()  # said on the page
    assert admin_browser.post(url, page_data(page, service_description="Changed")).status_code == 403
    # A page opened before the ticket was locked: the service refuses the save, for the same reason.
    monkeypatch.setattr(TicketAdmin, "has_change_permission", lambda self, request, obj=None: True)
    monkeypatch.setattr(FrozenTicketInline, "_open", lambda self, request, obj: True)
    data = page_data(admin_browser.get(url), service_description="Changed")
    data.update({"lines-TOTAL_FORMS": int(data["lines-TOTAL_FORMS"]) + 1})
    row = data["lines-TOTAL_FORMS"] - 1
    data.update({f"lines-{row}-kind": "fee", f"lines-{row}-description": "X", f"lines-{row}-quantity": "1"})
    data[f"lines-{row}-unit_price"] = "1"
    refused = admin_browser.post(url, data)

    assert refused.status_code == 200 and page_errors(refused) == [reason]
    assert Ticket.objects.get(pk=invoiced.pk).service_description == "Oil change"
    assert TicketLine.objects.filter(ticket=invoiced).count() == 1


def test_a_refused_move(admin_browser, staff_client, invoiced):
    api = staff_client.post(f"/tickets/{invoiced.pk}/transition", {"to": "in_progress"})
    assert api.status_code == 409

    admin = admin_browser.post(f"{LIST}{invoiced.pk}/move/", {"to": "in_progress"})

    assert messages_of(admin) == [api.json()["error"]]
    assert Ticket.objects.get(pk=invoiced.pk).status == "invoiced"


def test_closing_with_a_balance(admin_browser, staff_client, invoiced):
    api = staff_client.post(f"/tickets/{invoiced.pk}/transition", {"to": "closed"})
    assert api.status_code == 409

    admin = admin_browser.post(f"{LIST}{invoiced.pk}/move/", {"to": "closed"})

    assert messages_of(admin) == [api.json()["error"]] == ["The ticket cannot be closed while its balance is 100.00."]


def test_an_oversell(admin_browser, staff_client, make_ticket, make_item):
    item = make_item(name="Rotor", price=Decimal("80.00"))
    stock.receive_initial_stock(item_id=item.pk, quantity=1, by="staff")
    ticket = make_ticket()
    api = staff_client.post(
        f"/tickets/{ticket.pk}/inventory", {"add_inventory_items": [{"inventory_id": item.pk, "quantity": 2}]}
    )
    assert api.status_code == 409

    url = f"{LIST}{ticket.pk}/change/"
    data = page_data(admin_browser.get(url))
    data.update({"part_lines-TOTAL_FORMS": 1, "part_lines-0-inventory": item.pk, "part_lines-0-quantity": 2})
    admin = admin_browser.post(url, data)

    assert admin.status_code == 200
    [error] = page_errors(admin)
    assert error.startswith(api.json()["error"])  # "Not enough stock for: item N." and then the details
    assert not TicketInventory.objects.exists()
    item.refresh_from_db()
    assert item.quantity_on_hand == 1


@pytest.mark.parametrize(
    "amount, refund",
    [(Decimal("100.01"), False), (Decimal("0.01"), True)],
    ids=["overpayment", "refund-above-paid"],
)
def test_an_overpayment_or_a_refund_above_what_was_paid(admin_browser, staff_client, invoiced, amount, refund):
    api = staff_client.post(
        f"/tickets/{invoiced.pk}/payments", {"amount": str(-amount if refund else amount), "method": "card"}
    )
    assert api.status_code == 400

    posted = {"amount": str(amount), "method": "card", **({"refund": "1"} if refund else {})}
    admin = admin_browser.post(f"{LIST}{invoiced.pk}/payment/", posted)

    [reason] = api.json()["fields"]["amount"]
    assert messages_of(admin) == [f"{api.json()['error']} {reason}"]
    assert not Payment.objects.exists()


def test_a_payment_before_the_invoice(admin_browser, staff_client, make_ticket):
    ticket = make_ticket()
    fee(ticket, 10)
    api = staff_client.post(f"/tickets/{ticket.pk}/payments", {"amount": "5", "method": "cash"})
    assert api.status_code == 409

    admin = admin_browser.post(f"{LIST}{ticket.pk}/payment/", {"amount": "5", "method": "cash"})

    assert messages_of(admin) == [api.json()["error"]]


@pytest.fixture
def extended(make_ticket):
    """In progress, with work added after the customer approved 100.00."""
    ticket = make_ticket()
    fee(ticket, 100)
    move(ticket, "approved", "in_progress")
    fee(ticket, 25)
    return ticket


def test_work_that_needs_approval(admin_browser, staff_client, extended):
    api = staff_client.post(f"/tickets/{extended.pk}/transition", {"to": "completed"})
    assert api.status_code == 409

    admin = admin_browser.post(f"{LIST}{extended.pk}/move/", {"to": "completed"})

    assert messages_of(admin) == [api.json()["error"]]
    assert "needs their approval" in api.json()["error"]
    assert Ticket.objects.get(pk=extended.pk).status == "in_progress"


def test_a_staff_approval_without_saying_how(admin_browser, staff_client, extended):
    api = staff_client.post(f"/tickets/{extended.pk}/approve", {})
    assert api.status_code == 400

    admin = admin_browser.post(f"{LIST}{extended.pk}/approve/", {"note": ""})

    assert messages_of(admin) == [f"{api.json()['error']} {api.json()['fields']['note'][0]}"]
    assert Ticket.objects.get(pk=extended.pk).approved_total == Decimal("100.00")


def test_an_approval_when_nothing_waits(admin_browser, staff_client, make_ticket):
    ticket = make_ticket()
    api = staff_client.post(f"/tickets/{ticket.pk}/approve", {"note": "By phone"})
    assert api.status_code == 409

    admin = admin_browser.post(f"{LIST}{ticket.pk}/approve/", {"note": "By phone"})

    assert messages_of(admin) == [api.json()["error"]]


def test_a_customers_edit_after_approval(customer_client, customer, make_ticket):
    """The API refuses the customer's change once the ticket is approved; the admin refuses the
    customer altogether: their email and password do not sign in to it."""
    ticket = make_ticket(customer=customer)
    move(ticket, "approved")
    api = customer_client.patch(f"/tickets/{ticket.pk}", {"service_description": "Changed"})
    assert api.status_code == 409 and "only while it is an estimate" in api.json()["error"]

    browser = Client()
    login = browser.post("/admin/login/", {"username": customer.email, "password": CUSTOMER_PASSWORD})
    page = browser.get(f"{LIST}{ticket.pk}/change/")

    assert login.status_code == 200 and "errornote" in login.content.decode()  # the form again, refused
    assert login.context["form"].data["username"] == customer.email  # the credentials were read
    assert page.status_code == 302 and "/admin/login/" in page.url
    assert Ticket.objects.get(pk=ticket.pk).service_description == "Oil change"
