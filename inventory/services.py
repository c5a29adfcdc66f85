from decimal import Decimal

from django.db import IntegrityError, transaction

from core.db import lock_existing
from core.errors import Conflict, InvalidInput
from inventory.models import Inventory

DUPLICATE_NAME = "An inventory item with this name already exists."


def _save(item: Inventory, *, existing: bool = False) -> Inventory:
    try:
        with transaction.atomic():
            if existing:
                lock_existing(item)
            item.save()
    except IntegrityError as exc:
        raise InvalidInput("Invalid input.", {"name": [DUPLICATE_NAME]}) from exc
    return item


def inventory_create(*, name: str, price: Decimal) -> Inventory:
    return _save(Inventory(name=name, price=price))


def inventory_update(item: Inventory, **changes) -> Inventory:
    for field in ("name", "price"):
        if field in changes:
            setattr(item, field, changes[field])
    return _save(item, existing=True)


def inventory_delete(item: Inventory) -> None:
    with transaction.atomic():
        ticket_count = item.ticket_lines.count()
        if ticket_count:
            raise Conflict(
                f"Inventory item {item.pk} is used on {ticket_count} ticket(s); "
                "items on service tickets are kept for their history."
            )
        item.delete()
