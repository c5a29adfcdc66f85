"""The ticket pages of the Django admin: the status moves only through the workflow's actions
(each refusal reported), invoiced, closed and cancelled tickets are read-only with their lines
and payments, and the list filters by status and shows the invoice total without a query per row."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from inventory import stock
from tickets import services, workflow
from tickets.admin import FrozenTicketInline, TicketAdmin
from tickets.models import Payment, StatusChange, Ticket, TicketInventory, TicketLine, TicketMechanic
from vehicles.tests.factories import VehicleFactory

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
    # From the list of all tickets: the default list shows only open ones, and an action reaches
    # only the tickets its list shows.
    return client.post(
        f"{LIST}?state=all", {"action": action, "_selected_action": [t.pk for t in tickets]}, follow=True
    )


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
    assert (entry.from_status, entry.to_status, entry.by, entry.note) == (
        "estimate",
        "approved",
        "admin-user",
        "Admin action",
    )


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
def test_a_frozen_ticket_is_read_only_with_its_inlines(admin_browser, make_ticket, final):
    ticket = invoiced(make_ticket)
    if final == "closed":
        services.add_payment(ticket_id=ticket.pk, amount=Decimal(100), method="card")
        move(ticket, "closed")
    elif final == "cancelled":
        ticket = make_ticket()
        move(ticket, "cancelled")
    url = f"{LIST}{ticket.pk}/change/"

    page = admin_browser.get(url)
    posted = admin_browser.post(
        url, {"vin": "JH4KA7561PC008269", "service_date": "2026-01-01", "service_description": "Changed"}
    )

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert all(
        not formset.has_add_permission and not formset.has_change_permission
        for formset in page.context["inline_admin_formsets"]
    )
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
    assert (payments.has_add_permission, payments.has_change_permission, payments.has_delete_permission) == (
        False,
        False,
        False,
    )


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


# --- writes go through tickets.services ------------------------------------------------------


def page_data(page, **fields) -> dict:
    """What the browser would post back from `page` unchanged (the ticket form and every inline
    formset, management forms included), with `fields` changed."""
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


def add_page_data(admin_browser, **fields) -> dict:
    return page_data(admin_browser.get(f"{LIST}add/"), **fields)


def form_errors(response) -> dict:
    form = response.context["adminform"].form
    return {name: list(messages) for name, messages in form.errors.items()}


@pytest.fixture
def car(customer):
    return VehicleFactory(customer=customer, vin="JH4KA7561PC008269")


def test_adding_a_ticket_records_its_creation_by_the_admin_and_links_the_vehicle(admin_browser, car):
    response = admin_browser.post(
        f"{LIST}add/",
        add_page_data(
            admin_browser,
            customer=car.customer_id,
            vehicle=car.pk,
            vin="",
            service_date="2026-11-02",
            service_description="Brakes",
            mileage_in=41000,
            mileage_out=41010,
        ),
    )

    assert response.status_code == 302, form_errors(response)
    ticket = Ticket.objects.get()
    assert (ticket.vin, ticket.vehicle_id, ticket.status) == (car.vin, car.pk, "estimate")  # the vehicle's VIN
    assert list(ticket.status_changes.values_list("from_status", "to_status", "by")) == [
        (None, "estimate", "admin-user")
    ]
    car.refresh_from_db()
    assert car.mileage == 41010


def test_a_ticket_added_with_only_a_vin_goes_to_the_customers_vehicle_of_that_vin(admin_browser, car):
    response = admin_browser.post(
        f"{LIST}add/",
        add_page_data(
            admin_browser,
            customer=car.customer_id,
            vin=car.vin.lower(),
            service_date="2026-11-02",
            service_description="Tyres",
        ),
    )
    assert response.status_code == 302, form_errors(response)
    assert Ticket.objects.get().vehicle_id == car.pk


def test_a_line_added_with_a_new_ticket_is_saved_on_it(admin_browser, customer):
    data = add_page_data(
        admin_browser,
        customer=customer.pk,
        vin="JH4KA7561PC008269",
        service_date="2026-11-02",
        service_description="Inspection",
    )
    data.update(
        {
            "lines-TOTAL_FORMS": 1,
            "lines-0-kind": "fee",
            "lines-0-description": "Inspection",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "35.00",
        }
    )
    response = admin_browser.post(f"{LIST}add/", data)
    assert response.status_code == 302, form_errors(response)
    assert list(TicketLine.objects.values_list("ticket_id", "description")) == [(Ticket.objects.get().pk, "Inspection")]


@pytest.mark.parametrize(
    "fields, field, words",
    [
        ({"vehicle": "car", "vin": "1HGCM82633A004352"}, "vin", "has the VIN JH4KA7561PC008269"),  # not the vehicle's
        ({"vin": ""}, "vin", "choose the customer's vehicle"),
        ({"vehicle": "car", "vin": "IOQ"}, "vin", "without I, O or Q"),
        ({"vehicle": "car", "mileage_in": 500, "mileage_out": 400}, "mileage_out", "may not be lower"),
    ],
)
def test_an_add_refused_by_the_rules_shows_form_errors_and_saves_nothing(admin_browser, car, fields, field, words):
    fields = {**fields, "vehicle": car.pk} if "vehicle" in fields else fields
    data = add_page_data(
        admin_browser, customer=car.customer_id, service_date="2026-11-02", service_description="x", **fields
    )
    response = admin_browser.post(f"{LIST}add/", data)

    assert response.status_code == 200
    assert any(words in message for message in form_errors(response)[field]), form_errors(response)
    assert not any("onstraint" in m for messages in form_errors(response).values() for m in messages)
    assert not Ticket.objects.exists() and not StatusChange.objects.exists()


def test_another_customers_vehicle_is_a_form_error(admin_browser, car, make_customer):
    other = make_customer()
    response = admin_browser.post(
        f"{LIST}add/",
        add_page_data(
            admin_browser,
            customer=other.pk,
            vehicle=car.pk,
            service_date="2026-11-02",
            service_description="x",
        ),
    )
    assert response.status_code == 200
    assert form_errors(response)["vehicle"] == [f"Customer {other.pk} has no vehicle {car.pk}."]
    assert not Ticket.objects.exists()


def test_changing_a_ticket_goes_through_the_service_and_refreshes_the_vehicles_mileage(
    admin_browser, car, make_mechanic
):
    ticket = services.ticket_create(
        customer_id=car.customer_id,
        vin=car.vin,
        service_date=date(2026, 11, 1),
        service_description="Oil change",
        mileage_in=1000,
    )
    mechanic = make_mechanic()
    url = f"{LIST}{ticket.pk}/change/"
    data = page_data(admin_browser.get(url), mileage_out=1500, service_description="Oil and filter")
    data.update({"mechanic_links-TOTAL_FORMS": 1, "mechanic_links-0-mechanic": mechanic.pk})

    response = admin_browser.post(url, data)

    assert response.status_code == 302, form_errors(response)
    ticket.refresh_from_db()
    assert (ticket.service_description, ticket.mileage_out, ticket.vehicle_id) == ("Oil and filter", 1500, car.pk)
    assert list(ticket.mechanics.all()) == [mechanic]
    car.refresh_from_db()
    assert car.mileage == 1500


def test_a_change_breaking_the_vehicle_vin_rule_is_a_form_error_and_saves_nothing(admin_browser, car, customer):
    ticket = services.ticket_create(
        customer_id=customer.pk,
        vin="1HGCM82633A004352",
        service_date=date(2026, 11, 1),
        service_description="Oil change",
    )
    url = f"{LIST}{ticket.pk}/change/"
    data = page_data(admin_browser.get(url), vehicle=car.pk, vin="1HGCM82633A00435X", service_description="Changed")
    data.update(
        {
            "lines-TOTAL_FORMS": 1,
            "lines-0-kind": "fee",
            "lines-0-description": "Fee",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "5.00",
        }
    )

    response = admin_browser.post(url, data)

    assert response.status_code == 200
    assert form_errors(response)["vin"] == [f"Vehicle {car.pk} has the VIN {car.vin}; leave VIN out or send that one."]
    ticket.refresh_from_db()
    assert (ticket.vin, ticket.vehicle_id, ticket.service_description) == ("1HGCM82633A004352", None, "Oil change")
    assert not TicketLine.objects.exists()  # the inline row went with the refused change


def test_a_ticket_frozen_after_its_page_was_opened_is_refused_with_its_inlines(admin_browser, make_ticket, monkeypatch):
    """ticket_update checks the lock under the row lock, whatever the page allowed when it opened."""
    ticket = make_ticket()
    url = f"{LIST}{ticket.pk}/change/"
    data = page_data(admin_browser.get(url), service_description="Changed")
    data.update(
        {
            "lines-TOTAL_FORMS": 1,
            "lines-0-kind": "fee",
            "lines-0-description": "Fee",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "5.00",
        }
    )
    move(ticket, "cancelled")
    monkeypatch.setattr(TicketAdmin, "has_change_permission", lambda self, request, obj=None: True)
    monkeypatch.setattr(FrozenTicketInline, "_open", lambda self, request, obj: True)

    response = admin_browser.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        f"Ticket {ticket.pk} is cancelled: it can no longer be changed."
    ]
    assert Ticket.objects.get(pk=ticket.pk).service_description == "Oil change"
    assert not TicketLine.objects.exists()


def test_inline_mechanics_and_lines_are_changed_through_the_services(
    admin_browser, make_ticket, make_mechanic, monkeypatch
):
    """A row changed, one deleted and one added in each inline: the services do the writes (with
    their locks, checks and cached-read bumps), and the ticket ends as the page said."""
    m1, m2, m3 = make_mechanic(), make_mechanic(), make_mechanic()
    ticket = make_ticket(mechanics=[m1, m2])
    kept = services.add_line(ticket_id=ticket.pk, kind="labor", description="Brakes", quantity=1, unit_price=80)
    dropped = services.add_line(ticket_id=ticket.pk, kind="fee", description="Disposal", quantity=1, unit_price=5)
    called = []

    def spy(name):
        real = getattr(services, name)

        def recorded(**kwargs):
            called.append(name)
            return real(**kwargs)

        return recorded

    for name in ("update_mechanics", "add_line", "update_line", "delete_line"):
        monkeypatch.setattr(services, name, spy(name))
    url = f"{LIST}{ticket.pk}/change/"
    page = admin_browser.get(url)
    rows = {  # (model, pk): the prefix of the row's form
        (type(form.instance), form.instance.pk): form.prefix
        for inline in page.context["inline_admin_formsets"]
        for form in inline.formset.forms
    }
    links = dict(TicketMechanic.objects.filter(ticket=ticket).values_list("mechanic_id", "pk"))
    data = page_data(page)
    data.update(
        {
            f"{rows[TicketMechanic, links[m1.pk]]}-mechanic": m3.pk,
            f"{rows[TicketMechanic, links[m2.pk]]}-DELETE": "on",
            f"{rows[TicketLine, kept.pk]}-quantity": "1.50",
            f"{rows[TicketLine, kept.pk]}-mechanic": m3.pk,
            f"{rows[TicketLine, dropped.pk]}-DELETE": "on",
            "lines-TOTAL_FORMS": 3,
            "lines-2-kind": "fee",
            "lines-2-description": "Shop supplies",
            "lines-2-quantity": "1",
            "lines-2-unit_price": "7.00",
        }
    )

    response = admin_browser.post(url, data)

    assert response.status_code == 302, form_errors(response)
    assert sorted(called) == ["add_line", "delete_line", "update_line", "update_mechanics"]
    assert list(ticket.mechanics.all()) == [m3]
    lines = list(
        TicketLine.objects.filter(ticket=ticket)
        .order_by("pk")
        .values_list("pk", "description", "quantity", "mechanic_id")
    )
    assert lines[0] == (kept.pk, "Brakes", Decimal("1.50"), m3.pk)
    assert [line[1] for line in lines] == ["Brakes", "Shop supplies"]


def test_a_refusal_of_an_inline_write_shows_on_the_page_and_saves_nothing(admin_browser, make_ticket, make_mechanic):
    """Here the mechanic is deleted after the page was opened: update_mechanics refuses, and the
    whole save, the ticket's own fields included, is undone."""
    ticket = make_ticket()
    gone = make_mechanic()
    gone_id = gone.pk
    url = f"{LIST}{ticket.pk}/change/"
    data = page_data(admin_browser.get(url), service_description="Changed")
    data.update({"mechanic_links-TOTAL_FORMS": 1, "mechanic_links-0-mechanic": gone_id})
    real = services.update_mechanics

    def deleted_meanwhile(**kwargs):
        gone.delete()
        return real(**kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "update_mechanics", deleted_meanwhile)
        response = admin_browser.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [f"Mechanics not found: {gone_id}."]
    assert Ticket.objects.get(pk=ticket.pk).service_description == ticket.service_description
    assert not TicketMechanic.objects.exists()


