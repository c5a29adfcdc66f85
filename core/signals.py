"""Keeps the principal cache (core/authentication.py) in step with customers and staff users."""

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.authentication import CUSTOMER_ROLE, STAFF_ROLE, forget_principal
from customers.models import Customer


@receiver([post_save, post_delete], sender=Customer, dispatch_uid="core-forget-customer")
def customer_changed(instance, created: bool = False, **kwargs) -> None:
    forget_principal(CUSTOMER_ROLE, instance.pk, created)


@receiver([post_save, post_delete], sender=settings.AUTH_USER_MODEL, dispatch_uid="core-forget-staff")
def user_changed(instance, created: bool = False, **kwargs) -> None:
    forget_principal(STAFF_ROLE, instance.pk, created)
