from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.caching import bump
from mechanics.models import Mechanic


@receiver([post_save, post_delete], sender=Mechanic, dispatch_uid="mechanics-cached-reads")
def mechanic_changed(**kwargs) -> None:
    bump("mechanics", "tickets")  # tickets show their mechanics' names
