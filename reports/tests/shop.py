"""Invoiced tickets at chosen instants, made through the services and the workflow as the shop
makes them (not a test module)."""

from datetime import datetime
from decimal import Decimal

from django.test import override_settings

from customers.tests.factories import CustomerFactory
from inventory.tests.factories import InventoryFactory
from tickets import services, workflow
from tickets.models import Invoice, Payment, Ticket
from tickets.tests.factories import TicketFactory

TO_INVOICED = ("approved", "in_progress", "completed", "invoiced")


def invoiced_ticket(
    at: datetime,
    *,
    parts: tuple[str, ...] = (),
    labor: tuple[tuple[str, str, int | None], ...] = (),
    fees: tuple[str, ...] = (),
    tax_rate: str = "0",
    customer=None,
) -> Ticket:
    """A ticket invoiced at `at` with these parts (unit prices, one of each), labor lines
    (hours, rate, mechanic id) and fees (amounts), taxed at `tax_rate`."""
    ticket = TicketFactory(customer=customer or CustomerFactory())
    if parts:
        items = [InventoryFactory(price=Decimal(price)) for price in parts]
        services.add_parts(ticket_id=ticket.pk, quantities={item.pk: 1 for item in items})
    for hours, rate, mechanic_id in labor:
        services.add_line(
            ticket_id=ticket.pk,
            kind="labor",
            description="Labor",
            quantity=Decimal(hours),
            unit_price=Decimal(rate),
            mechanic_id=mechanic_id,
        )
    for amount in fees:
        services.add_line(
            ticket_id=ticket.pk, kind="fee", description="Fee", quantity=Decimal(1), unit_price=Decimal(amount)
        )
    with override_settings(TAX_RATE=Decimal(tax_rate)):
        for to in TO_INVOICED:
            workflow.transition(ticket_id=ticket.pk, to=to, by="staff")
    Invoice.objects.filter(ticket=ticket).update(issued_at=at)
    return ticket


def pay(ticket: Ticket, amount: str, at: datetime, method: str = "card") -> Payment:
    payment = services.add_payment(ticket_id=ticket.pk, amount=Decimal(amount), method=method)
    Payment.objects.filter(pk=payment.pk).update(at=at)
    return payment
