"""The emails themselves: Django templates (notifications/templates/notifications/email/), a
plain-text and an HTML part each, on one layout naming the shop, with links on PUBLIC_BASE_URL."""

import json
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from customers.models import Customer
from documents import pdf
from documents.selectors import TicketDocument, ticket_document
from events.models import Event
from notifications.models import Email
from tickets import money, selectors
from tickets.models import Payment, TicketLine

SUBJECTS = {
    Email.Kind.ESTIMATE: "Your estimate for ticket {ticket} is ready for your approval",
    Email.Kind.VEHICLE_READY: "Your vehicle is ready (ticket {ticket})",
    Email.Kind.INVOICE: "Your invoice {invoice} for ticket {ticket}",
    Email.Kind.RECEIPT: "Your receipt for ticket {ticket}",
    Email.Kind.PASSWORD_RESET: "Reset your password",
}


def event_data(event: Event) -> dict:
    return json.loads(event.payload, parse_float=Decimal)["data"]


def shop() -> dict:
    return {"name": settings.SHOP_NAME, "address": settings.SHOP_ADDRESS, "phone": settings.SHOP_PHONE}


def document_context(document: TicketDocument) -> dict:
    """A ticket's parts and lines with their amounts, and its totals: for the emails and the
    approval page."""
    ticket = document.ticket
    lines = {kind: [] for kind in TicketLine.Kind.values}
    for line in ticket.line_list:
        lines[line.kind].append((line, money.line_amount(line.quantity, line.unit_price)))
    return {
        "document": document,
        "ticket": ticket,
        "customer": document.customer,
        "vehicle": document.vehicle,
        "parts": [(part, money.line_amount(part.quantity, part.unit_price)) for part in ticket.part_list],
        "labor": lines[TicketLine.Kind.LABOR],
        "fees": lines[TicketLine.Kind.FEE],
        "totals": document.totals,
    }


def _document(ticket_id: int, *, with_payments: bool = False) -> TicketDocument:
    return ticket_document(ticket=selectors.ticket_detail(ticket_id=ticket_id), with_payments=with_payments)


def compose(email: Email) -> EmailMultiAlternatives | None:
    """The message to send for an owed email, rendered now; None when there is nobody to send it
    to (a reset asked for an address no customer has)."""
    # Imported here: services import this module.
    from notifications import services

    context = {"shop": shop(), "base_url": settings.PUBLIC_BASE_URL, "email": email}
    attachments = []
    subject_fields = {"ticket": email.ticket_id}
    if email.kind == Email.Kind.PASSWORD_RESET:
        customer = Customer.objects.filter(email=email.to).first()
        if customer is None:
            return None
        context |= {
            "customer": customer,
            "url": services.reset_url(customer),
            "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        }
    else:
        document = _document(email.ticket_id, with_payments=email.kind == Email.Kind.INVOICE)
        context |= document_context(document)
        if email.kind == Email.Kind.ESTIMATE:
            context |= {
                "link": email.link,
                "url": services.estimate_url(email.link),
                "days": settings.ESTIMATE_LINK_DAYS,
            }
        elif email.kind == Email.Kind.INVOICE:
            invoice = document.invoice
            subject_fields["invoice"] = invoice.pk
            context |= {"invoice": invoice, "payments": document.payments}
            attachments.append((f"invoice-{invoice.pk}.pdf", pdf.invoice_pdf(document), "application/pdf"))
        elif email.kind == Email.Kind.RECEIPT:
            payment = Payment.objects.get(pk=email.payment_id)
            context |= {"payment": payment, "refund": payment.amount < 0, "amount": abs(payment.amount)}
    context["subject"] = SUBJECTS[email.kind].format(**{"invoice": None, **subject_fields})
    # Dates and times in the shop's time zone, whatever zone is active.
    with timezone.override(timezone.get_default_timezone()):
        text = render_to_string(f"notifications/email/{email.kind}.txt", context)
        html = render_to_string(f"notifications/email/{email.kind}.html", context)
    message = EmailMultiAlternatives(context["subject"], text, settings.DEFAULT_FROM_EMAIL, [email.to])
    message.attach_alternative(html, "text/html")
    for attachment in attachments:
        message.attach(*attachment)
    return message
