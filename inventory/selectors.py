from django.db.models import F, Q, QuerySet

from core.text import normalize_text
from inventory.models import Inventory, StockMovement

ROW_FIELDS = ("id", "name", "price", "quantity_on_hand", "reorder_point")
# A tracked item at or below its reorder point (GET /inventory/low-stock, ?low_stock=true).
LOW_STOCK = Q(quantity_on_hand__isnull=False, quantity_on_hand__lte=F("reorder_point"))


def inventory_list() -> QuerySet[Inventory]:
    return Inventory.objects.order_by("id")


def inventory_rows() -> QuerySet:
    """The list as plain rows (dicts): the list is public and long, and rows cost a third less
    to read than model instances."""
    return inventory_list().values(*ROW_FIELDS)


def low_stock_rows() -> QuerySet:
    """Tracked items with no more on hand than their reorder point, as rows, by id."""
    return inventory_list().filter(LOW_STOCK).values(*ROW_FIELDS)


def item_exists(*, item_id: int) -> bool:
    return Inventory.objects.filter(pk=item_id).exists()


def movements_of(*, item_id: int) -> QuerySet[StockMovement]:
    """An item's ledger, oldest first (ids grow with time; the (item, id) index serves it)."""
    return StockMovement.objects.filter(item_id=item_id).order_by("id")


def name_taken(*, name: str, exclude_id: int | None = None) -> bool:
    return Inventory.objects.filter(name__iexact=normalize_text(name)).exclude(pk=exclude_id).exists()


def low_stock_count() -> int:
    return Inventory.objects.filter(LOW_STOCK).count()


def low_stock_items(*, limit: int) -> list[Inventory]:
    """The tracked items furthest below their reorder point first (then by id), at most `limit`."""
    shortfall = F("reorder_point") - F("quantity_on_hand")
    return list(
        Inventory.objects.filter(LOW_STOCK)
        .only(*ROW_FIELDS)
        .annotate(shortfall=shortfall)
        .order_by("-shortfall", "id")[:limit]
    )
