"""The ticket's change page as a service writer uses it (tickets/admin_page.py): the moves the
workflow allows as buttons, the money panel, the customer's approval, payments and refunds, parts
added and removed through the stock service, history and audit trail read-only, the documents'
links, and a fixed number of queries however many lines the ticket has."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client

from audit.models import Change
from inventory import stock
from inventory.models import StockMovement
from tickets import services, workflow
from tickets.models import Payment, StatusChange, Ticket, TicketInventory, TicketLine
from vehicles.tests.factories import VehicleFactory

LIST = "/admin/tickets/ticket/"


@pytest.fixture
def writer(make_staff) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(make_staff(username="writer", is_superuser=True))
    return client


def page_url(ticket) -> str:
    return f"{LIST}{ticket.pk}/change/"


def move(ticket, *statuses):
    for to in statuses:
        workflow.transition(ticket_id=ticket.pk, to=to, by="staff")


def with_fee(ticket, amount) -> Ticket:
    services.add_line(ticket_id=ticket.pk, kind="fee", description="Inspection", quantity=1, unit_price=amount)
    return ticket


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def stocked(make_item, name, price, on_hand):
    item = make_item(name=name, price=Decimal(price))
    stock.receive_initial_stock(item_id=item.pk, quantity=on_hand, by="staff")
    return item


def page_data(page, **fields) -> dict:
    """What the browser posts back from the ticket's page unchanged (its form and every inline
    formset with its management form), with `fields` changed."""
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


def with_new_parts(page, rows, **fields) -> dict:
    """The page's data with new parts rows [(item, quantity)] after its existing ones."""
    data = page_data(page, **fields)
    start = int(data["part_lines-TOTAL_FORMS"])
    for offset, (item, quantity) in enumerate(rows):
        data[f"part_lines-{start + offset}-inventory"] = item.pk
        data[f"part_lines-{start + offset}-quantity"] = quantity
    data["part_lines-TOTAL_FORMS"] = start + len(rows)
    return data


def form_errors(response) -> list[str]:
    """Every error on the page's forms: the ticket form's and the inline rows'."""
    found = [m for messages in response.context["adminform"].form.errors.values() for m in messages]
    for inline in response.context["inline_admin_formsets"]:
        for form in inline.formset.forms:
            found += [m for messages in form.errors.values() for m in messages]
    return found


# --- moves ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [[], ["approved"], ["approved", "in_progress"], ["approved", "in_progress", "completed"]],
)
def test_the_buttons_are_the_moves_the_workflow_allows(writer, make_ticket, path):
    ticket = make_ticket()
    move(ticket, *path)
    panel = writer.get(page_url(ticket)).context["panel"]
    status = Ticket.objects.get(pk=ticket.pk).status
    assert [m.to for m in panel["moves"]] == list(workflow.TRANSITIONS[status])


def test_a_closed_ticket_has_no_buttons(writer, make_ticket):
    ticket = with_fee(make_ticket(), 10)
    move(ticket, "approved", "in_progress", "completed", "invoiced")
    services.add_payment(ticket_id=ticket.pk, amount=Decimal(10), method="cash")
    move(ticket, "closed")
    page = writer.get(page_url(ticket))
    assert page.context["panel"]["moves"] == []
    assert "Closed" in page.content.decode()


def test_a_button_moves_the_ticket_and_keeps_the_note(writer, make_ticket):
    ticket = make_ticket()
    response = writer.post(f"{LIST}{ticket.pk}/move/", {"to": "approved", "note": "Approved at the counter"})

    assert response.status_code == 302 and response.url == page_url(ticket)
    assert Ticket.objects.get(pk=ticket.pk).status == "approved"
    entry = StatusChange.objects.filter(ticket=ticket).last()
    assert (entry.to_status, entry.by, entry.note) == ("approved", "writer", "Approved at the counter")
    assert f"Ticket {ticket.pk} is now approved." in texts(response)


def test_a_refused_move_is_a_message_with_the_workflows_reason(writer, make_ticket):
    ticket = make_ticket()
    response = writer.post(f"{LIST}{ticket.pk}/move/", {"to": "invoiced"}, follow=True)

    assert response.status_code == 200
    assert "A ticket that is estimate cannot move to invoiced." in texts(response)
    assert Ticket.objects.get(pk=ticket.pk).status == "estimate"


def test_a_move_is_a_post(writer, make_ticket):
    ticket = make_ticket()
    assert writer.get(f"{LIST}{ticket.pk}/move/").status_code == 405
    assert writer.post(f"{LIST}999999/move/", {"to": "approved"}).status_code == 404


