from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.caching import TICKETS, invalidate
from inventory.models import Inventory


@receiver([post_save, post_delete], sender=Inventory, dispatch_uid="inventory-invalidate")
def inventory_changed(**kwargs) -> None:
    # Tickets show their parts' names and prices.
    invalidate(TICKETS)
