from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.caching import MECHANICS, TICKETS, invalidate
from mechanics.models import Mechanic


@receiver([post_save, post_delete], sender=Mechanic, dispatch_uid="mechanics-invalidate")
def mechanic_changed(**kwargs) -> None:
    # Tickets show their mechanics' names.
    invalidate(MECHANICS, TICKETS)
