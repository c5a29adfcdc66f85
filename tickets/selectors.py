from django.db.models import Prefetch, QuerySet, Sum

from audit.models import Change
from audit.selectors import changes_of
from mechanics.models import Mechanic
from tickets.models import Payment, StatusChange, Ticket, TicketInventory, TicketLine, TicketStatusCount
from tickets.money import paid_subquery


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
