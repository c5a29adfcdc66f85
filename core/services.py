"""What the apps' services do alike: read a row under its lock, and save a row whose unique column
another request may have taken."""

from typing import TypeVar

from django.db import IntegrityError, models, transaction
from django.utils.text import capfirst

from core.errors import InvalidInput, NotFound

ModelT = TypeVar("ModelT", bound=models.Model)


def locked_row(model: type[ModelT], pk: int) -> ModelT:
    """The row of `model` with this primary key, locked (SELECT ... FOR UPDATE) until the
    transaction ends, or NotFound ("Inventory item 7 not found.", after the model's verbose name)."""
    row = model.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        raise NotFound(f"{capfirst(model._meta.verbose_name)} {pk} not found.")
    return row


def save_unique(row: ModelT, *, field: str, message: str) -> ModelT:
    """Save `row` in a savepoint. Its serializer or form checked that the unique `field` was free;
    a concurrent request that took it since makes the save an IntegrityError, which becomes
    InvalidInput on `field`, the caller's transaction still usable."""
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:
        raise InvalidInput("Invalid input.", {field: [message]}) from exc
    return row
