from django.db import DEFAULT_DB_ALIAS
from django.db.models import Prefetch, QuerySet, Sum

from mechanics.models import Mechanic
from tickets.models import Invoice, Payment, StatusChange, Ticket, TicketInventory, TicketLine, TicketStatusCount
from tickets.money import paid_subquery

# A ticket's own columns, as ticket_detail() reads them, in the order of the model's fields
# (Model.from_db takes values in that order).
TICKET_COLUMNS = (
    "id",
    "vin",
    "service_date",
    "service_description",
    "customer_id",
    "status",
    "vehicle_id",
    "mileage_in",
    "mileage_out",
)
INVOICE_COLUMNS = tuple(f.attname for f in Invoice._meta.concrete_fields)


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
    """One ticket with `mechanic_list`, `part_list`, `line_list`, `paid` and its invoice, as
    ticket_list() gives them, in three queries instead of five: the ticket joined to its invoice,
    its payments' sum and its mechanics (a row per mechanic, or one row with empty mechanic
    columns), then its parts lines, then its labor and fee lines."""
    invoice_columns = tuple(f"invoice__{name}" for name in INVOICE_COLUMNS)
    rows = list(
        Ticket.objects.filter(pk=ticket_id)
        .annotate(paid=paid_subquery())
        .order_by("mechanic_links__mechanic_id")
        .values_list(
            *TICKET_COLUMNS, "paid", *invoice_columns, "mechanic_links__mechanic_id", "mechanic_links__mechanic__name"
        )
    )
    if not rows:
        return None
    width, invoice_width = len(TICKET_COLUMNS), len(INVOICE_COLUMNS)
    first = rows[0]
    # Model.from_db: Django's documented way to make an instance of values read from the database.
    ticket = Ticket.from_db(DEFAULT_DB_ALIAS, TICKET_COLUMNS, first[:width])
    ticket.paid = first[width]
    invoice_values = first[width + 1 : width + 1 + invoice_width]
    invoice = (
        Invoice.from_db(DEFAULT_DB_ALIAS, INVOICE_COLUMNS, invoice_values) if invoice_values[0] is not None else None
    )
    Ticket.invoice.related.set_cached_value(ticket, invoice)  # None too: no query to find out there is none
    mechanic_at = width + 1 + invoice_width
    ticket.mechanic_list = [
        Mechanic.from_db(DEFAULT_DB_ALIAS, ("id", "name"), row[mechanic_at:])
        for row in rows
        if row[mechanic_at] is not None
    ]
    ticket.part_list = list(part_lines().filter(ticket_id=ticket_id))
    ticket.line_list = list(ticket_lines().filter(ticket_id=ticket_id))
    return ticket


def ticket_history(*, ticket_id: int) -> QuerySet[StatusChange]:
    return StatusChange.objects.filter(ticket_id=ticket_id).order_by("id")


def ticket_payments(*, ticket_id: int) -> QuerySet[Payment]:
    return Payment.objects.filter(ticket_id=ticket_id).order_by("id")
