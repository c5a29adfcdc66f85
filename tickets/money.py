"""A ticket's money: line amounts, totals, tax, paid and balance, in Decimal (never float).

Each line's amount is quantity × unit price rounded half-up to the cent; the subtotal sums those
amounts; tax is the subtotal times the tax rate, rounded half-up to the cent. An invoiced (or
closed) ticket shows the figures its Invoice froze; every other ticket is priced with today's
`settings.TAX_RATE`.
"""

from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from tickets.models import Invoice, Payment, Status, Ticket, TicketLine

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The statuses in which work added after the approval waits for a new one (API.md's needs_approval).
AWAITING_APPROVAL_STATUSES = frozenset({Status.APPROVED, Status.IN_PROGRESS})


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal | int, unit_price: Decimal) -> Decimal:
    return cents(Decimal(quantity) * unit_price)


@dataclass(frozen=True)
class Amounts:
    """A ticket's lines summed by kind, their subtotal, the tax on it and the total."""

    parts: Decimal
    labor: Decimal
    fees: Decimal
    subtotal: Decimal
    tax: Decimal
    total: Decimal

    def as_dict(self) -> dict[str, Decimal]:
        # Not dataclasses.asdict, which deep-copies every value: these are immutable Decimals.
        return {field.name: getattr(self, field.name) for field in fields(self)}


@dataclass(frozen=True)
class Charges(Amounts):
    """What a ticket charges before payments: what an Invoice freezes (as_dict() gives its columns)."""

    tax_rate: Decimal


@dataclass(frozen=True)
class Totals(Amounts):
    """What a ticket shows: what it charges, what was paid and what is left to pay."""

    paid: Decimal
    balance: Decimal


def charges(*, part_lines: Iterable, lines: Iterable, tax_rate: Decimal) -> Charges:
    """`part_lines` have quantity and unit_price; `lines` also have kind (labor or fee)."""
    parts = sum((line_amount(p.quantity, p.unit_price) for p in part_lines), ZERO)
    labor = fees = ZERO
    for line in lines:
        if line.kind == TicketLine.Kind.LABOR:
            labor += line_amount(line.quantity, line.unit_price)
        else:
            fees += line_amount(line.quantity, line.unit_price)
    subtotal = parts + labor + fees
    tax = cents(subtotal * tax_rate)
    return Charges(parts, labor, fees, subtotal, tax, subtotal + tax, tax_rate)


def totals(*, charged: Charges | Invoice, paid: Decimal) -> Totals:
    paid = cents(paid)
    amounts = {field.name: getattr(charged, field.name) for field in fields(Amounts)}
    return Totals(**amounts, paid=paid, balance=charged.total - paid)


def invoice_of(ticket: Ticket) -> Invoice | None:
    """The ticket's invoice (selectors cache it, or its absence, on the instance)."""
    try:
        return ticket.invoice
    except Invoice.DoesNotExist:
        return None


def paid_subquery(*, ticket_field: str = "pk") -> Coalesce:
    """The sum of a ticket's payments (0 without any), as an annotation of a queryset whose
    `ticket_field` holds the ticket's id: a ticket queryset's "pk", an invoice queryset's "ticket_id"."""
    total = (
        Payment.objects.filter(ticket=OuterRef(ticket_field))
        .order_by()
        .values("ticket")
        .annotate(sum=Sum("amount"))
        .values("sum")
    )
    field = DecimalField(max_digits=14, decimal_places=2)
    return Coalesce(Subquery(total, output_field=field), Value(ZERO), output_field=field)


def paid_of(ticket_id: int) -> Decimal:
    """Summed in Python: each amount is read as the exact Decimal it is stored as."""
    return sum(Payment.objects.filter(ticket_id=ticket_id).values_list("amount", flat=True), ZERO)


def ticket_totals(ticket: Ticket) -> Totals:
    """Totals of a ticket read by tickets.selectors (with `part_list`, `line_list`, `paid`
    and its invoice cached); frozen figures once it has an invoice."""
    invoice = invoice_of(ticket)
    charged = invoice or charges(part_lines=ticket.part_list, lines=ticket.line_list, tax_rate=settings.TAX_RATE)
    return totals(charged=charged, paid=ticket.paid)


def exceeds_approval(*, approved_total: Decimal | None, total: Decimal) -> bool:
    """The total is above the one the customer approved (never, with no recorded approval)."""
    return approved_total is not None and total > approved_total


def needs_approval(*, status: str, approved_total: Decimal | None, total: Decimal) -> bool:
    """API.md's `needs_approval`: approved or in progress, with a total above the approved one."""
    return status in AWAITING_APPROVAL_STATUSES and exceeds_approval(approved_total=approved_total, total=total)
