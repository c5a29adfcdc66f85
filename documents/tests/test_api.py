"""GET /tickets/<id>/estimate.pdf and /tickets/<id>/invoice.pdf as a client sees them (API.md
"Documents and reports"): who may print what, the 409 before invoicing, and what the page says,
read back from the PDF's text and checked against the API's own answers for the same ticket."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from documents.tests.pdf_text import figures, pdf_pages, pdf_text
from inventory.tests.factories import InventoryFactory
from mechanics.tests.factories import MechanicFactory
from tests.asserts import assert_error
from tickets import services, workflow
from tickets.models import Invoice, TicketLine
from tickets.money import line_amount
from vehicles.tests.factories import VehicleFactory

TO_INVOICED = ("approved", "in_progress", "completed", "invoiced")
SHOP = {
    "SHOP_NAME": "Northside Brake & Tire",
    "SHOP_ADDRESS": "48 Foundry Road\nMillbrook, NY 12545",
    "SHOP_PHONE": "(845) 555-0137",
    "SHOP_TAX_ID": "EIN 12-3456789",
}


@pytest.fixture(autouse=True)
def shop(settings):
    for name, value in SHOP.items():
        setattr(settings, name, value)
    settings.TAX_RATE = Decimal("0.0825")
    settings.PAPER_SIZE = "A4"


def move(ticket_id: int, *statuses: str) -> None:
    for to in statuses:
        workflow.transition(ticket_id=ticket_id, to=to, by="staff")


@pytest.fixture
def ticket(customer):
    """A ticket of `customer` for their vehicle, with three parts lines, two labor lines (one of
    fractional hours) and two fees: the figures of a real brake and oil job."""
    vehicle = VehicleFactory(customer=customer, year=2019, make="Honda", model="Civic", license_plate="KDX 4471")
    ticket = services.ticket_create(
        customer_id=customer.pk,
        vehicle_id=vehicle.pk,
        service_date=date(2026, 11, 3),
        service_description="Grinding noise from the front brakes; oil change due.",
        mileage_in=45210,
    )
    pads = InventoryFactory(name="Brake pads, front (set)", price=Decimal("89.99"))
    oil = InventoryFactory(name="Synthetic oil 5W-30 (quart)", price=Decimal("8.25"))
    rotor = InventoryFactory(name="Brake rotor", price=Decimal("1234.56"))
    services.add_parts(ticket_id=ticket.pk, quantities={pads.pk: 1, oil.pk: 5, rotor.pk: 2})
    mechanic = MechanicFactory(name="Dana Whitfield")
    for kind, description, quantity, unit_price in [
        ("labor", "Replace front pads and rotors", Decimal("1.75"), Decimal("118.00")),
        ("labor", "Oil and filter change", Decimal("0.5"), Decimal("118.00")),
        ("fee", "Shop supplies", Decimal("1"), Decimal("12.50")),
        ("fee", "Used oil disposal", Decimal("1"), Decimal("4.75")),
    ]:
        services.add_line(
            ticket_id=ticket.pk,
            kind=kind,
            description=description,
            quantity=quantity,
            unit_price=unit_price,
            mechanic_id=mechanic.pk if kind == "labor" else None,
        )
    return ticket


@pytest.fixture
def invoiced(ticket):
    """`ticket`, invoiced, with a card payment, a partial refund and a cash payment."""
    move(ticket.pk, *TO_INVOICED)
    for amount, method, reference in [("1500.00", "card", "auth 0042"), ("-25.00", "card", ""), ("300", "cash", "")]:
        services.add_payment(ticket_id=ticket.pk, amount=Decimal(amount), method=method, reference=reference)
    return ticket


def expected_figures(ticket_json: dict, payments_json: list | None = None) -> list[Decimal]:
    """Every amount the document should show, taken from the API's answers: each part's price
    and amount (price × quantity, as the API prices a line), each line's rate, amount and
    fractional hours, the totals, and for an invoice paid, balance and each payment."""
    amounts = []
    for part in ticket_json["parts"]:
        price = Decimal(str(part["price"]))
        amounts += [price, line_amount(part["quantity"], price)]
    for line in ticket_json["lines"]:
        quantity = Decimal(str(line["quantity"]))
        amounts += [Decimal(str(line["unit_price"])), Decimal(str(line["amount"]))]
        if quantity != quantity.to_integral_value():
            amounts.append(quantity)
    shown = ["parts", "labor", "fees", "subtotal", "tax", "total"]
    if payments_json is not None:
        shown += ["paid", "balance"]
        amounts += [Decimal(str(payment["amount"])) for payment in payments_json]
    amounts += [Decimal(str(ticket_json["totals"][name])) for name in shown]
    return sorted(amounts)


def get_pdf(client, path: str, **headers):
    response = client.get(path, **headers)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return response


# --- what the page says ------------------------------------------------------------------------


def test_the_estimate_shows_every_figure_of_the_api_and_no_other(staff_client, ticket):
    api = staff_client.get(f"/tickets/{ticket.pk}").json()

    text = pdf_text(get_pdf(staff_client, f"/tickets/{ticket.pk}/estimate.pdf").content)

    assert figures(text) == expected_figures(api)
    assert "2,469.12" in text  # two rotors: thousands are grouped
    assert "Tax (8.25%)" in text


def test_the_invoice_shows_its_frozen_figures_payments_and_balance(staff_client, invoiced, settings):
    settings.TAX_RATE = Decimal("0.10")  # after invoicing: changes nothing on the invoice
    api = staff_client.get(f"/tickets/{invoiced.pk}").json()
    payments = staff_client.get(f"/tickets/{invoiced.pk}/payments").json()

    text = pdf_text(get_pdf(staff_client, f"/tickets/{invoiced.pk}/invoice.pdf").content)

    assert figures(text) == expected_figures(api, payments)
    assert Decimal(str(api["totals"]["tax"])) == Invoice.objects.get(ticket=invoiced).tax
    assert "Tax (8.25%)" in text
    assert f"Invoice no. {api['invoice_number']}" in text
    assert "Balance due" in text and "auth 0042" in text


def test_documents_name_the_shop_the_customer_and_the_vehicle(staff_client, invoiced, customer):
    for kind in ("estimate", "invoice"):
        text = pdf_text(get_pdf(staff_client, f"/tickets/{invoiced.pk}/{kind}.pdf").content)

        for value in (SHOP["SHOP_NAME"], "48 Foundry Road", "Millbrook, NY 12545", SHOP["SHOP_PHONE"]):
            assert value in text, (kind, value)
        assert f"Tax ID {SHOP['SHOP_TAX_ID']}" in text
        assert customer.name in text and customer.email in text
        assert "2019 Honda Civic" in text and invoiced.vehicle.vin in text and "KDX 4471" in text
        assert "Grinding noise from the front brakes" in text
        assert "Dana Whitfield" in text  # the technician of the labor lines
        assert f"Ticket no. {invoiced.pk}" in text
        assert "Page 1 of 1" in text


def test_the_invoice_is_dated_by_the_shops_calendar(staff_client, invoiced, settings):
    settings.TIME_ZONE = "America/Chicago"
    # 03:30 UTC on November 1st is still October 31st in Chicago.
    Invoice.objects.filter(ticket=invoiced).update(issued_at=datetime(2026, 11, 1, 3, 30, tzinfo=UTC))

    text = pdf_text(get_pdf(staff_client, f"/tickets/{invoiced.pk}/invoice.pdf").content)

    assert "Invoice date Oct 31, 2026" in text
    assert "Service date Nov 3, 2026" in text


def test_a_long_ticket_runs_over_numbered_pages(staff_client, ticket):
    TicketLine.objects.bulk_create(
        TicketLine(ticket=ticket, kind="labor", description=f"Inspection point {n}", quantity=1, unit_price=2)
        for n in range(120)
    )
    api = staff_client.get(f"/tickets/{ticket.pk}").json()

    pages = pdf_pages(get_pdf(staff_client, f"/tickets/{ticket.pk}/estimate.pdf").content)

    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        if "Inspection point" in text:
            assert "Description" in text  # the table's header starts every page the table runs over
    assert figures("\n".join(pages)) == expected_figures(api)


@pytest.mark.parametrize(("paper", "width", "height"), [("A4", 595.28, 841.89), ("Letter", 612, 792)])
def test_the_paper_size_is_the_setting(staff_client, ticket, settings, paper, width, height):
    settings.PAPER_SIZE = paper

    content = get_pdf(staff_client, f"/tickets/{ticket.pk}/estimate.pdf").content

    box = PdfReader(io.BytesIO(content)).pages[0].mediabox
    assert (round(float(box.width), 2), round(float(box.height), 2)) == (width, height)


def test_an_empty_estimate_prints(staff_client, make_ticket):
    ticket = make_ticket()

    text = pdf_text(get_pdf(staff_client, f"/tickets/{ticket.pk}/estimate.pdf").content)

    assert "No parts or work on this ticket yet." in text
    assert figures(text) == [Decimal("0.00")] * 6


# --- who may print what, and the errors ------------------------------------------------------------

UNKNOWN_ID = 987654321


@pytest.mark.parametrize("kind", ["estimate", "invoice"])
def test_anonymous_callers_are_asked_to_sign_in(api_client, invoiced, kind):
    response = api_client.get(f"/tickets/{invoiced.pk}/{kind}.pdf")

    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("kind", ["estimate", "invoice"])
def test_a_customer_prints_their_own_tickets(customer_client, invoiced, kind):
    get_pdf(customer_client, f"/tickets/{invoiced.pk}/{kind}.pdf")


@pytest.mark.parametrize("kind", ["estimate", "invoice"])
def test_a_customer_gets_403_for_another_customers_ticket_or_none(client_for, make_customer, invoiced, kind):
    """The same 403 for a ticket of someone else's and for an id that names no ticket."""
    stranger = client_for(make_customer())

    theirs = stranger.get(f"/tickets/{invoiced.pk}/{kind}.pdf")
    unknown = stranger.get(f"/tickets/{UNKNOWN_ID}/{kind}.pdf")

    assert_error(theirs, 403)
    assert unknown.status_code == 403 and unknown.json() == theirs.json()


