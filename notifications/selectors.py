from decimal import Decimal

from notifications.models import EstimateLink
from tickets import money, selectors
from tickets.models import Status, Ticket


def approval_awaited(*, ticket_id: int) -> str | None:
    """What an estimate sent now would ask the ticket's customer (an EstimateLink.Purpose), or
    None when nothing waits for their approval (or there is no such ticket)."""
    ticket = selectors.ticket_detail(ticket_id=ticket_id)
    if ticket is None:
        return None
    return purpose_awaited(ticket=ticket, total=money.ticket_totals(ticket).total)


def purpose_awaited(*, ticket: Ticket, total: Decimal) -> str | None:
    """What a link sent now would ask the customer of `ticket`, whose total is `total`: to approve
    the estimate, or a total raised since their approval (supplemental); None when nothing waits
    for their approval."""
    if ticket.status == Status.ESTIMATE:
        return EstimateLink.Purpose.ESTIMATE
    if money.needs_approval(status=ticket.status, approved_total=ticket.approved_total, total=total):
        return EstimateLink.Purpose.SUPPLEMENTAL
    return None
