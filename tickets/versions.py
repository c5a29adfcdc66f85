"""The versions of the cached ticket reads (core.caching): what a ticket write makes stale.

- "tickets": every list of tickets (GET /tickets, my-tickets); every ticket write bumps it.
- "ticket:<id>": the ticket's own GET /tickets/<id>; every write touching that ticket bumps it
  (its fields, lines, parts, mechanics, payments, status, vehicle), so a write to one ticket
  leaves the cached detail of every other ticket in place.
- "ticket-details": what every ticket shows of other records (mechanics' and parts' names);
  their services bump it with "tickets".
"""

from core.caching import bump

TICKET_LISTS = "tickets"
TICKET_DETAILS = "ticket-details"


def ticket_version(ticket_id) -> str:
    return f"ticket:{int(ticket_id)}"


def bump_ticket(ticket_id: int) -> None:
    """Make every cached read showing this ticket stale (at once and on commit)."""
    bump(TICKET_LISTS, ticket_version(ticket_id))