@pytest.mark.parametrize("kind", ["estimate", "invoice"])
def test_staff_get_404_for_an_unknown_ticket(staff_client, kind):
    assert_error(staff_client.get(f"/tickets/{UNKNOWN_ID}/{kind}.pdf"), 404)


@pytest.mark.parametrize("status", ["estimate", "approved", "in_progress", "completed", "cancelled"])
def test_the_invoice_is_409_before_the_ticket_is_invoiced(staff_client, customer_client, ticket, status):
    path = {"estimate": (), "approved": ("approved",), "in_progress": ("approved", "in_progress")}.get(
        status, ("approved", "in_progress", "completed") if status == "completed" else ("cancelled",)
    )
    move(ticket.pk, *path)

    for client in (staff_client, customer_client):
        body = assert_error(client.get(f"/tickets/{ticket.pk}/invoice.pdf"), 409)
        assert body["status"] == status
    get_pdf(staff_client, f"/tickets/{ticket.pk}/estimate.pdf")  # an estimate prints in every status


def test_a_closed_tickets_invoice_still_prints(staff_client, ticket):
    move(ticket.pk, *TO_INVOICED)
    balance = Decimal(str(staff_client.get(f"/tickets/{ticket.pk}").json()["totals"]["balance"]))
    services.add_payment(ticket_id=ticket.pk, amount=balance, method="check", reference="1043")
    move(ticket.pk, "closed")

    text = pdf_text(get_pdf(staff_client, f"/tickets/{ticket.pk}/invoice.pdf").content)

    assert "Balance due 0.00" in text


