"""Stock on hand and its ledger: the only code that changes Inventory.quantity_on_hand.

Every change is one conditional UPDATE (`... SET quantity_on_hand = quantity_on_hand + n WHERE
id = ... AND quantity_on_hand >= -n`) followed, in the same transaction, by the StockMovement
that records it. The UPDATE holds the row (PostgreSQL, MariaDB) or the database (SQLite, whose
IMMEDIATE transactions serialise writers) until the transaction ends, so of any number of racing
requests only those that find enough stock change it; the CHECK constraint on the column is the
last line of defence. Callers run these functions inside their own transaction
(`transaction.atomic`), so a request that fails part-way changes no stock at all.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from core.errors import Conflict, InvalidInput, NotFound
from core.limits import MAX_INT
from inventory import events
from inventory.models import Inventory, StockMovement

# quantity_on_hand and the ledger's quantities are 32-bit integers on PostgreSQL and MariaDB:
# stock above this would be a database error (500), so it is refused as a conflict first.
MAX_ON_HAND = MAX_INT


@dataclass(frozen=True)
class Shortage:
    inventory_id: int
    requested: int
    on_hand: int


class OutOfStock(Conflict):
    """Some tracked items have less on hand than requested; `shortages` lists them."""

    def __init__(self, shortages: list[Shortage]):
        super().__init__(
            "Not enough stock for: " + ", ".join(f"item {s.inventory_id}" for s in shortages) + ".",
            shortages=[s.__dict__ for s in shortages],
        )
        self.shortages = shortages


def _change_on_hand(*, item_id: int, quantity: int, start_tracking: bool) -> int | None:
    """Add `quantity` (negative: remove) to the item's stock unless that would leave less than
    zero. Returns the new balance, or None when nothing changed (too little stock, or an
    untracked item and `start_tracking` is off)."""
    items = Inventory.objects.filter(pk=item_id)
    if quantity < 0:
        items = items.filter(quantity_on_hand__gte=-quantity)
    else:
        if not start_tracking:
            items = items.filter(quantity_on_hand__isnull=False)
        # Q(isnull) | Q(lte): an untracked item starts from 0.
        items = items.filter(Q(quantity_on_hand__isnull=True) | Q(quantity_on_hand__lte=MAX_ON_HAND - quantity))
    if not items.update(quantity_on_hand=Coalesce(F("quantity_on_hand"), 0) + quantity):
        return None
    # The row stays locked by the UPDATE until commit: this is the balance the movement made.
    return Inventory.objects.filter(pk=item_id).values_list("quantity_on_hand", flat=True).get()


def _record(
    *, item_id: int, kind: str, quantity: int, balance_after: int, by: str, note: str = "", ticket_id: int | None = None
) -> StockMovement:
    return StockMovement.objects.create(
        item_id=item_id,
        kind=kind,
        quantity=quantity,
        balance_after=balance_after,
        ticket_id=ticket_id,
        by=by,
        note=note,
    )


@transaction.atomic
def record_movement(*, item_id: int, kind: str, quantity: int, by: str, note: str = "") -> StockMovement:
    """A receipt (quantity > 0) or an adjustment (quantity != 0) made by staff. An untracked
    item starts being tracked from 0. An adjustment below zero is a Conflict."""
    if kind not in (StockMovement.Kind.RECEIPT, StockMovement.Kind.ADJUSTMENT):
        raise InvalidInput("Invalid input.", {"kind": ["Staff record receipts and adjustments."]})
    if quantity == 0 or (kind == StockMovement.Kind.RECEIPT and quantity < 0):
        message = (
            "A receipt adds stock: give a positive quantity." if kind == "receipt" else "An adjustment cannot be zero."
        )
        raise InvalidInput("Invalid input.", {"quantity": [message]})
    if abs(quantity) > MAX_ON_HAND:
        raise InvalidInput("Invalid input.", {"quantity": [f"At most {MAX_ON_HAND} either way."]})
    balance = _change_on_hand(item_id=item_id, quantity=quantity, start_tracking=True)
    if balance is None:
        # A locking read: the balance as it is now, not as this transaction's snapshot (MariaDB) saw it.
        found = Inventory.objects.select_for_update().filter(pk=item_id).values_list("quantity_on_hand", flat=True)
        if not found:
            raise NotFound(f"Inventory item {item_id} not found.")
        on_hand = found[0] or 0
        if quantity > 0:
            raise Conflict(f"More than {MAX_ON_HAND} on hand cannot be recorded ({on_hand} on hand).", on_hand=on_hand)
        raise Conflict(f"This adjustment would leave less than zero on hand ({on_hand} on hand).", on_hand=on_hand)
    if quantity < 0:
        events.stock_fell(item_id=item_id, quantity=-quantity, balance=balance)
    return _record(item_id=item_id, kind=kind, quantity=quantity, balance_after=balance, by=by, note=note)


@transaction.atomic
def receive_initial_stock(*, item_id: int, quantity: int, by: str) -> StockMovement | None:
    """The first receipt of an item created with a quantity (none for 0: tracked, nothing
    received). Only for an item not tracked yet: setting the column of a tracked item would
    leave its ledger summing to something else, so that is a Conflict."""
    if not 0 <= quantity <= MAX_ON_HAND:
        raise InvalidInput("Invalid input.", {"quantity_on_hand": [f"Give a whole number from 0 to {MAX_ON_HAND}."]})
    if not Inventory.objects.filter(pk=item_id, quantity_on_hand__isnull=True).update(quantity_on_hand=quantity):
        if not Inventory.objects.filter(pk=item_id).exists():
            raise NotFound(f"Inventory item {item_id} not found.")
        raise Conflict(f"Inventory item {item_id} is already tracked: record a receipt or an adjustment.")
    if quantity == 0:
        return None
    return _record(
        item_id=item_id,
        kind=StockMovement.Kind.RECEIPT,
        quantity=quantity,
        balance_after=quantity,
        by=by,
        note="Initial stock",
    )


def consume_for_ticket(*, ticket_id: int, quantities: Mapping[int, int], by: str) -> None:
    """Take parts for a ticket: {inventory_id: quantity}. Untracked items are not counted. When
    any tracked item has too little, raises OutOfStock listing every such item; the caller's
    transaction then rolls back what was taken. Items are changed in id order, so two requests
    taking the same items never wait for each other in a cycle."""
    if transaction.get_autocommit():
        raise RuntimeError("consume_for_ticket must run inside the caller's transaction.")
    shortages = []
    for item_id in sorted(quantities):
        requested = quantities[item_id]
        balance = _change_on_hand(item_id=item_id, quantity=-requested, start_tracking=False)
        if balance is not None:
            _record(
                item_id=item_id,
                kind=StockMovement.Kind.CONSUMPTION,
                quantity=-requested,
                balance_after=balance,
                by=by,
                ticket_id=ticket_id,
            )
            events.stock_fell(item_id=item_id, quantity=requested, balance=balance)
            continue
        on_hand = (
            Inventory.objects.select_for_update().filter(pk=item_id).values_list("quantity_on_hand", flat=True).first()
        )
        if on_hand is not None:  # tracked, and too few
            shortages.append(Shortage(item_id, requested, on_hand))
    if shortages:
        raise OutOfStock(shortages)


def return_for_ticket(*, ticket_id: int, quantities: Mapping[int, int], by: str, note: str = "") -> None:
    """Put parts of a ticket back on the shelf: {inventory_id: quantity}. Only items the ticket
    took from stock (a consumption movement) are returned, never more than it took net of what
    was already returned, so an item that started being tracked after the part was used is not
    credited with stock it never lost.

    What the ticket took is read from its ledger, so two returns for one ticket must not both
    read it before either writes: the caller holds the ticket's row lock (tickets.services and
    tickets.workflow take it first), and the ledger is read with a locking read, which on MariaDB
    sees the latest committed rows rather than the transaction's snapshot, taken perhaps before
    the wait."""
    if transaction.get_autocommit():
        raise RuntimeError("return_for_ticket must run inside the caller's transaction.")
    rows = (
        StockMovement.objects.select_for_update()
        .filter(ticket_id=ticket_id, item_id__in=list(quantities))
        .filter(Q(kind=StockMovement.Kind.CONSUMPTION) | Q(kind=StockMovement.Kind.RETURN))
        .values_list("item_id", "quantity")
    )
    taken: dict[int, int] = {}
    for item_id, quantity in rows:
        taken[item_id] = taken.get(item_id, 0) - quantity
    for item_id in sorted(quantities):
        quantity = min(quantities[item_id], taken.get(item_id, 0))
        if quantity <= 0:
            continue
        balance = _change_on_hand(item_id=item_id, quantity=quantity, start_tracking=False)
        if balance is not None:
            _record(
                item_id=item_id,
                kind=StockMovement.Kind.RETURN,
                quantity=quantity,
                balance_after=balance,
                by=by,
                note=note,
                ticket_id=ticket_id,
            )
