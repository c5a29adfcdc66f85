"""Keeps the cached principals (accounts/principals.py) in step with the accounts."""

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts import principals
from core.ratelimits import forget_known_addresses
from customers.models import Customer


@receiver([post_save, post_delete], sender=Customer, dispatch_uid="accounts-forget-customer")
@receiver([post_save, post_delete], sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts-forget-user")
def account_changed(sender, instance, created: bool = False, **kwargs) -> None:
    principals.forget(sender, instance.pk, created)
    if not created:
        # Its owner's addresses are known again once they sign in: someone who signed in with
        # a password that has since changed keeps no exemption from the per-account limit.
        forget_known_addresses(instance.email if isinstance(instance, Customer) else instance.get_username())
