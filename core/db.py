"""Small database helpers shared by the services."""

from django.db import models

from core.errors import NotFound


def lock_existing(instance: models.Model) -> None:
    """Lock the instance's row until the transaction ends; NotFound when it was deleted meanwhile.

    Call it inside transaction.atomic() before saving changes to a row someone may delete
    concurrently: a plain save() would re-insert a deleted row, or fail with a DatabaseError.
    """
    model = type(instance)
    if not model._default_manager.select_for_update().filter(pk=instance.pk).exists():
        raise NotFound(f"{model._meta.verbose_name.capitalize()} {instance.pk} not found.")
