from decimal import Decimal

from django.db import transaction

from audit.models import Action
from audit.services import changed_fields, deleted_fields, record_change, snapshot
from core.caching import bump
from core.errors import Conflict
from core.services import locked_row, save_unique
from inventory import stock
from inventory.models import DUPLICATE_NAME, Inventory

__all__ = ["DUPLICATE_NAME", "inventory_create", "inventory_delete", "inventory_update"]

# What the audit trail shows of an item. Its stock has a trail of its own: the ledger (inventory.stock).
AUDITED_FIELDS = {"name": "name", "price": "price", "reorder_point": "reorder_point"}


@transaction.atomic
def inventory_create(
    *, name: str, price: Decimal, reorder_point: int = 0, quantity_on_hand: int | None = None, by: str = ""
) -> Inventory:
    """A new item; with `quantity_on_hand` its stock is tracked from the start, recorded as its
    first receipt in the same transaction (None: the shop does not count it)."""
    item = Inventory(name=name, price=price, reorder_point=reorder_point)
    save_unique(item, field="name", message=DUPLICATE_NAME)
    if quantity_on_hand is not None:
        stock.receive_initial_stock(item_id=item.pk, quantity=quantity_on_hand, by=by)
        item.quantity_on_hand = quantity_on_hand
    return item


@transaction.atomic
def inventory_update(*, item_id: int, changes: dict, by: str = "") -> Inventory:
    """Name, price and reorder point. Stock on hand changes only through inventory.stock.
    Recorded in the item's audit trail, `by` whoever made the change."""
    item = locked_row(Inventory, item_id)  # a concurrent delete must not be undone by this save
    before = snapshot(item, AUDITED_FIELDS)
    for field in ("name", "price", "reorder_point"):
        if field in changes:
            setattr(item, field, changes[field])
    save_unique(item, field="name", message=DUPLICATE_NAME)
    record_change(
        record=item, by=by, action=Action.UPDATE, changes=changed_fields(before, snapshot(item, AUDITED_FIELDS))
    )
    bump("tickets", "ticket-details")  # tickets show their parts' names
    return item


@transaction.atomic
def inventory_delete(*, item_id: int, by: str = "") -> None:
    item = locked_row(Inventory, item_id)
    if ticket_count := item.ticket_lines.count():
        raise Conflict(
            f"Inventory item {item_id} is used on {ticket_count} ticket(s); "
            "items on service tickets are kept for their history."
        )
    if item.movements.exists():
        raise Conflict(
            f"Inventory item {item_id} has stock movements; items with a stock ledger are kept for their history."
        )
    record_change(record=item, by=by, action=Action.DELETE, changes=deleted_fields(snapshot(item, AUDITED_FIELDS)))
    item.delete()
