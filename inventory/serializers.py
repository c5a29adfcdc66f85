from rest_framework import serializers

from inventory import selectors
from inventory.models import Inventory
from inventory.services import DUPLICATE_NAME


class InventorySerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)

    class Meta:
        model = Inventory
        fields = ["id", "name", "price"]

    def validate_name(self, value: str) -> str:
        if selectors.name_taken(value, exclude_id=self.instance.pk if self.instance else None):
            raise serializers.ValidationError(DUPLICATE_NAME)
        return value
