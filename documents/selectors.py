"""What a printed estimate or invoice shows, read with a fixed number of queries."""

from dataclasses import dataclass

from customers.models import Customer
from mechanics.models import Mechanic
from tickets import money, selectors
from tickets.models import Invoice, Payment, Ticket
from vehicles.models import Vehicle


@dataclass(frozen=True)
class TicketDocument:
    """A ticket as a document shows it: the ticket as the API reads it (tickets.selectors), its
    customer and vehicle, its totals as the API computes them and, once invoiced, the invoice and
    its payments. `technicians` names the mechanic of each labor or fee line that has one."""

    ticket: Ticket
    customer: Customer
    vehicle: Vehicle | None
    totals: money.Totals
    invoice: Invoice | None
    payments: list[Payment]
    technicians: dict[int, str]


def ticket_document(*, ticket: Ticket, with_payments: bool) -> TicketDocument:
    """The document of a ticket read by tickets.selectors.ticket_detail(): one more query for the
    customer and vehicle, one for the payments when asked for (and the ticket is invoiced), and one
    for the names of the lines' mechanics who are not assigned to the ticket (none when all are)."""
    owner = (
        Ticket.objects.select_related("customer", "vehicle")
        .only(
            "customer",
            "vehicle",
            "customer__name",
            "customer__email",
            "customer__phone",
            "vehicle__vin",
            "vehicle__year",
            "vehicle__make",
            "vehicle__model",
            "vehicle__license_plate",
        )
        .get(pk=ticket.pk)
    )
    invoice = money.invoice_of(ticket)
    payments = list(selectors.ticket_payments(ticket_id=ticket.pk)) if with_payments and invoice else []
    technicians = {mechanic.pk: mechanic.name for mechanic in ticket.mechanic_list}
    if unnamed := {line.mechanic_id for line in ticket.line_list} - set(technicians) - {None}:
        technicians.update(Mechanic.objects.filter(pk__in=unnamed).values_list("id", "name"))
    return TicketDocument(
        ticket=ticket,
        customer=owner.customer,
        vehicle=owner.vehicle,
        totals=money.ticket_totals(ticket),
        invoice=invoice,
        payments=payments,
        technicians=technicians,
    )
