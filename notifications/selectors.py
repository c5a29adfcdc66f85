from notifications.models import EstimateLink
from tickets import money, selectors
from tickets.models import Status


def approval_awaited(*, ticket_id: int) -> str | None:
    """What an estimate sent now would ask the ticket's customer (an EstimateLink.Purpose), or
    None when nothing waits for their approval (or there is no such ticket)."""
    ticket = selectors.ticket_detail(ticket_id=ticket_id)
    if ticket is None:
        return None
    if ticket.status == Status.ESTIMATE:
        return EstimateLink.Purpose.ESTIMATE
    total = money.ticket_totals(ticket).total
    if money.needs_approval(status=ticket.status, approved_total=ticket.approved_total, total=total):
        return EstimateLink.Purpose.SUPPLEMENTAL
    return None
