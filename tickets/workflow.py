"""A ticket's status and its only way of changing: transition().

The allowed moves are data (TRANSITIONS). A transition runs in one transaction: it locks the
ticket row (so it queues behind any write to the ticket's fields, mechanics, parts, lines or
payments, and they behind it), then changes the status with one conditional UPDATE (`... WHERE
status = <the status it read>`), which is what makes the loser of a race a 409 even where no
row lock is taken (SQLite ignores FOR UPDATE; its IMMEDIATE transactions serialise writers
instead). The history entry, the audit trail's entry, the invoice and the return of parts to
stock are written in the same transaction.

Supplemental approval (API.md "Who may change a ticket, and when"): approving the estimate records
its total as `approved_total`; work added after that raises the total above it, and the ticket
then needs the customer's approval of the new total (approve_supplemental) before it may be
completed or invoiced.
"""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.models import Action
from audit.services import record_change
from core.errors import Conflict, Forbidden, InvalidInput
from core.services import locked_row
from inventory import stock
from tickets import events, money
from tickets.models import Invoice, Status, StatusChange, Ticket, TicketInventory, TicketLine
from tickets.versions import bump_ticket

TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.ESTIMATE: (Status.APPROVED, Status.CANCELLED),
    Status.APPROVED: (Status.IN_PROGRESS, Status.ESTIMATE, Status.CANCELLED),
    Status.IN_PROGRESS: (Status.COMPLETED, Status.CANCELLED),
    Status.COMPLETED: (Status.INVOICED, Status.IN_PROGRESS),
    Status.INVOICED: (Status.CLOSED,),
    Status.CLOSED: (),
    Status.CANCELLED: (),
}

# Invoice amounts and approved totals have 14 digits, 2 of them decimals.
INVOICE_LIMIT = Decimal(10) ** 12

# While a ticket waits for the customer's approval of a higher total, it may not move to these.
NEEDS_APPROVED_TOTAL = frozenset({Status.COMPLETED, Status.INVOICED})
# A history note holds 1000 characters; a supplemental approval's note leaves room for its own words.
APPROVAL_NOTE_LIMIT = 900

# What a customer may do to a ticket of their own: approve or decline its estimate.
CUSTOMER_MOVES = frozenset({(Status.ESTIMATE, Status.APPROVED), (Status.ESTIMATE, Status.CANCELLED)})


class TransitionRefused(Conflict):
    """The move is not allowed from the ticket's status (or lost a race to another change).
    `allowed`: the moves open now, when fewer than the table's (a total waiting for approval)."""

    def __init__(self, message: str, *, status: str, allowed: tuple[str, ...] | None = None):
        allowed = TRANSITIONS[status] if allowed is None else allowed
        super().__init__(message, status=str(status), allowed=[str(s) for s in allowed])


@transaction.atomic
def transition(*, ticket_id: int, to: str, by: str, note: str = "", customer_id: int | None = None) -> Ticket:
    """Move the ticket to `to`, recording who did it and why. `customer_id` is the calling
    customer's (None for staff): a customer may only approve or decline their own estimate.
    Approving the estimate records its total as the approved one; completing or invoicing a
    ticket whose total is above the approved one is refused until the customer approves it."""
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
    approving = (current, to) == (Status.ESTIMATE, Status.APPROVED)
    charged = _charges(ticket_id) if approving or to in NEEDS_APPROVED_TOTAL else None
    if to in NEEDS_APPROVED_TOTAL and money.exceeds_approval(approved_total=ticket.approved_total, total=charged.total):
        raise TransitionRefused(
            f"The total of {charged.total} is above the {ticket.approved_total} the customer approved: "
            f"it needs their approval (POST /tickets/{ticket_id}/approve) before the ticket is {to}"
            + (", so move it back to in_progress first." if current == Status.COMPLETED else "."),
            status=current,
            allowed=tuple(s for s in TRANSITIONS[current] if s not in NEEDS_APPROVED_TOTAL),
        )
    changed = {"status": to}
    if approving:
        _check_approvable(charged.total, status=current)
        changed["approved_total"] = charged.total

    if not Ticket.objects.filter(pk=ticket_id, status=current).update(**changed):
        # Another transition got there first (only possible where the lock above is not taken).
        now = Ticket.objects.filter(pk=ticket_id).values_list("status", flat=True).first() or current
        raise TransitionRefused(f"The ticket changed meanwhile: it is {now}.", status=now)
    at = timezone.now()
    StatusChange.objects.create(ticket_id=ticket_id, from_status=current, to_status=to, at=at, by=by, note=note)
    described = {"status": [current, to]}
    if approving:
        described["approved_total"] = [ticket.approved_total, charged.total]
    if to == Status.INVOICED:
        described["invoice_number"] = _invoice(ticket_id=ticket_id, at=at, charged=charged).pk
    elif to == Status.CANCELLED:
        _return_parts(ticket_id=ticket_id, by=by)
    record_change(record=ticket, by=by, action=Action.TRANSITION, changes=described | ({"note": note} if note else {}))
    bump_ticket(ticket_id)
    events.status_changed(ticket_id, from_status=current, to_status=to)
    ticket.status = to
    ticket.approved_total = changed.get("approved_total", ticket.approved_total)
    return ticket