def test_tickets_are_never_deleted_in_the_admin(admin_browser, make_ticket):
    ticket = make_ticket()
    assert admin_browser.post(f"{LIST}{ticket.pk}/delete/", {"post": "yes"}).status_code == 403
    response = admin_browser.post(LIST, {"action": "delete_selected", "_selected_action": [ticket.pk], "post": "yes"})
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert response.status_code in (200, 302)


# --- parts lines: added and removed through the stock service, never changed in place -----------


def test_a_parts_line_is_never_changed_in_place(admin_browser, make_ticket, make_item):
    item = make_item(name="Spark plug", price=Decimal("7.25"))
    stock.receive_initial_stock(item_id=item.pk, quantity=10, by="staff")
    ticket = make_ticket()
    services.add_parts(ticket_id=ticket.pk, quantities={item.pk: 4})
    url = f"{LIST}{ticket.pk}/change/"
    page = admin_browser.get(url)
    parts = next(f for f in page.context["inline_admin_formsets"] if f.opts.model is TicketInventory)
    assert (parts.has_add_permission, parts.has_change_permission, parts.has_delete_permission) == (True, False, True)
    html = page.content.decode()
    assert "7.25" in html and "29.00" in html  # its price and amount

    line = TicketInventory.objects.get()
    response = admin_browser.post(url, page_data(page, **{"part_lines-0-quantity": 1, "part_lines-0-unit_price": 0}))

    assert response.status_code == 302, form_errors(response)
    assert list(TicketInventory.objects.values_list("pk", "quantity", "unit_price")) == [(line.pk, 4, Decimal("7.25"))]
    item.refresh_from_db()
    assert item.quantity_on_hand == 6


