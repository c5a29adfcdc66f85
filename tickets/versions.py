"""The versions of the cached ticket reads (core.caching): what a ticket write makes stale.

- "tickets": every list of tickets (GET /tickets, my-tickets); every ticket write bumps it.
- "ticket:<id>": the ticket's own GET /tickets/<id>; every write touching that ticket bumps it
  (its fields, lines, parts, mechanics, payments, status, vehicle), so a write to one ticket
  leaves the cached detail of every other ticket in place.
- "ticket-details": what every ticket shows of other records (mechanics' and parts' names);
  their services bump it with "tickets".
"""

from collections.abc import Mapping

from core.caching import bump, generations

TICKET_LISTS = "tickets"
TICKET_DETAILS = "ticket-details"


def ticket_version(ticket_id) -> str:
    return f"ticket:{int(ticket_id)}"


def bump_ticket(ticket_id: int) -> None:
    """Make every cached read showing this ticket stale (at once and on commit)."""
    bump(TICKET_LISTS, ticket_version(ticket_id))


def ticket_detail_version(ticket_id: int, known: Mapping[str, int] | None = None) -> str | None:
    """The version GET /tickets/<id> is cached under ("<ticket-details>.<ticket:id>"): it changes
    whenever the ticket's representation may have, so a validator (ETag) can be made from it
    without building the body (core.conditional's version source for "tickets"). From `known`
    (the versions a cached read read before its body) when given, else the current counters.
    None when they cannot be read: the ETag is then the representation's hash. A lost counter
    restarts at the current time (core.caching.generations), above any value it had."""
    names = [TICKET_DETAILS, ticket_version(ticket_id)]
    current = generations(names) if known is None else known
    if current is None or any(current.get(name) is None for name in names):
        return None
    return ".".join(str(current[name]) for name in names)
