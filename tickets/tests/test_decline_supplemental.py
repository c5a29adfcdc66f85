"""tickets.workflow.decline_supplemental: the customer's refusal of a total raised after their
approval (the estimate link's Decline) is recorded in the history and changes nothing else."""

from decimal import Decimal

import pytest

from core.errors import Conflict, Forbidden
from tickets import services, workflow
from tickets.models import StatusChange, Ticket


@pytest.fixture
def raised(make_ticket, customer):
    """Approved at 100.00, in progress, then 25.50 of work added."""
    ticket = make_ticket(customer=customer)
    services.add_line(ticket_id=ticket.pk, kind="fee", description="Work", quantity=1, unit_price=Decimal("100"))
    workflow.transition(ticket_id=ticket.pk, to="approved", by="staff")
    workflow.transition(ticket_id=ticket.pk, to="in_progress", by="staff")
    services.add_line(ticket_id=ticket.pk, kind="fee", description="More", quantity=1, unit_price=Decimal("25.50"))
    return ticket


def test_a_decline_is_recorded_and_the_ticket_stays_as_it_was(raised, customer):
    workflow.decline_supplemental(
        ticket_id=raised.pk, by=customer.email, note="by estimate link", customer_id=customer.pk
    )

    ticket = Ticket.objects.get(pk=raised.pk)
    assert (ticket.status, ticket.approved_total) == ("in_progress", Decimal("100.00"))
    last = StatusChange.objects.filter(ticket=raised).order_by("id").last()
    assert (last.from_status, last.to_status, last.by) == ("in_progress", "in_progress", customer.email)
    assert last.note == "Declined the total of 125.50 (approved: 100.00): by estimate link"
    with pytest.raises(Conflict):  # still waiting for approval: it may not be completed
        workflow.transition(ticket_id=raised.pk, to="completed", by="staff")


def test_nothing_to_decline_is_a_conflict(make_ticket, customer):
    ticket = make_ticket(customer=customer)
    with pytest.raises(Conflict):
        workflow.decline_supplemental(ticket_id=ticket.pk, by=customer.email, customer_id=customer.pk)
    assert StatusChange.objects.filter(ticket=ticket).count() == 0


def test_another_customers_ticket_is_forbidden(raised, make_customer):
    other = make_customer()
    with pytest.raises(Forbidden):
        workflow.decline_supplemental(ticket_id=raised.pk, by=other.email, customer_id=other.pk)
