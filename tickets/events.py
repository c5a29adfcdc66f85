"""What tickets tell the outbox (events.services.record_event): the ticket as the API shows it
(GET /tickets/<id>), read inside the transaction that changed it; a payment as listed, with its
ticket's id."""

from events.models import EventType
from events.services import record_event

__all__ = ["EventType", "payment_received", "status_changed", "ticket_changed", "ticket_payload"]


def ticket_payload(ticket_id: int) -> dict:
    # Imported here: the serializers import tickets.services, which imports this module.
    from tickets import selectors
    from tickets.serializers import TicketSerializer

    return TicketSerializer(selectors.ticket_detail(ticket_id=ticket_id)).data


def ticket_changed(ticket_id: int, type: str = EventType.TICKET_UPDATED, **extra) -> None:
    record_event(type=type, data={**ticket_payload(ticket_id), **extra})


def status_changed(ticket_id: int, *, from_status: str, to_status: str) -> None:
    """ticket.status_changed (the ticket with `from` and `to`), and invoice.issued on invoicing."""
    ticket = ticket_payload(ticket_id)
    record_event(type=EventType.TICKET_STATUS_CHANGED, data={**ticket, "from": from_status, "to": to_status})
    if to_status == "invoiced":
        record_event(type=EventType.INVOICE_ISSUED, data=ticket)


def payment_received(payment) -> None:
    from tickets.serializers import PaymentSerializer

    record_event(
        type=EventType.PAYMENT_RECEIVED, data={**PaymentSerializer(payment).data, "ticket_id": payment.ticket_id}
    )