def test_staff_who_may_only_view_tickets_cannot_move_them(make_staff, make_ticket):
    viewer = make_staff(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client = Client(raise_request_exception=False)
    client.force_login(viewer)
    ticket = make_ticket()

    page = client.get(page_url(ticket))

    assert page.status_code == 200 and page.context["panel"]["moves"] == []
    assert client.post(f"{LIST}{ticket.pk}/move/", {"to": "approved"}).status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == "estimate"


# --- money --------------------------------------------------------------------------------------


def test_the_panel_shows_the_apis_totals(writer, staff_client, make_ticket, make_item, settings):
    settings.TAX_RATE = Decimal("0.0825")
    ticket = make_ticket(parts=[(make_item(price=Decimal("12.35")), 3)])
    services.add_line(ticket_id=ticket.pk, kind="labor", description="Brakes", quantity=Decimal("1.5"), unit_price=90)
    with_fee(ticket, Decimal("4.99"))

    panel = writer.get(page_url(ticket)).context["panel"]
    api = staff_client.get(f"/tickets/{ticket.pk}").json()

    shown = {name: str(getattr(panel["totals"], name)) for name in api["totals"]}
    assert shown == {name: f"{Decimal(str(value)):.2f}" for name, value in api["totals"].items()}
    assert panel["approved_total"] is None and panel["needs_approval"] is api["needs_approval"] is False


def test_work_added_after_the_approval_asks_for_it_and_the_approval_is_recorded(writer, make_ticket):
    ticket = with_fee(make_ticket(), 50)
    move(ticket, "approved")
    with_fee(ticket, 20)

    page = writer.get(page_url(ticket))
    assert page.context["panel"]["needs_approval"] is True
    assert "it needs their approval" in page.content.decode()

    refused = writer.post(f"{LIST}{ticket.pk}/approve/", {"note": ""})
    assert "Invalid input. Say how the customer approved (by phone, in person...): staff must." in texts(refused)
    recorded = writer.post(f"{LIST}{ticket.pk}/approve/", {"note": "By phone"})

    assert "The customer's approval of 70.00 is recorded." in texts(recorded)
    assert Ticket.objects.get(pk=ticket.pk).approved_total == Decimal("70.00")
    assert StatusChange.objects.filter(ticket=ticket).last().note == "Approved the total of 70.00 (was 50.00): By phone"
    assert writer.get(page_url(ticket)).context["panel"]["needs_approval"] is False


def invoiced(make_ticket, amount=100) -> Ticket:
    ticket = with_fee(make_ticket(), amount)
    move(ticket, "approved", "in_progress", "completed", "invoiced")
    return ticket


def test_a_payment_and_a_refund_go_through_the_payment_service(writer, make_ticket):
    ticket = invoiced(make_ticket)
    assert writer.get(page_url(ticket)).context["panel"]["takes_payments"] is True

    paid = writer.post(f"{LIST}{ticket.pk}/payment/", {"amount": "60", "method": "card", "reference": "auth-1"})
    refunded = writer.post(f"{LIST}{ticket.pk}/payment/", {"amount": "10", "method": "cash", "refund": "1"})

    assert "Payment of 60.00 by card taken." in texts(paid)
    assert "Refunded 10.00 by cash." in texts(refunded)
    assert list(Payment.objects.filter(ticket=ticket).values_list("amount", "method", "reference", "by")) == [
        (Decimal("60.00"), "card", "auth-1", "writer"),
        (Decimal("-10.00"), "cash", "", "writer"),
    ]
    assert Change.objects.filter(object_id=ticket.pk, action="payment").count() == 2
    assert writer.get(page_url(ticket)).context["panel"]["totals"].balance == Decimal("50.00")


@pytest.mark.parametrize(
    "posted, words",
    [
        ({"amount": "100.01", "method": "card"}, "More than the balance of 100.00."),
        ({"amount": "5", "method": "card", "refund": "1"}, "A refund cannot exceed what was paid (0.00)."),
        ({"amount": "-5", "method": "card"}, "Amount: Ensure this value is greater than or equal to 0.01."),
        ({"amount": "abc", "method": "card"}, "Amount: Enter a number."),
        ({"amount": "5", "method": "barter"}, "Method: Select a valid choice."),
    ],
)
def test_a_refused_payment_is_a_message_and_takes_nothing(writer, make_ticket, posted, words):
    ticket = invoiced(make_ticket)
    response = writer.post(f"{LIST}{ticket.pk}/payment/", posted, follow=True)
    assert response.status_code == 200
    assert any(words in t for t in texts(response)), texts(response)
    assert not Payment.objects.exists()


def test_no_payment_before_the_invoice(writer, make_ticket):
    ticket = with_fee(make_ticket(), 10)
    assert writer.get(page_url(ticket)).context["panel"]["takes_payments"] is False
    response = writer.post(f"{LIST}{ticket.pk}/payment/", {"amount": "5", "method": "cash"})
    assert f"Payments are taken on invoiced tickets; ticket {ticket.pk} is estimate." in texts(response)
    assert not Payment.objects.exists()


# --- parts ----------------------------------------------------------------------------------


def test_parts_are_added_through_the_stock_service(writer, make_ticket, make_item):
    pads = stocked(make_item, "Brake pads", "45.00", 10)
    oil = make_item(name="Oil", price=Decimal("8.50"))  # not counted
    ticket = make_ticket()
    page = writer.get(page_url(ticket))

    response = writer.post(page_url(ticket), with_new_parts(page, [(pads, 4), (oil, 2)]))

    assert response.status_code == 302, form_errors(response)
    assert sorted(TicketInventory.objects.values_list("inventory__name", "quantity", "unit_price")) == [
        ("Brake pads", 4, Decimal("45.00")),
        ("Oil", 2, Decimal("8.50")),
    ]
    pads.refresh_from_db()
    assert pads.quantity_on_hand == 6
    consumed = StockMovement.objects.get(kind="consumption")
    assert (consumed.item_id, consumed.quantity, consumed.ticket_id, consumed.by) == (pads.pk, -4, ticket.pk, "writer")
    assert Change.objects.filter(object_id=ticket.pk, action="part_added").count() == 2
    shown = writer.get(page_url(ticket)).content.decode()
    assert "180.00" in shown and "not counted" in shown  # the line's amount; oil's stock


def test_a_shortage_is_a_form_error_and_nothing_is_added(writer, make_ticket, make_item):
    pads = stocked(make_item, "Brake pads", "45.00", 10)
    rotor = stocked(make_item, "Rotor", "80.00", 1)
    ticket = make_ticket()
    page = writer.get(page_url(ticket))

    response = writer.post(
        page_url(ticket), with_new_parts(page, [(pads, 2), (rotor, 2)], service_description="Brakes front")
    )

    assert response.status_code == 200
    assert form_errors(response) == [
        f"Not enough stock for: item {rotor.pk}. Rotor: 2 wanted, 1 on hand. Nothing was added."
    ]
    assert not TicketInventory.objects.exists() and not StockMovement.objects.filter(kind="consumption").exists()
    pads.refresh_from_db()
    rotor.refresh_from_db()
    assert (pads.quantity_on_hand, rotor.quantity_on_hand) == (10, 1)
    assert Ticket.objects.get(pk=ticket.pk).service_description == "Oil change"  # the whole save undone


def test_removing_a_part_returns_it_to_stock(writer, make_ticket, make_item):
    pads = stocked(make_item, "Brake pads", "45.00", 10)
    ticket = make_ticket()
    services.add_parts(ticket_id=ticket.pk, quantities={pads.pk: 3})
    page = writer.get(page_url(ticket))

    response = writer.post(page_url(ticket), page_data(page, **{"part_lines-0-DELETE": "on"}))

    assert response.status_code == 302, form_errors(response)
    assert not TicketInventory.objects.exists()
    pads.refresh_from_db()
    assert pads.quantity_on_hand == 10
    assert StockMovement.objects.filter(kind="return", ticket=ticket, by="writer").count() == 1


@pytest.mark.parametrize("already_on_ticket", [True, False])
def test_an_item_twice_is_a_row_error(writer, make_ticket, make_item, already_on_ticket):
    pads = stocked(make_item, "Brake pads", "45.00", 10)
    ticket = make_ticket()
    if already_on_ticket:
        services.add_parts(ticket_id=ticket.pk, quantities={pads.pk: 1})
    page = writer.get(page_url(ticket))
    rows = [(pads, 2)] if already_on_ticket else [(pads, 2), (pads, 1)]

    response = writer.post(page_url(ticket), with_new_parts(page, rows))

    assert response.status_code == 200
    words = "is already on the ticket" if already_on_ticket else "is on two new rows"
    assert any(words in error for error in form_errors(response)), form_errors(response)
    pads.refresh_from_db()
    assert pads.quantity_on_hand == (9 if already_on_ticket else 10)


def test_the_item_search_shows_price_and_stock(writer, make_item):
    pads = stocked(make_item, "Brake pads", "45.00", 7)
    make_item(name="Brake fluid", price=Decimal("9.00"))
    response = writer.get(
        f"{LIST}parts-autocomplete/",
        {"term": "brake", "app_label": "tickets", "model_name": "ticketinventory", "field_name": "inventory"},
    )
    assert response.status_code == 200
    assert {r["text"] for r in response.json()["results"]} == {
        "Brake pads — 45.00 — 7 on hand",
        "Brake fluid — 9.00 — not counted",
    }
    assert str(pads.pk) in {r["id"] for r in response.json()["results"]}


def test_a_locked_ticket_offers_no_part_rows(writer, make_ticket):
    ticket = invoiced(make_ticket)
    parts = next(
        f for f in writer.get(page_url(ticket)).context["inline_admin_formsets"] if f.opts.model is TicketInventory
    )
    assert (parts.has_add_permission, parts.has_delete_permission) == (False, False)


# --- history, audit trail, documents ---------------------------------------------------------------


def test_history_and_audit_trail_are_shown_read_only(writer, make_ticket):
    ticket = with_fee(make_ticket(), 10)
    workflow.transition(ticket_id=ticket.pk, to="approved", by="staff", note="Said yes by email")
    page = writer.get(page_url(ticket))
    html = page.content.decode()
    assert "Said yes by email" in html and "line_added" in html
    form = page.context["adminform"].form
    assert "status_history" not in form.fields and "audit_trail" not in form.fields


def test_the_estimate_link_answers_a_pdf_to_the_signed_in_browser(writer, make_ticket):
    ticket = with_fee(make_ticket(), 10)
    links = dict(writer.get(page_url(ticket)).context["panel"]["documents"])
    assert list(links) == ["Estimate (PDF)"]  # no invoice yet

    response = writer.get(links["Estimate (PDF)"])

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_invoice_link_once_invoiced(writer, make_ticket):
    ticket = invoiced(make_ticket)
    links = dict(writer.get(page_url(ticket)).context["panel"]["documents"])
    response = writer.get(links["Invoice (PDF)"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_the_invoice_before_invoicing_is_a_message(writer, make_ticket):
    ticket = make_ticket()
    response = writer.get(f"{LIST}{ticket.pk}/invoice.pdf", follow=True)
    assert response.status_code == 200
    assert f"Ticket {ticket.pk} has no invoice: it is estimate." in texts(response)


def test_the_documents_need_a_staff_session(make_ticket, customer_client):
    ticket = make_ticket()
    response = Client().get(f"{LIST}{ticket.pk}/estimate.pdf")
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert customer_client.get(f"{LIST}{ticket.pk}/estimate.pdf").status_code == 302  # a token is no session


# --- queries ------------------------------------------------------------------------------------


def grow(ticket, make_item, make_mechanic, n: int) -> None:
    """n more of everything the page lists: parts, labor lines with a mechanic, mechanics,
    history entries, audit entries."""
    for _ in range(n):
        item = stocked(make_item, f"Item {make_item._meta.model.objects.count()}", "3.00", 5)
        services.add_parts(ticket_id=ticket.pk, quantities={item.pk: 1})
        mechanic = make_mechanic()
        services.assign_mechanic(ticket_id=ticket.pk, mechanic_id=mechanic.pk)
        services.add_line(
            ticket_id=ticket.pk, kind="labor", description="Work", quantity=1, unit_price=10, mechanic_id=mechanic.pk
        )
        move(ticket, "approved", "estimate")


def test_the_page_costs_the_same_queries_however_many_lines(
    writer, make_ticket, make_item, make_mechanic, django_assert_num_queries
):
    car = VehicleFactory()
    ticket = make_ticket(customer=car.customer, vehicle=car, vin=car.vin)
    grow(ticket, make_item, make_mechanic, 1)
    writer.get(page_url(ticket))  # the session and the content types are cached after this

    with django_assert_num_queries(15) as one:
        small = writer.get(page_url(ticket))
    grow(ticket, make_item, make_mechanic, 8)
    with django_assert_num_queries(len(one.captured_queries)):
        large = writer.get(page_url(ticket))

    assert small.status_code == large.status_code == 200
    assert TicketLine.objects.filter(ticket=ticket).count() == 9
    assert large.context["panel"]["totals"].total == Decimal("117.00")  # 9 × (3.00 + 10.00)
