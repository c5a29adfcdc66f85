"""What inventory tells the outbox (events.services.record_event): the item as the API shows it."""

from events.models import EventType
from events.services import record_event
from inventory.models import Inventory


def stock_fell(*, item_id: int, quantity: int, balance: int) -> None:
    """stock.low when taking `quantity` left `balance`, at or below the item's reorder point
    while the stock before was above it (the item reached its reorder point just now)."""
    item = Inventory.objects.filter(
        pk=item_id, reorder_point__gte=balance, reorder_point__lt=balance + quantity
    ).first()
    if item is not None:
        from inventory.serializers import InventorySerializer  # the serializer imports the services

        record_event(type=EventType.STOCK_LOW, data=InventorySerializer(item).data)
