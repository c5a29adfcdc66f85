from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.caching import bump
from tickets.models import Ticket, TicketInventory, TicketMechanic


@receiver([post_save, post_delete], sender=Ticket, dispatch_uid="tickets-cached-reads")
@receiver([post_save, post_delete], sender=TicketMechanic, dispatch_uid="ticket-mechanics-cached-reads")
@receiver([post_save, post_delete], sender=TicketInventory, dispatch_uid="ticket-parts-cached-reads")
def ticket_changed(**kwargs) -> None:
    bump("tickets")
