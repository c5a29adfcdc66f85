from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from core.caching import TICKETS, invalidate
from tickets.models import Ticket, TicketInventory, TicketMechanic


@receiver([post_save, post_delete], sender=Ticket, dispatch_uid="tickets-invalidate")
@receiver([post_save, post_delete], sender=TicketMechanic, dispatch_uid="ticket-mechanics-invalidate")
@receiver([post_save, post_delete], sender=TicketInventory, dispatch_uid="ticket-parts-invalidate")
@receiver(m2m_changed, sender=TicketMechanic, dispatch_uid="ticket-mechanics-m2m-invalidate")
@receiver(m2m_changed, sender=TicketInventory, dispatch_uid="ticket-parts-m2m-invalidate")
def ticket_changed(**kwargs) -> None:
    invalidate(TICKETS)
