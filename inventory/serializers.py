from rest_framework import serializers

from core.serializers import ModelSerializer, StrictDecimalField, StrictIntegerField
from core.text import NormalizedCharField
from inventory import selectors
from inventory.models import Inventory, StockMovement
from inventory.services import DUPLICATE_NAME
from inventory.stock import MAX_ON_HAND


class InventorySerializer(ModelSerializer):
    # Declared, so ModelSerializer adds no case-sensitive UniqueValidator from the model's
    # constraints: validate_name checks uniqueness ignoring case, with the API's message.
    name = NormalizedCharField(max_length=360)
    price = StrictDecimalField(max_digits=10, decimal_places=2, min_value=0)
    quantity_on_hand = StrictIntegerField(
        read_only=True,
        allow_null=True,
        help_text="Units in stock; null when the shop does not count this item. Set only on creation; "
        "afterwards it changes through stock movements, and a value sent on update is ignored.",
    )
    reorder_point = StrictIntegerField(
        min_value=0,
        max_value=MAX_ON_HAND,
        required=False,
        help_text="The item is low on stock when quantity_on_hand is at most this; 0 for a new item without it.",
    )

    class Meta:
        model = Inventory
        fields = ["id", "name", "price", "quantity_on_hand", "reorder_point"]

    def validate_price(self, value):
        # min_value=0 has refused every negative but -0, which abs() turns into a plain 0.
        return abs(value)

    def validate_name(self, value: str) -> str:
        if selectors.name_taken(name=value, exclude_id=self.instance.pk if self.instance else None):
            raise serializers.ValidationError(DUPLICATE_NAME)
        return value


class InventoryCreateSerializer(InventorySerializer):
    quantity_on_hand = StrictIntegerField(
        min_value=0,
        max_value=MAX_ON_HAND,
        allow_null=True,
        required=False,
        default=None,
        help_text="Units in stock now, recorded as the item's first receipt; leave out (or null) for an "
        "item whose stock is not counted.",
    )


class MovementRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[StockMovement.Kind.RECEIPT.value, StockMovement.Kind.ADJUSTMENT.value],
        help_text="receipt: stock received (quantity > 0); adjustment: a correction, either way (quantity != 0).",
    )
    quantity = StrictIntegerField(min_value=-MAX_ON_HAND, max_value=MAX_ON_HAND)
    note = NormalizedCharField(max_length=1000, multiline=True, required=False, allow_blank=True, default="")

    def validate(self, data):
        kind, quantity = data["kind"], data["quantity"]
        if kind == StockMovement.Kind.RECEIPT and quantity <= 0:
            raise serializers.ValidationError({"quantity": ["A receipt adds stock: give a positive quantity."]})
        if kind == StockMovement.Kind.ADJUSTMENT and quantity == 0:
            raise serializers.ValidationError({"quantity": ["An adjustment cannot be zero."]})
        return data


class MovementSerializer(ModelSerializer):
    ticket_id = StrictIntegerField(allow_null=True, read_only=True)

    class Meta:
        model = StockMovement
        fields = ["id", "kind", "quantity", "balance_after", "ticket_id", "at", "by", "note"]
        read_only_fields = fields
