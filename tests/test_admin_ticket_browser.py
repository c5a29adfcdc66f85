"""A service writer's day on the admin's ticket page, in Chromium: a ticket for a customer's
vehicle, parts (one short: the error shows, nothing is added), labor, approve, start, complete,
invoice, a card payment, close — checking what the page shows at each step — and the printed
estimate and invoice answering as PDFs."""

import re
from decimal import Decimal

import pytest

from accounts.tests.factories import STAFF_PASSWORD
from customers.tests.factories import CustomerFactory
from inventory import stock
from inventory.tests.factories import InventoryFactory
from mechanics.tests.factories import MechanicFactory
from tickets.models import Payment, Ticket
from vehicles.tests.factories import VehicleFactory

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def choose(page, select_id: str, term: str, option: str) -> None:
    """Pick `option` in the admin's autocomplete (Select2) of <select id=select_id>, typing `term`."""
    page.locator(f"#{select_id} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(term)
    page.locator(".select2-results__option", has_text=option).first.click()


def panel(page):
    return page.locator(".ticket-panel")


def money_row(page, name: str) -> str:
    return (
        page.locator(".ticket-money tr", has=page.locator("th", has_text=re.compile(f"^{name}$")))
        .locator("td")
        .inner_text()
    )


def press(page, label: str) -> None:
    page.get_by_role("button", name=label).click()
    page.wait_for_load_state()


def test_a_service_writers_day(page, live_server, make_staff, settings):
    settings.TAX_RATE = Decimal("0")
    make_staff(username="writer", is_superuser=True)
    customer = CustomerFactory(name="Dana Whitfield")
    car = VehicleFactory(customer=customer, make="Subaru", model="Outback")
    pads = InventoryFactory(name="Brake pads", price=Decimal("45.00"))
    rotor = InventoryFactory(name="Rotor", price=Decimal("80.00"))
    for item, on_hand in ((pads, 10), (rotor, 1)):
        stock.receive_initial_stock(item_id=item.pk, quantity=on_hand, by="staff")
    MechanicFactory(name="Sam Ortiz")

    page.goto(f"{live_server.url}/admin/login/?next=/admin/tickets/ticket/add/")
    page.fill("#id_username", "writer")
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")

    # The ticket, its parts (two rotors wanted, one on the shelf) and its labor.
    choose(page, "id_customer", "Whitfield", "Dana Whitfield")
    choose(page, "id_vehicle", "Outback", "Outback")
    page.fill("#id_service_date", "2026-12-07")
    page.fill("#id_service_description", "Front brakes grinding")
    page.fill("#id_mileage_in", "48210")
    for name, quantity in (("Brake pads", "2"), ("Rotor", "2")):
        page.get_by_text("Add another Part").click()
        row = page.locator("#part_lines-group tr.dynamic-part_lines").last
        row_id = row.locator("select").get_attribute("id")
        choose(page, row_id, name, f"{name} — ")
        row.locator("input[name$=quantity]").fill(quantity)
    page.get_by_text("Add another Labor or fee line").click()
    line = page.locator("#lines-group tr.dynamic-lines").last
    line.locator("select[name$=kind]").select_option("labor")
    line.locator("input[name$=description]").fill("Replace front pads and rotors")
    line.locator("input[name$=quantity]").fill("1.5")
    line.locator("input[name$=unit_price]").fill("90")
    choose(page, line.locator("select[name$=mechanic]").get_attribute("id"), "Sam", "Sam Ortiz")
    page.click("input[name=_continue]")

    assert "Please correct the error below" in page.locator(".errornote").inner_text()
    assert f"Not enough stock for: item {rotor.pk}. Rotor: 2 wanted, 1 on hand. Nothing was added." in (
        page.locator("ul.errorlist").first.inner_text()
    )
    assert not Ticket.objects.exists()  # nothing half-added: not even the ticket

    page.locator("#part_lines-group tr.dynamic-part_lines").last.locator("input[name$=quantity]").fill("1")
    page.click("input[name=_continue]")

    ticket = Ticket.objects.get()
    assert (ticket.customer_id, ticket.vehicle_id, ticket.vin) == (customer.pk, car.pk, car.vin)
    assert page.url.endswith(f"/admin/tickets/ticket/{ticket.pk}/change/")
    assert panel(page).locator(".status-badge").inner_text() == "Estimate"
    parts = page.locator("#part_lines-group")
    assert parts.locator("tr", has_text="Brake pads").locator("td.field-on_hand").inner_text() == "8"
    assert parts.locator("tr", has_text="Rotor").locator("td.field-on_hand").inner_text() == "0"
    assert money_row(page, "Parts") == "170.00" and money_row(page, "Labor") == "135.00"
    assert money_row(page, "Total") == "305.00" and money_row(page, "Approved total") == "not approved yet"
    moves = panel(page).locator(".ticket-moves button").all_inner_texts()
    assert moves == ["Approve the estimate", "Cancel the ticket"]

    # The day's moves, each from its button, each said on the page.
    page.fill("#id_move_note", "Approved by phone")
    press(page, "Approve the estimate")
    assert f"Ticket {ticket.pk} is now approved." in page.locator(".messagelist").inner_text()
    assert money_row(page, "Approved total") == "305.00" and money_row(page, "Needs approval") == "no"
    assert "Approved by phone" in page.locator(".field-status_history").inner_text()
    for label, shown in (("Start work", "In progress"), ("Complete the work", "Completed"), ("Invoice", "Invoiced")):
        press(page, label)
        assert panel(page).locator(".status-badge").inner_text() == shown
    assert f"Invoice no. {ticket.invoice.pk}" in panel(page).inner_text()
    assert money_row(page, "Balance") == "305.00"

    # The printed documents answer to the signed-in browser.
    for label in ("Estimate (PDF)", "Invoice (PDF)"):
        href = panel(page).get_by_role("link", name=label).get_attribute("href")
        document = page.request.get(f"{live_server.url}{href}")
        assert document.status == 200 and document.headers["content-type"] == "application/pdf"
        assert document.body().startswith(b"%PDF")

    # A card payment, then close.
    page.fill("#id_payment_amount", "305.00")
    page.select_option("#id_payment_method", "card")
    page.fill("#id_payment_reference", "auth 55Z1")
    press(page, "Take payment")
    assert "Payment of 305.00 by card taken." in page.locator(".messagelist").inner_text()
    assert money_row(page, "Paid") == "305.00" and money_row(page, "Balance") == "0.00"
    assert "auth 55Z1" in page.locator("#payments-group").inner_text()

    press(page, "Close")
    assert panel(page).locator(".status-badge").inner_text() == "Closed"
    assert panel(page).locator(".ticket-moves").count() == 0
    assert f"Ticket {ticket.pk} is closed: it can no longer be changed." in panel(page).inner_text()
    assert list(Payment.objects.values_list("amount", "method")) == [(Decimal("305.00"), "card")]


def test_a_refused_move_shows_its_reason(page, live_server, make_staff):
    make_staff(username="writer", is_superuser=True)
    car = VehicleFactory()
    ticket = Ticket.objects.create(
        customer=car.customer, vehicle=car, vin=car.vin, service_date="2026-12-07", service_description="Noise"
    )
    page.goto(f"{live_server.url}/admin/login/?next=/admin/tickets/ticket/{ticket.pk}/change/")
    page.fill("#id_username", "writer")
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    press(page, "Approve the estimate")
    press(page, "Start work")
    # Someone moved it meanwhile (another desk): the page's Complete button is now refused.
    Ticket.objects.filter(pk=ticket.pk).update(status="cancelled")

    press(page, "Complete the work")

    assert "A ticket that is cancelled cannot move to completed." in page.locator(".messagelist .error").inner_text()
    assert panel(page).locator(".status-badge").inner_text() == "Cancelled"