@pytest.mark.parametrize("accept", ["application/json", "text/html", "application/xml", "application/pdf", "*/*"])
def test_the_path_names_the_format_whatever_the_client_accepts(staff_client, ticket, accept):
    """A document is application/pdf for every Accept header (never a 406), and an error is JSON."""
    get_pdf(staff_client, f"/tickets/{ticket.pk}/estimate.pdf", HTTP_ACCEPT=accept)

    conflict = staff_client.get(f"/tickets/{ticket.pk}/invoice.pdf", HTTP_ACCEPT=accept)

    assert conflict["Content-Type"] == "application/json"
    assert_error(conflict, 409)


def test_documents_are_served_with_and_without_a_trailing_slash(staff_client, ticket):
    response = get_pdf(staff_client, f"/tickets/{ticket.pk}/estimate.pdf/")

    assert response["Content-Disposition"] == f'inline; filename="estimate-{ticket.pk}.pdf"'


def test_the_invoice_file_is_named_by_its_number(staff_client, invoiced):
    number = Invoice.objects.get(ticket=invoiced).pk

    response = get_pdf(staff_client, f"/tickets/{invoiced.pk}/invoice.pdf")

    assert response["Content-Disposition"] == f'inline; filename="invoice-{number}.pdf"'


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_documents_are_read_only(staff_client, ticket, method):
    response = getattr(staff_client, method)(f"/tickets/{ticket.pk}/estimate.pdf", {}, format="json")

    assert_error(response, 405)
    assert "GET" in response["Allow"]


def test_a_dot_in_the_path_is_not_a_wildcard(staff_client, ticket):
    assert staff_client.get(f"/tickets/{ticket.pk}/estimateXpdf").status_code == 404


@pytest.mark.parametrize(("kind", "queries"), [("estimate", 6), ("invoice", 7)])
def test_a_document_is_read_in_a_fixed_number_of_queries(
    staff_user, client_for, invoiced, django_assert_num_queries, kind, queries
):
    """The ticket as the API reads it, its customer and vehicle, the technicians not assigned to it
    and, for an invoice, its payments; the caller's account is cached (one query on a cold cache)."""
    client = client_for(staff_user)
    get_pdf(client, f"/tickets/{invoiced.pk}/{kind}.pdf")  # the signed-in account is cached now

    with django_assert_num_queries(queries):
        get_pdf(client, f"/tickets/{invoiced.pk}/{kind}.pdf")


# --- the deployment check ------------------------------------------------------------------------


def test_the_deployment_check_passes_where_weasyprint_loads():
    from documents.checks import weasyprint_loads

    assert weasyprint_loads(None) == []


def test_the_deployment_check_names_the_missing_libraries(monkeypatch):
    import builtins

    from documents.checks import weasyprint_loads

    real_import = builtins.__import__

    def without_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_pango)

    (error,) = weasyprint_loads(None)

    assert error.id == "documents.E001" and "libpango-1.0-0" in error.msg
    assert "apt-get install libpango-1.0-0" in error.hint
