from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Prefetch, QuerySet

from core.db import CompiledQuery
from core.ids import MAX_ID
from mechanics.models import Mechanic
from tickets.models import Ticket, TicketInventory, TicketMechanic

# Where the ids go in the compiled queries: no row has a negative id.
_TICKET_ID = -7_300_001
_CUSTOMER_ID = -7_300_002


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


# The columns of a ticket, of a mechanic on it and of a parts line, as TicketDetail holds them.
_TICKET_COLUMNS = ("id", "vin", "service_date", "service_description", "customer_id")
_MECHANIC_COLUMNS = ("mechanic_id", "mechanic__name")
_PART_COLUMNS = ("inventory_id", "inventory__name", "inventory__price", "quantity")

# A ticket and its mechanics in one query: one row per mechanic (the ticket's columns repeated), or
# one row with NULL mechanic columns for a ticket without any.
_TICKET_WITH_MECHANICS = CompiledQuery(
    lambda pk: Ticket.objects.filter(pk=pk)
    .order_by("mechanic_links__mechanic_id")
    .values_list(*_TICKET_COLUMNS, *(f"mechanic_links__{column}" for column in _MECHANIC_COLUMNS)),
    _TICKET_ID,
)
_PART_ROWS = CompiledQuery(
    lambda pk: TicketInventory.objects.filter(ticket_id=pk)
    .order_by("inventory_id")
    .values_list(*_PART_COLUMNS),
    _TICKET_ID,
)


@dataclass(frozen=True)
class TicketDetail:
    ticket: Ticket  # the ticket's own columns, for permission checks
    mechanics: list[tuple[int, str]]  # (id, name), by id
    parts: list[tuple[int, str, Decimal, int]]  # (inventory_id, name, price, quantity), by inventory_id


def ticket_detail(ticket_id: int) -> TicketDetail | None:
    """One ticket with its mechanics and parts, or None. Ticket detail is the most frequent
    uncached read, so its two queries are compiled once per connection (core.db.CompiledQuery)."""
    if not 1 <= ticket_id <= MAX_ID:
        return None
    with connection.cursor() as cursor:
        rows = _TICKET_WITH_MECHANICS.rows(ticket_id, cursor=cursor)
        if not rows:
            return None
        parts = _PART_ROWS.rows(ticket_id, cursor=cursor)
    width = len(_TICKET_COLUMNS)
    mechanics = [tuple(row[width:]) for row in rows if row[width] is not None]
    return TicketDetail(_ticket_from_row(rows[0][:width]), mechanics, parts)


def _ticket_from_row(row: tuple) -> Ticket:
    return Ticket(**dict(zip(_TICKET_COLUMNS, row, strict=True)))


_CUSTOMER_TICKET_ROWS = CompiledQuery(
    lambda customer_id: Ticket.objects.filter(customer_id=customer_id)
    .order_by("id")
    .values_list(*_TICKET_COLUMNS),
    _CUSTOMER_ID,
)
_CUSTOMER_MECHANIC_ROWS = CompiledQuery(
    lambda customer_id: TicketMechanic.objects.filter(ticket__customer_id=customer_id)
    .order_by("ticket_id", "mechanic_id")
    .values_list("ticket_id", *_MECHANIC_COLUMNS),
    _CUSTOMER_ID,
)
_CUSTOMER_PART_ROWS = CompiledQuery(
    lambda customer_id: TicketInventory.objects.filter(ticket__customer_id=customer_id)
    .order_by("ticket_id", "inventory_id")
    .values_list("ticket_id", *_PART_COLUMNS),
    _CUSTOMER_ID,
)


def ticket_details_of_customer(customer_id: int) -> list[TicketDetail]:
    """All of a customer's tickets with their mechanics and parts, by id: three compiled
    queries however many tickets there are (what `my-tickets` answers without a page)."""
    mechanics: dict[int, list[tuple[int, str]]] = {}
    for ticket_id, *mechanic in _CUSTOMER_MECHANIC_ROWS.rows(customer_id):
        mechanics.setdefault(ticket_id, []).append(tuple(mechanic))
    parts: dict[int, list[tuple[int, str, Decimal, int]]] = {}
    for ticket_id, *line in _CUSTOMER_PART_ROWS.rows(customer_id):
        parts.setdefault(ticket_id, []).append(tuple(line))
    tickets = [_ticket_from_row(row) for row in _CUSTOMER_TICKET_ROWS.rows(customer_id)]
    return [TicketDetail(ticket, mechanics.get(ticket.pk, []), parts.get(ticket.pk, [])) for ticket in tickets]
