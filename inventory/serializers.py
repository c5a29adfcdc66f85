from rest_framework import serializers

from core.text import NormalizedCharField

from inventory import selectors
from inventory.models import Inventory
from inventory.services import DUPLICATE_NAME


class InventorySerializer(serializers.ModelSerializer):
    # Declared, so ModelSerializer adds no case-sensitive UniqueValidator from the model's
    # constraints: validate_name checks uniqueness ignoring case, with the API's message.
    name = NormalizedCharField(max_length=360)
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)

    class Meta:
        model = Inventory
        fields = ["id", "name", "price"]

    def validate_price(self, value):
        # min_value=0 has refused every negative but -0, which abs() turns into a plain 0.
        return abs(value)

    def validate_name(self, value: str) -> str:
        if selectors.name_taken(name=value, exclude_id=self.instance.pk if self.instance else None):
            raise serializers.ValidationError(DUPLICATE_NAME)
        return value
