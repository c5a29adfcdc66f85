from django.db.models import Prefetch, QuerySet

from mechanics.models import Mechanic
from tickets.models import Ticket, TicketInventory


def ticket_list() -> QuerySet[Ticket]:
    """Tickets with their mechanics and parts: three queries, whatever the number of tickets."""
    return Ticket.objects.order_by("id").prefetch_related(
        Prefetch("mechanics", queryset=Mechanic.objects.only("id", "name").order_by("id")),
        Prefetch(
            "part_lines",
            queryset=TicketInventory.objects.select_related("inventory").order_by("inventory_id"),
        ),
    )


def tickets_of_customer(customer_id: int) -> QuerySet[Ticket]:
    return ticket_list().filter(customer_id=customer_id)
