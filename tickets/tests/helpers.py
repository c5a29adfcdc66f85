"""Helpers shared by the ticket test modules and other apps' tests (not a test module itself): the
ticket as the API must show it, read straight from the models, and the pinned query counts of the
ticket reads."""

from tickets.models import Ticket, TicketInventory, TicketMechanic

BEFORE_NEXT_WINDOW = 800  # s: an hourly window's Retry-After
MAX_ID = 2**63 - 1
BIG_ID = 2**70  # 22 digits: no path matches it, and no body field accepts it

# tickets (with invoice and payments' sum) + their mechanics + parts lines (items joined in) + lines
TICKET_LIST_QUERIES = 4
# one ticket, read as the list reads tickets (tickets.selectors.ticket_detail)
TICKET_DETAIL_QUERIES = TICKET_LIST_QUERIES
# count + page + mechanics + parts lines + lines
TICKET_PAGE_QUERIES = 5


def ticket_json(ticket: Ticket) -> dict:
    """The ticket as the API must show it, read straight from the models."""
    ticket = Ticket.objects.get(pk=ticket.pk)
    return {
        "id": ticket.pk,
        "VIN": ticket.vin,
        "service_date": ticket.service_date.isoformat(),
        "service_description": ticket.service_description,
        "customer_id": ticket.customer_id,
        "vehicle_id": ticket.vehicle_id,
        "mileage_in": ticket.mileage_in,
        "mileage_out": ticket.mileage_out,
        "mechanics": [{"id": m.pk, "name": m.name} for m in ticket.mechanics.order_by("id")],
        "parts": [
            {
                "inventory_id": line.inventory_id,
                "name": line.inventory.name,
                "price": float(line.unit_price),
                "quantity": line.quantity,
            }
            for line in ticket.part_lines.select_related("inventory").order_by("inventory_id")
        ],
        **workflow_json(ticket),
    }


def workflow_json(ticket: Ticket) -> dict:
    """status, lines, totals and invoice_number of a ticket without payments or tax (TAX_RATE 0),
    whose amounts are exact in cents."""
    lines = list(ticket.lines.order_by("id"))
    parts = sum(line.quantity * line.unit_price for line in ticket.part_lines.all())
    labor = sum(line.quantity * line.unit_price for line in lines if line.kind == "labor")
    fees = sum(line.quantity * line.unit_price for line in lines if line.kind == "fee")
    total = float(parts + labor + fees)
    return {
        "status": ticket.status,
        "lines": [
            {
                "id": line.pk,
                "kind": line.kind,
                "description": line.description,
                "quantity": float(line.quantity),
                "unit_price": float(line.unit_price),
                "amount": float(line.quantity * line.unit_price),
                "mechanic_id": line.mechanic_id,
            }
            for line in lines
        ],
        "totals": {
            "parts": float(parts),
            "labor": float(labor),
            "fees": float(fees),
            "subtotal": total,
            "tax": 0.0,
            "total": total,
            "paid": 0.0,
            "balance": total,
        },
        "invoice_number": None,
        "approved_total": None if ticket.approved_total is None else float(ticket.approved_total),
        "needs_approval": ticket.status in ("approved", "in_progress")
        and ticket.approved_total is not None
        and total > ticket.approved_total,
    }


def mechanic_ids(ticket: Ticket) -> list[int]:
    return sorted(TicketMechanic.objects.filter(ticket=ticket).values_list("mechanic_id", flat=True))


def part_lines(ticket: Ticket) -> dict[int, int]:
    return dict(TicketInventory.objects.filter(ticket=ticket).values_list("inventory_id", "quantity"))


def is_cache_hit(response) -> bool:
    """core.caching marks an answer served from the cache with an Age header."""
    return response.has_header("Age")
