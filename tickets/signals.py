from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from core.caching import bump
from tickets.models import Invoice, Payment, Ticket, TicketInventory, TicketLine, TicketMechanic


@receiver([post_save, post_delete], sender=Ticket, dispatch_uid="tickets-cached-reads")
@receiver([post_save, post_delete], sender=TicketMechanic, dispatch_uid="ticket-mechanics-cached-reads")
@receiver([post_save, post_delete], sender=TicketInventory, dispatch_uid="ticket-parts-cached-reads")
@receiver([post_save, post_delete], sender=TicketLine, dispatch_uid="ticket-lines-cached-reads")
@receiver([post_save, post_delete], sender=Invoice, dispatch_uid="ticket-invoices-cached-reads")
@receiver([post_save, post_delete], sender=Payment, dispatch_uid="ticket-payments-cached-reads")
# ticket.mechanics.add() and friends insert link rows in bulk, without post_save.
@receiver(m2m_changed, sender=TicketMechanic, dispatch_uid="ticket-mechanics-m2m-cached-reads")
@receiver(m2m_changed, sender=TicketInventory, dispatch_uid="ticket-parts-m2m-cached-reads")
def ticket_changed(**kwargs) -> None:
    bump("tickets")
