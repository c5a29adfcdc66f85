"""The ticket list a person scans, and the customer's page: open tickets by default, status badges,
totals and balance computed in the list's one query (equal to what the API shows), search by VIN,
customer and plate, and a fixed number of queries however many rows."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tickets import money, selectors, services, workflow
from tickets.models import Ticket, TicketInventory, TicketLine
from vehicles.tests.factories import VehicleFactory

LIST = "/admin/tickets/ticket/"


@pytest.fixture
def admin_browser(make_staff) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(make_staff(username="writer", is_superuser=True))
    return client


@pytest.fixture(autouse=True)
def _tax(settings):
    settings.TAX_RATE = Decimal("0.0825")


def move(ticket, *statuses):
    for to in statuses:
        workflow.transition(ticket_id=ticket.pk, to=to, by="staff")


def priced(make_ticket, make_item, **fields) -> Ticket:
    """A ticket with a parts line (2 × 12.50), a labor line (1.5 h × 90.25) and a fee (3.75)."""
    ticket = make_ticket(**fields)
    TicketInventory.objects.create(ticket=ticket, inventory=make_item(price="12.50"), quantity=2, unit_price="12.50")
    TicketLine.objects.create(ticket=ticket, kind="labor", description="Brakes", quantity="1.5", unit_price="90.25")
    TicketLine.objects.create(ticket=ticket, kind="fee", description="Disposal", quantity=1, unit_price="3.75")
    return ticket


def listed(response) -> list[int]:
    assert response.status_code == 200
    return [ticket.pk for ticket in response.context["cl"].result_list]


def test_the_list_shows_open_tickets_by_default_and_all_on_asking(admin_browser, make_ticket):
    estimate, invoiced, closed, cancelled = make_ticket(), make_ticket(), make_ticket(), make_ticket()
    TicketLine.objects.create(ticket=invoiced, kind="fee", description="Fee", quantity=1, unit_price=10)
    move(invoiced, "approved", "in_progress", "completed", "invoiced")
    TicketLine.objects.create(ticket=closed, kind="fee", description="Fee", quantity=1, unit_price=0)
    move(closed, "approved", "in_progress", "completed", "invoiced", "closed")
    move(cancelled, "cancelled")

    default = admin_browser.get(LIST)
    everything = admin_browser.get(LIST, {"state": "all"})

    assert listed(default) == [invoiced.pk, estimate.pk]
    assert listed(everything) == [cancelled.pk, closed.pk, invoiced.pk, estimate.pk]
    html = default.content.decode()
    assert 'href="?state=all"' in html
    # The default is shown as chosen in the filter.
    chosen = next(spec for spec in default.context["cl"].filter_specs if spec.parameter_name == "state")
    assert [choice["display"] for choice in chosen.choices(default.context["cl"]) if choice["selected"]] == [
        "Open (not closed or cancelled)"
    ]


def test_the_list_filters_waiting_for_approval_and_ready_for_pickup(admin_browser, make_ticket, make_item):
    estimate = make_ticket()
    approved = priced(make_ticket, make_item)
    move(approved, "approved")
    raised = priced(make_ticket, make_item)
    move(raised, "approved", "in_progress")
    services.add_line(ticket_id=raised.pk, kind="fee", description="More", quantity=1, unit_price=5, by="staff")
    completed = priced(make_ticket, make_item)
    move(completed, "approved", "in_progress", "completed")

    assert sorted(listed(admin_browser.get(LIST, {"state": "waiting"}))) == [estimate.pk, raised.pk]
    assert listed(admin_browser.get(LIST, {"state": "ready"})) == [completed.pk]


def test_totals_and_balance_in_the_list_equal_the_apis(admin_browser, staff_client, make_ticket, make_item):
    open_ticket = priced(make_ticket, make_item)
    invoiced = priced(make_ticket, make_item)
    move(invoiced, "approved", "in_progress", "completed", "invoiced")
    services.add_payment(ticket_id=invoiced.pk, amount=Decimal("50.00"), method="card")

    response = admin_browser.get(LIST)

    rows = {ticket.pk: ticket for ticket in response.context["cl"].result_list}
    for ticket in (open_ticket, invoiced):
        api = staff_client.get(f"/tickets/{ticket.pk}").json()
        assert (rows[ticket.pk].total_amount, rows[ticket.pk].balance) == (
            Decimal(str(api["totals"]["total"])),
            Decimal(str(api["totals"]["balance"])),
        )
    # 25.00 + 135.38 (1.5 × 90.25, half a cent rounded up) + 3.75 = 164.13; tax 13.54
    assert rows[open_ticket.pk].total_amount == Decimal("177.67")
    assert rows[invoiced.pk].balance == Decimal("127.67")
    html = response.content.decode()
    assert "177.67" in html and "127.67" in html


def test_with_totals_prices_tickets_as_tickets_money_does(make_ticket, make_item):
    tickets = [priced(make_ticket, make_item), make_ticket()]
    invoiced = priced(make_ticket, make_item)
    move(invoiced, "approved", "in_progress", "completed", "invoiced")
    services.add_payment(ticket_id=invoiced.pk, amount=Decimal("0.67"), method="cash")
    tickets.append(invoiced)

    annotated = {t.pk: t for t in selectors.with_totals(Ticket.objects.all())}

    for ticket in tickets:
        expected = money.ticket_totals(selectors.ticket_detail(ticket_id=ticket.pk))
        got = annotated[ticket.pk]
        assert (got.total_amount, got.paid, got.balance) == (expected.total, expected.paid, expected.balance)


def test_each_row_shows_a_status_badge_customer_vehicle_and_a_cut_description(admin_browser, make_ticket):
    car = VehicleFactory(license_plate="ABC123", make="Toyota", model="Corolla", year=2020)
    long_text = "Replace the front brake pads and rotors, bleed the brake lines, test drive and check " * 3
    ticket = make_ticket(customer=car.customer, vehicle=car, vin=car.vin, service_description=long_text)
    move(ticket, "approved", "in_progress")

    html = admin_browser.get(LIST).content.decode()

    assert '<span class="status-badge status-in_progress">In progress</span>' in html
    assert f'href="/admin/customers/customer/{car.customer_id}/change/"' in html
    assert f'href="/admin/vehicles/vehicle/{car.pk}/change/"' in html and ">Toyota Corolla</a>" in html
    assert "ABC123" in html
    assert f"{long_text[:29]}…" in html  # cut, with the whole text on hover
    assert f'title="{long_text.strip()}' in html or f'title="{long_text}"' in html
    assert "white-space: nowrap" in html


@pytest.mark.parametrize("term", ["JH4KA7561PC0", "Ada Lovelace", "ada@example.org", "555-0199", "XYZ987"])
def test_search_finds_a_ticket_by_vin_customer_name_email_phone_or_plate(
    admin_browser, make_ticket, make_customer, term
):
    ada = make_customer(name="Ada Lovelace", email="ada@example.org", phone="555-0199")
    car = VehicleFactory(customer=ada, vin="JH4KA7561PC008269", license_plate="XYZ987")
    wanted = make_ticket(customer=ada, vehicle=car, vin=car.vin)
    make_ticket()  # someone else's

    assert listed(admin_browser.get(LIST, {"q": term})) == [wanted.pk]


def test_search_finds_a_ticket_by_its_number(admin_browser, make_ticket, make_customer):
    # No digit in the VIN or the customer's details, so only the number can match.
    ada = make_customer(name="Ada", email="ada@example.org", phone="none")
    wanted, other = (make_ticket(customer=ada, vin="JHKAPCABCDEFGHJKL") for _ in range(2))
    assert listed(admin_browser.get(LIST, {"q": str(wanted.pk)})) == [wanted.pk]
    assert listed(admin_browser.get(LIST, {"q": str(other.pk)})) == [other.pk]
    assert listed(admin_browser.get(LIST, {"q": "99999999999999999999"})) == []  # beyond any id: no error


def make_rows(make_ticket, make_item, count: int) -> None:
    for n in range(count):
        car = VehicleFactory(license_plate=f"P{n}")
        ticket = priced(make_ticket, make_item, customer=car.customer, vehicle=car, vin=car.vin)
        if n % 2:
            move(ticket, "approved", "in_progress", "completed", "invoiced")
            services.add_payment(ticket_id=ticket.pk, amount=Decimal(10), method="cash")


# session + user + the count + the page (customer, vehicle, invoice joined; totals in it) + the
# mechanics of the mechanics filter; a search first finds the customers and the vehicles.
LIST_QUERIES = 5


@pytest.mark.parametrize(
    "query, queries",
    [({}, LIST_QUERIES), ({"state": "all"}, LIST_QUERIES), ({"state": "waiting"}, LIST_QUERIES)]
    + [({"q": "Customer"}, LIST_QUERIES + 2), ({"status__exact": "invoiced"}, LIST_QUERIES)],
)
def test_the_list_costs_a_fixed_number_of_queries(
    admin_browser, make_ticket, make_item, django_assert_num_queries, query, queries
):
    make_rows(make_ticket, make_item, 1)
    with django_assert_num_queries(queries):
        admin_browser.get(LIST, query)
    make_rows(make_ticket, make_item, 10)
    with django_assert_num_queries(queries):
        response = admin_browser.get(LIST, query)
    assert len(response.context["cl"].result_list) >= 5


@pytest.mark.parametrize(
    "query, counted",
    [({}, True), ({"state": "all", "o": "2", "p": "1"}, True), ({"status__exact": "invoiced"}, True)]
    + [({"state": "ready"}, True), ({"state": "waiting"}, False), ({"q": "P1"}, False)]
    + [({"service_date__gte": "2026-01-01"}, False)],
)
def test_a_list_narrowed_by_status_only_reads_its_count_from_the_kept_counts(
    admin_browser, make_ticket, make_item, query, counted
):
    make_rows(make_ticket, make_item, 4)
    move(make_ticket(), "cancelled")
    with CaptureQueriesContext(connection) as queries:
        response = admin_browser.get(LIST, query)
    sqls = [q["sql"] for q in queries.captured_queries]
    kept = [sql for sql in sqls if "tickets_ticketstatuscount" in sql]
    ticket_table = f"FROM {connection.ops.quote_name('tickets_ticket')}"
    counted_rows = [sql for sql in sqls if "COUNT(" in sql.upper() and ticket_table in sql]
    assert (len(kept), len(counted_rows)) == ((1, 0) if counted else (0, 1))
    cl = response.context["cl"]
    assert cl.result_count == len(cl.result_list)  # the same number, however it was counted


def test_the_customer_page_shows_their_vehicles_and_latest_tickets_linked(admin_browser, make_ticket, make_customer):
    ada = make_customer(name="Ada Lovelace")
    car = VehicleFactory(customer=ada, license_plate="XYZ987")
    tickets = [make_ticket(customer=ada, vehicle=car, vin=car.vin, service_date=date(2026, 11, n)) for n in (1, 2)]
    move(tickets[0], "cancelled")
    make_ticket()  # someone else's

    response = admin_browser.get(f"/admin/customers/customer/{ada.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/admin/vehicles/vehicle/{car.pk}/change/"' in html and "XYZ987" in html
    assert [t.pk for t, _ in response.context["customer_tickets"]] == [tickets[1].pk, tickets[0].pk]
    assert all(f'href="/admin/tickets/ticket/{t.pk}/change/"' in html for t in tickets)
    assert "status-cancelled" in html
    assert f"/admin/tickets/ticket/?customer__id__exact={ada.pk}&amp;state=all" in html


def test_the_customer_page_costs_the_same_with_more_tickets(
    admin_browser, make_ticket, make_item, make_customer, django_assert_num_queries
):
    ada = make_customer()
    priced(make_ticket, make_item, customer=ada)
    url = f"/admin/customers/customer/{ada.pk}/change/"
    admin_browser.get(url)
    with CaptureQueriesContext(connection) as first:
        admin_browser.get(url)
    for _ in range(5):
        car = VehicleFactory(customer=ada)
        priced(make_ticket, make_item, customer=ada, vehicle=car, vin=car.vin)
    with django_assert_num_queries(len(first.captured_queries)):
        response = admin_browser.get(url)
    assert len(response.context["customer_tickets"]) == 6


def test_the_customer_list_links_to_their_tickets(admin_browser, make_ticket, make_customer):
    ada = make_customer()
    make_ticket(customer=ada)
    html = admin_browser.get("/admin/customers/customer/").content.decode()
    assert f'<a href="/admin/tickets/ticket/?customer__id__exact={ada.pk}&amp;state=all">1</a>' in html
