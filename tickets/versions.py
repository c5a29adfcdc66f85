"""The versions of the cached ticket reads (core.caching): what a ticket write makes stale.

- "tickets": every list of tickets (GET /tickets, my-tickets); every ticket write bumps it.
- "ticket:<id>": the ticket's own GET /tickets/<id>; every write touching that ticket bumps it
  (its fields, lines, parts, mechanics, payments, status, vehicle), so a write to one ticket
  leaves the cached detail of every other ticket in place.
- "ticket-details": what every ticket shows of other records (mechanics' and parts' names);
  their services bump it with "tickets".
"""

from core.caching import bump, generations

TICKET_LISTS = "tickets"
TICKET_DETAILS = "ticket-details"


def ticket_version(ticket_id) -> str:
    return f"ticket:{int(ticket_id)}"


def bump_ticket(ticket_id: int) -> None:
    """Make every cached read showing this ticket stale (at once and on commit)."""
    bump(TICKET_LISTS, ticket_version(ticket_id))


def ticket_detail_version(ticket_id: int) -> str | None:
    """The version GET /tickets/<id> is cached under ("<ticket-details>.<ticket:id>"): it changes
    whenever the ticket's representation may have, so a validator (ETag) can be made from it
    without building the body. None when the counters cannot be read."""
    names = [TICKET_DETAILS, ticket_version(ticket_id)]
    current = generations(names)
    return None if current is None else ".".join(str(current[name]) for name in names)
