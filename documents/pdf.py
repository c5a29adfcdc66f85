"""Estimates and invoices as PDF: Django templates (documents/templates/documents/) laid out by
WeasyPrint, on the paper of settings.PAPER_SIZE, with the shop's details from settings."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from documents.selectors import TicketDocument
from tickets import money
from tickets.models import TicketLine


def _percent(rate: Decimal) -> str:
    """0.0825 -> "8.25", 0.1 -> "10", 0 -> "0"."""
    text = format(rate * 100, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _context(document: TicketDocument, *, title: str, number: int, dated: date) -> dict:
    ticket = document.ticket
    lines = {kind: [] for kind in TicketLine.Kind.values}
    for line in ticket.line_list:
        technician = document.technicians.get(line.mechanic_id, "")
        lines[line.kind].append((line, money.line_amount(line.quantity, line.unit_price), technician))
    invoice = document.invoice
    return {
        "shop": {
            "name": settings.SHOP_NAME,
            "address": settings.SHOP_ADDRESS,
            "phone": settings.SHOP_PHONE,
            "tax_id": settings.SHOP_TAX_ID,
        },
        "paper_size": settings.PAPER_SIZE,
        "title": title,
        "number": number,
        "dated": dated,
        "document": document,
        "ticket": ticket,
        "parts": [(part, money.line_amount(part.quantity, part.unit_price)) for part in ticket.part_list],
        "labor": lines[TicketLine.Kind.LABOR],
        "fees": lines[TicketLine.Kind.FEE],
        "totals": document.totals,
        "tax_percent": _percent(invoice.tax_rate if invoice else settings.TAX_RATE),
        "shop_time_zone": timezone.get_default_timezone(),
    }


def _render(template_name: str, context: dict) -> bytes:
    # Dates and times on the page are the shop's (settings.TIME_ZONE), whatever zone is active.
    with timezone.override(timezone.get_default_timezone()):
        html = render_to_string(template_name, context)
    # Imported on first use: WeasyPrint is slow to import, and most processes never print.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # A document needs nothing from outside itself: no file and no network address is read while
    # laying one out, whatever its text says.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()


def estimate_pdf(document: TicketDocument) -> bytes:
    """The ticket's estimate as it stands today: its lines, and totals as the API shows them."""
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    return _render(
        "documents/estimate.html", _context(document, title="Estimate", number=document.ticket.pk, dated=today)
    )


def invoice_pdf(document: TicketDocument) -> bytes:
    """The ticket's invoice: its frozen figures, its payments and the balance. The document must
    have an invoice."""
    invoice = document.invoice
    if invoice is None:
        raise ValueError(f"Ticket {document.ticket.pk} has no invoice.")
    issued = timezone.localdate(invoice.issued_at, timezone=timezone.get_default_timezone())
    return _render("documents/invoice.html", _context(document, title="Invoice", number=invoice.pk, dated=issued))


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
