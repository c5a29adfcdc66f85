from django.db.models import DecimalField, IntegerField, Prefetch, QuerySet, Value

from inventory.models import Inventory
from mechanics.models import Mechanic
from tickets.models import Ticket, TicketInventory, TicketMechanic


def ticket_list() -> QuerySet[Ticket]:
    """Tickets with their mechanics (`mechanic_list`) and parts lines (`part_list`): three
    queries however many tickets there are."""
    return Ticket.objects.order_by("id").prefetch_related(
        Prefetch("mechanics", queryset=Mechanic.objects.only("id", "name").order_by("id"), to_attr="mechanic_list"),
        Prefetch(
            "part_lines",
            queryset=TicketInventory.objects.select_related("inventory")
            .only("ticket", "inventory", "quantity", "inventory__name", "inventory__price")
            .order_by("inventory_id"),
            to_attr="part_list",
        ),
    )


def tickets_of_customer(*, customer_id: int) -> QuerySet[Ticket]:
    return ticket_list().filter(customer_id=customer_id)


def ticket_detail(*, ticket_id: int) -> Ticket | None:
    """One ticket with `mechanic_list` and `part_list`, as ticket_list() gives them, in two
    queries instead of three: the ticket, then its mechanics and its parts lines together (one
    UNION ALL of two row shapes, told apart by their first column)."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return None
    no_number = Value(None, output_field=DecimalField())
    mechanics = TicketMechanic.objects.filter(ticket_id=ticket_id).values_list(
        Value("mechanic"), "mechanic_id", "mechanic__name", no_number, Value(None, output_field=IntegerField())
    )
    parts = TicketInventory.objects.filter(ticket_id=ticket_id).values_list(
        Value("part"), "inventory_id", "inventory__name", "inventory__price", "quantity"
    )
    ticket.mechanic_list, ticket.part_list = [], []
    for kind, ref_id, name, price, quantity in sorted(mechanics.union(parts, all=True), key=lambda row: row[1]):
        if kind == "mechanic":
            ticket.mechanic_list.append(Mechanic(id=ref_id, name=name))
        else:
            ticket.part_list.append(
                TicketInventory(ticket=ticket, inventory=Inventory(id=ref_id, name=name, price=price), quantity=quantity)
            )
    return ticket
