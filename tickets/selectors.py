from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Round

from audit.models import Change
from audit.selectors import changes_of
from core.limits import MAX_ID
from customers.models import Customer
from mechanics.models import Mechanic
from tickets.models import Payment, Status, StatusChange, Ticket, TicketInventory, TicketLine, TicketStatusCount
from tickets.money import AWAITING_APPROVAL_STATUSES, ZERO, paid_subquery
from vehicles.models import Vehicle

# Tickets still being worked on or paid for: every status but closed and cancelled.
OPEN_STATUSES = (Status.ESTIMATE, Status.APPROVED, Status.IN_PROGRESS, Status.COMPLETED, Status.INVOICED)
# The work is done: the vehicle waits for its owner (and the invoice, perhaps, for its payment).
READY_FOR_PICKUP_STATUSES = (Status.COMPLETED, Status.INVOICED)
MONEY = DecimalField(max_digits=16, decimal_places=2)


def part_lines() -> QuerySet[TicketInventory]:
    """Parts lines with the name of their item and their own unit price, by item id."""
    return (
        TicketInventory.objects.select_related("inventory")
        .only("ticket", "inventory", "quantity", "unit_price", "inventory__name")
        .order_by("inventory_id")
    )


def ticket_lines() -> QuerySet[TicketLine]:
    return TicketLine.objects.order_by("id")


def ticket_list() -> QuerySet[Ticket]:
    """Tickets with their invoice and what was paid (`paid`), their mechanics (`mechanic_list`),
    parts lines (`part_list`) and labor and fee lines (`line_list`): four queries however many
    tickets and lines there are."""
    return (
        Ticket.objects.order_by("id")
        .select_related("invoice")
        .annotate(paid=paid_subquery())
        .prefetch_related(
            Prefetch("mechanics", queryset=Mechanic.objects.only("id", "name").order_by("id"), to_attr="mechanic_list"),
            Prefetch("part_lines", queryset=part_lines(), to_attr="part_list"),
            Prefetch("lines", queryset=ticket_lines(), to_attr="line_list"),
        )
    )


def _sum_of_line_amounts(model: type[TicketInventory] | type[TicketLine]) -> Coalesce:
    """The sum of a ticket's lines of `model`, each quantity × unit price rounded to the cent as
    tickets.money rounds it, as an annotation of a ticket queryset (0 without any)."""
    amount = Round(ExpressionWrapper(F("quantity") * F("unit_price"), output_field=MONEY), 2, output_field=MONEY)
    sums = model.objects.filter(ticket=OuterRef("pk")).order_by().values("ticket").annotate(sum=Sum(amount))
    return Coalesce(Subquery(sums.values("sum"), output_field=MONEY), Value(ZERO), output_field=MONEY)


def _charged(subtotal) -> ExpressionWrapper:
    tax = Round(ExpressionWrapper(subtotal * Value(Decimal(settings.TAX_RATE)), output_field=MONEY), 2)
    return ExpressionWrapper(subtotal + tax, output_field=MONEY)


def _unbilled_total() -> ExpressionWrapper:
    """What a ticket without an invoice charges: its lines' amounts plus tax at today's
    settings.TAX_RATE, as tickets.money.ticket_totals prices it."""
    return _charged(_sum_of_line_amounts(TicketInventory) + _sum_of_line_amounts(TicketLine))


