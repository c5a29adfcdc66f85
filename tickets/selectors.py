from django.db import DEFAULT_DB_ALIAS
from django.db.models import Prefetch, QuerySet

from mechanics.models import Mechanic
from tickets.models import Ticket, TicketInventory

# A ticket's own columns, as ticket_detail() reads them, in the order of the model's fields
# (Model.from_db takes values in that order).
TICKET_COLUMNS = ("id", "vin", "service_date", "service_description", "customer_id", "vehicle_id", "mileage_in", "mileage_out")


def part_lines() -> QuerySet[TicketInventory]:
    """Parts lines with the name and price of their item, by item id."""
    return (
        TicketInventory.objects.select_related("inventory")
        .only("ticket", "inventory", "quantity", "inventory__name", "inventory__price")
        .order_by("inventory_id")
    )


def ticket_list() -> QuerySet[Ticket]:
    """Tickets with their mechanics (`mechanic_list`) and parts lines (`part_list`): three
    queries however many tickets there are."""
    return Ticket.objects.order_by("id").prefetch_related(
        Prefetch("mechanics", queryset=Mechanic.objects.only("id", "name").order_by("id"), to_attr="mechanic_list"),
        Prefetch("part_lines", queryset=part_lines(), to_attr="part_list"),
    )


def tickets_of_customer(*, customer_id: int) -> QuerySet[Ticket]:
    return ticket_list().filter(customer_id=customer_id)


def ticket_detail(*, ticket_id: int) -> Ticket | None:
    """One ticket with `mechanic_list` and `part_list`, as ticket_list() gives them, in two
    queries instead of three: the ticket joined to its mechanics (a row per mechanic, or one row
    with empty mechanic columns), then its parts lines."""
    rows = list(
        Ticket.objects.filter(pk=ticket_id)
        .order_by("mechanic_links__mechanic_id")
        .values_list(*TICKET_COLUMNS, "mechanic_links__mechanic_id", "mechanic_links__mechanic__name")
    )
    if not rows:
        return None
    width = len(TICKET_COLUMNS)
    # Model.from_db: Django's documented way to make an instance of values read from the database.
    ticket = Ticket.from_db(DEFAULT_DB_ALIAS, TICKET_COLUMNS, rows[0][:width])
    ticket.mechanic_list = [
        Mechanic.from_db(DEFAULT_DB_ALIAS, ("id", "name"), row[width:]) for row in rows if row[width] is not None
    ]
    ticket.part_list = list(part_lines().filter(ticket_id=ticket_id))
    return ticket