@transaction.atomic
def approve_supplemental(*, ticket_id: int, by: str, note: str = "", customer_id: int | None = None) -> Ticket:
    """The customer approves the ticket's current total, above the one they approved before
    (API.md: `POST /tickets/<id>/approve`, and the estimate link). `customer_id` is the approving
    customer's: the ticket must be theirs. Staff (customer_id None) record an approval the
    customer gave by phone or in person, and must say so in `note`. Checked and recorded under
    the ticket's row lock: the total approved is the one the ticket has when the lock is taken,
    and a history entry (from = to = its status) and an audit entry record it. A Conflict when
    nothing waits for approval."""
    note = note.strip()
    if customer_id is None and not note:
        raise InvalidInput(
            "Invalid input.", {"note": ["Say how the customer approved (by phone, in person...): staff must."]}
        )
    if len(note) > APPROVAL_NOTE_LIMIT:
        raise InvalidInput(
            "Invalid input.", {"note": [f"Ensure this field has no more than {APPROVAL_NOTE_LIMIT} characters."]}
        )
    ticket = locked_row(Ticket, ticket_id)
    if customer_id is not None and ticket.customer_id != customer_id:
        raise Forbidden("Customers may only approve their own tickets.")
    total = _charges(ticket_id).total
    if not money.needs_approval(status=ticket.status, approved_total=ticket.approved_total, total=total):
        raise Conflict(
            f"Nothing on ticket {ticket_id} waits for approval: it is {ticket.status}"
            + ("." if ticket.approved_total is None else f", its total {total}, approved {ticket.approved_total}."),
            status=ticket.status,
        )
    _check_approvable(total, status=ticket.status)
    approved_before, ticket.approved_total = ticket.approved_total, total
    ticket.save(update_fields=["approved_total"])
    history_note = f"Approved the total of {total} (was {approved_before})" + (f": {note}" if note else ".")
    StatusChange.objects.create(
        ticket_id=ticket_id,
        from_status=ticket.status,
        to_status=ticket.status,
        at=timezone.now(),
        by=by,
        note=history_note,
    )
    record_change(
        record=ticket,
        by=by,
        action=Action.APPROVAL,
        changes={"approved_total": [approved_before, total]} | ({"note": note} if note else {}),
    )
    bump_ticket(ticket_id)
    events.ticket_changed(ticket_id)
    return ticket


def _check_approvable(total: Decimal, *, status: str) -> None:
    if total >= INVOICE_LIMIT:  # beyond the approved_total column: refused, not a database error
        raise Conflict(f"A total of {total} is more than an approval can hold.", status=status)


def _charges(ticket_id: int) -> money.Charges:
    """What the ticket charges now, from its lines as they are under the ticket's row lock."""
    return money.charges(
        part_lines=TicketInventory.objects.filter(ticket_id=ticket_id).only("quantity", "unit_price"),
        lines=TicketLine.objects.filter(ticket_id=ticket_id).only("kind", "quantity", "unit_price"),
        tax_rate=settings.TAX_RATE,
    )


def _balance(ticket: Ticket):
    invoice = money.invoice_of(ticket)
    total = invoice.total if invoice is not None else money.ZERO
    return total - money.paid_of(ticket.pk)


def _invoice(*, ticket_id: int, at, charged: money.Charges) -> Invoice:
    """The invoice: its id (the database's sequence) is the invoice number; its figures are
    frozen with today's tax rate."""
    if charged.total >= INVOICE_LIMIT:  # beyond the invoice's columns: refused, not a database error
        raise Conflict(f"A total of {charged.total} is more than an invoice can hold.", status=Status.COMPLETED)
    return Invoice.objects.create(ticket_id=ticket_id, issued_at=at, **charged.as_dict())


def _return_parts(*, ticket_id: int, by: str) -> None:
    quantities = dict(TicketInventory.objects.filter(ticket_id=ticket_id).values_list("inventory_id", "quantity"))
    if quantities:
        stock.return_for_ticket(ticket_id=ticket_id, quantities=quantities, by=by, note="Ticket cancelled")


@transaction.atomic
def decline_supplemental(*, ticket_id: int, by: str, note: str = "", customer_id: int | None = None) -> Ticket:
    """The customer declines the ticket's total raised above the one they approved (the estimate
    link's Decline): recorded in the ticket's history (from = to = its status), the ticket left
    as it was, still needing approval. Under the ticket's row lock; a Conflict when nothing waits
    for approval."""
    ticket = locked_row(Ticket, ticket_id)
    if customer_id is not None and ticket.customer_id != customer_id:
        raise Forbidden("Customers may only decline on their own tickets.")
    total = _charges(ticket_id).total
    if not money.needs_approval(status=ticket.status, approved_total=ticket.approved_total, total=total):
        raise Conflict(
            f"Nothing on ticket {ticket_id} waits for approval: it is {ticket.status}.", status=ticket.status
        )
    note = note.strip()[:APPROVAL_NOTE_LIMIT]
    StatusChange.objects.create(
        ticket_id=ticket_id,
        from_status=ticket.status,
        to_status=ticket.status,
        at=timezone.now(),
        by=by,
        note=f"Declined the total of {total} (approved: {ticket.approved_total})" + (f": {note}" if note else "."),
    )
    return ticket
