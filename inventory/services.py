from decimal import Decimal

from django.db import IntegrityError, transaction

from core.errors import Conflict, InvalidInput, NotFound
from inventory.models import DUPLICATE_NAME, Inventory

__all__ = ["DUPLICATE_NAME", "inventory_create", "inventory_delete", "inventory_update"]


def _save(item: Inventory) -> Inventory:
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as exc:
        raise InvalidInput("Invalid input.", {"name": [DUPLICATE_NAME]}) from exc
    return item


def _locked(item_id: int) -> Inventory:
    item = Inventory.objects.select_for_update().filter(pk=item_id).first()
    if item is None:
        raise NotFound(f"Inventory item {item_id} not found.")
    return item


def inventory_create(*, name: str, price: Decimal) -> Inventory:
    return _save(Inventory(name=name, price=price))


@transaction.atomic
def inventory_update(*, item_id: int, changes: dict) -> Inventory:
    item = _locked(item_id)  # a concurrent delete must not be undone by this save
    for field in ("name", "price"):
        if field in changes:
            setattr(item, field, changes[field])
    return _save(item)


@transaction.atomic
def inventory_delete(*, item_id: int) -> None:
    item = _locked(item_id)
    if ticket_count := item.ticket_lines.count():
        raise Conflict(
            f"Inventory item {item_id} is used on {ticket_count} ticket(s); "
            "items on service tickets are kept for their history."
        )
    item.delete()