@pytest.mark.parametrize("model", ["ticketinventory", "ticketmechanic"])
def test_the_standalone_parts_and_mechanic_pages_are_view_only(
    admin_browser, make_ticket, make_item, make_mechanic, model
):
    ticket = make_ticket(parts=[(make_item(price=Decimal("3.10")), 2)], mechanics=[make_mechanic()])
    record = (TicketInventory if model == "ticketinventory" else TicketMechanic).objects.get()
    url = f"/admin/tickets/{model}/"

    page = admin_browser.get(f"{url}{record.pk}/change/")
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    assert admin_browser.get(f"{url}add/").status_code == 403
    assert (
        admin_browser.post(
            f"{url}add/", {"ticket": ticket.pk, "inventory": record.pk, "mechanic": record.pk}
        ).status_code
        == 403
    )
    assert admin_browser.post(f"{url}{record.pk}/change/", {"ticket": ticket.pk, "quantity": 9}).status_code == 403
    assert admin_browser.post(f"{url}{record.pk}/delete/", {"post": "yes"}).status_code == 403
    assert type(record).objects.filter(pk=record.pk).exists()
    if model == "ticketinventory":
        assert "3.10" in admin_browser.get(url).content.decode()  # the line's price in the list


@pytest.mark.parametrize(
    "fields",
    [
        {"vehicle": "99999999999999999999"},  # more than any id column holds
        {"customer": "abc"},
        {"mileage_in": "99999999999999"},
        {"mechanic_links-TOTAL_FORMS": 1, "mechanic_links-0-mechanic": "99999999999999999999"},
    ],
)
def test_hand_made_values_are_form_errors_not_500(admin_browser, customer, fields):
    data = add_page_data(
        admin_browser, customer=customer.pk, vin="JH4KA7561PC008269", service_date="2026-11-02", service_description="x"
    )
    response = admin_browser.post(f"{LIST}add/", {**data, **fields})
    assert response.status_code == 200
    assert response.context["errors"]
    assert not Ticket.objects.exists()
