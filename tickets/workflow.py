"""A ticket's status and its only way of changing: transition().

The allowed moves are data (TRANSITIONS). A transition runs in one transaction: it locks the
ticket row (so it queues behind any write to the ticket's fields, mechanics, parts, lines or
payments, and they behind it), then changes the status with one conditional UPDATE (`... WHERE
status = <the status it read>`), which is what makes the loser of a race a 409 even where no
row lock is taken (SQLite ignores FOR UPDATE; its IMMEDIATE transactions serialise writers
instead). The history entry, the invoice and the return of parts to stock are written in the
same transaction.
"""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.caching import bump
from core.errors import Conflict, Forbidden, InvalidInput
from core.services import locked_row
from inventory import stock
from tickets import events, money
from tickets.models import Invoice, Status, StatusChange, Ticket, TicketInventory, TicketLine

TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.ESTIMATE: (Status.APPROVED, Status.CANCELLED),
    Status.APPROVED: (Status.IN_PROGRESS, Status.ESTIMATE, Status.CANCELLED),
    Status.IN_PROGRESS: (Status.COMPLETED, Status.CANCELLED),
    Status.COMPLETED: (Status.INVOICED, Status.IN_PROGRESS),
    Status.INVOICED: (Status.CLOSED,),
    Status.CLOSED: (),
    Status.CANCELLED: (),
}

# Invoice amounts have 14 digits, 2 of them decimals.
INVOICE_LIMIT = Decimal(10) ** 12

# What a customer may do to a ticket of their own: approve or decline its estimate.
CUSTOMER_MOVES = frozenset({(Status.ESTIMATE, Status.APPROVED), (Status.ESTIMATE, Status.CANCELLED)})


class TransitionRefused(Conflict):
    """The move is not allowed from the ticket's status (or lost a race to another change)."""

    def __init__(self, message: str, *, status: str):
        super().__init__(message, status=str(status), allowed=[str(s) for s in TRANSITIONS[status]])


@transaction.atomic
def transition(*, ticket_id: int, to: str, by: str, note: str = "", customer_id: int | None = None) -> Ticket:
    """Move the ticket to `to`, recording who did it and why. `customer_id` is the calling
    customer's (None for staff): a customer may only approve or decline their own estimate."""
    if to not in Status.values:
        raise InvalidInput("Invalid input.", {"to": [f"Not a status: {to!r}."]})
    ticket = locked_row(Ticket, ticket_id)
    current = ticket.status
    if customer_id is not None:
        if ticket.customer_id != customer_id:
            raise Forbidden("Customers may only change their own tickets.")
        if (current, to) not in CUSTOMER_MOVES:
            raise Forbidden("Customers may only approve or decline an estimate.")
    if to not in TRANSITIONS[current]:
        raise TransitionRefused(f"A ticket that is {current} cannot move to {to}.", status=current)
    if to == Status.CLOSED and (balance := _balance(ticket)) != 0:
        raise Conflict(f"The ticket cannot be closed while its balance is {balance}.", status=current, balance=balance)

    if not Ticket.objects.filter(pk=ticket_id, status=current).update(status=to):
        # Another transition got there first (only possible where the lock above is not taken).
        now = Ticket.objects.filter(pk=ticket_id).values_list("status", flat=True).first() or current
        raise TransitionRefused(f"The ticket changed meanwhile: it is {now}.", status=now)
    at = timezone.now()
    StatusChange.objects.create(ticket_id=ticket_id, from_status=current, to_status=to, at=at, by=by, note=note)
    if to == Status.INVOICED:
        _invoice(ticket_id=ticket_id, at=at)
    elif to == Status.CANCELLED:
        _return_parts(ticket_id=ticket_id, by=by)
    bump("tickets")  # a queryset update sends no post_save
    events.status_changed(ticket_id, from_status=current, to_status=to)
    ticket.status = to
    return ticket


def _balance(ticket: Ticket):
    invoice = money.invoice_of(ticket)
    total = invoice.total if invoice is not None else money.ZERO
    return total - money.paid_of(ticket.pk)


def _invoice(*, ticket_id: int, at) -> Invoice:
    """The invoice: its id (the database's sequence) is the invoice number; its figures are
    frozen with today's tax rate."""
    charged = money.charges(
        part_lines=TicketInventory.objects.filter(ticket_id=ticket_id).only("quantity", "unit_price"),
        lines=TicketLine.objects.filter(ticket_id=ticket_id).only("kind", "quantity", "unit_price"),
        tax_rate=settings.TAX_RATE,
    )
    if charged.total >= INVOICE_LIMIT:  # beyond the invoice's columns: refused, not a database error
        raise Conflict(f"A total of {charged.total} is more than an invoice can hold.", status=Status.COMPLETED)
    return Invoice.objects.create(ticket_id=ticket_id, issued_at=at, **charged.as_dict())


def _return_parts(*, ticket_id: int, by: str) -> None:
    quantities = dict(TicketInventory.objects.filter(ticket_id=ticket_id).values_list("inventory_id", "quantity"))
    if quantities:
        stock.return_for_ticket(ticket_id=ticket_id, quantities=quantities, by=by, note="Ticket cancelled")