def with_totals(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The tickets annotated, in SQL, with `total_amount` (the invoice's frozen total once
    invoiced, else what _unbilled_total() prices), `paid` and `balance` (total less paid): a list
    shows them with no query per row. PostgreSQL and MariaDB compute in exact decimals; SQLite in
    binary floating point, unrounded (money.cents rounds what it shows), where a line amount of
    exactly half a cent may round the other way."""
    return queryset.annotate(
        paid=paid_subquery(),
        total_amount=Coalesce(F("invoice__total"), _unbilled_total(), output_field=MONEY),
    ).annotate(balance=ExpressionWrapper(F("total_amount") - F("paid"), output_field=MONEY))


# Approved or in progress tickets have no invoice: their total is the unbilled one, and the
# condition needs no join to the invoices.
NEEDS_APPROVAL = Q(status__in=AWAITING_APPROVAL_STATUSES, unbilled_total__gt=F("approved_total"))


def waiting_for_approval(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Estimates the customer has not approved yet, and tickets whose new total waits for the
    customer's approval (needs_approval). Each arm names its statuses, so the status index
    finds the candidates."""
    return queryset.alias(unbilled_total=_unbilled_total()).filter(Q(status=Status.ESTIMATE) | NEEDS_APPROVAL)


def search(queryset: QuerySet[Ticket], *, term: str, most: int = 1000) -> QuerySet[Ticket]:
    """Tickets whose VIN, customer's name, email or phone, or vehicle's plate contains `term` (any
    case), and the ticket whose number it is. The customers and vehicles that match are found
    first, as ids (up to `most` of each): the ticket query is then one index lookup per kind
    (trigram on the VIN on PostgreSQL), not a scan of every ticket joined to its customer and
    vehicle. More matches than `most` (a very short term) fall back to subqueries, right but slower."""
    customers = Customer.objects.filter(Q(name__icontains=term) | Q(email__icontains=term) | Q(phone__icontains=term))
    vehicles = Vehicle.objects.filter(license_plate__icontains=term)
    customer_ids = list(customers.values_list("pk", flat=True)[: most + 1])
    vehicle_ids = list(vehicles.values_list("pk", flat=True)[: most + 1])
    found = Q(vin__icontains=term)
    if term.isdigit() and int(term) <= MAX_ID:
        found |= Q(pk=int(term))  # a ticket's number
    found |= Q(customer_id__in=customer_ids if len(customer_ids) <= most else customers.values("pk"))
    found |= Q(vehicle_id__in=vehicle_ids if len(vehicle_ids) <= most else vehicles.values("pk"))
    return queryset.filter(found)


def status_counts() -> dict[str, int]:
    """How many tickets are in each status (every status, 0 for those without tickets): one read
    of the counts the database keeps."""
    kept = dict(TicketStatusCount.objects.values_list("status", "ticket_count"))
    return {status: int(kept.get(status, 0)) for status in Status.values}


def board_rows(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Tickets as a list or a board shows them: with customer, vehicle and invoice (one join
    each) and their totals, newest first."""
    return with_totals(queryset.select_related("customer", "vehicle", "invoice")).order_by("-id")


def count_in_statuses(statuses) -> int:
    """How many tickets are in any of `statuses`, from the counts the database keeps (no COUNT)."""
    kept = TicketStatusCount.objects.filter(status__in=list(statuses)).aggregate(total=Sum("ticket_count"))
    return int(kept["total"] or 0)


def day_board(*, day: date) -> dict[str, int]:
    """How many of the tickets serviced on `day` are in each status (only statuses with tickets):
    the day's board. One query, served by the (service_date, id) index."""
    rows = Ticket.objects.filter(service_date=day).values("status").annotate(n=Count("id")).order_by()
    return {row["status"]: row["n"] for row in rows}


def waiting_for_approval_list(*, limit: int) -> tuple[int, list[Ticket]]:
    """How many tickets wait for the customer's approval, and the `limit` longest waiting (oldest
    first), as board_rows() shapes them: two queries. The waiting ids are read first (the status
    index finds the candidates): asked for the first few rows in id order, PostgreSQL would walk
    the primary key from the oldest ticket, testing the totals of each."""
    ids = list(waiting_for_approval(Ticket.objects.all()).order_by("id").values_list("pk", flat=True))
    return len(ids), list(board_rows(Ticket.objects.filter(pk__in=ids[:limit])).order_by("id"))


def ready_for_pickup_list(*, limit: int) -> list[Ticket]:
    """The `limit` tickets waiting longest for their owner (completed or invoiced, oldest first),
    as board_rows() shapes them: one query (their number is in status_counts())."""
    ready = Ticket.objects.filter(status__in=READY_FOR_PICKUP_STATUSES)
    return list(board_rows(ready).order_by("id")[:limit])


def vehicle_history(*, vehicle_id: int) -> QuerySet[Ticket]:
    """A vehicle's service history: its tickets, newest first (by service date, then the later
    ticket), shaped as ticket_list() shapes them. Served by the (vehicle, service_date, id) index."""
    return ticket_list().filter(vehicle_id=vehicle_id).order_by("-service_date", "-id")


def ticket_count(*, status: str | None = None) -> int:
    """How many tickets there are, or how many in `status`: one read of the per-status counts the
    database keeps (TicketStatusCount), exact as COUNT(*) over the tickets, which it spares."""
    counts = TicketStatusCount.objects.all() if status is None else TicketStatusCount.objects.filter(status=status)
    return int(counts.aggregate(total=Sum("ticket_count"))["total"] or 0)


def tickets_of_customer(*, customer_id: int) -> QuerySet[Ticket]:
    return ticket_list().filter(customer_id=customer_id)


def ticket_detail(*, ticket_id: int) -> Ticket | None:
    """One ticket as ticket_list() reads it, with the same queryset, so a ticket shows the same
    in the list and on its own: four queries, or one when there is no such ticket."""
    return ticket_list().filter(pk=ticket_id).first()


def ticket_history(*, ticket_id: int) -> QuerySet[StatusChange]:
    return StatusChange.objects.filter(ticket_id=ticket_id).order_by("id")


def ticket_payments(*, ticket_id: int) -> QuerySet[Payment]:
    return Payment.objects.filter(ticket_id=ticket_id).order_by("id")


def ticket_changes(*, ticket_id: int) -> QuerySet[Change]:
    """The ticket's audit trail, oldest first."""
    return changes_of(model=Ticket, object_id=ticket_id)
