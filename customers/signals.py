from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.caching import bump
from customers.models import Customer


@receiver([post_save, post_delete], sender=Customer, dispatch_uid="customers-cached-reads")
def customer_changed(**kwargs) -> None:
    bump("customers")
