from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.caching import bump
from inventory.models import Inventory


@receiver([post_save, post_delete], sender=Inventory, dispatch_uid="inventory-cached-reads")
def inventory_changed(**kwargs) -> None:
    bump("tickets")  # tickets show their parts' names
