from django_filters import rest_framework as filters

from core.filters import StrictBooleanFilter
from inventory.models import Inventory
from inventory.selectors import LOW_STOCK


class InventoryFilterSet(filters.FilterSet):
    low_stock = StrictBooleanFilter(
        method="filter_low_stock",
        help_text="true: tracked items at or below their reorder point; false: every other item.",
    )

    class Meta:
        model = Inventory
        fields = []

    def filter_low_stock(self, queryset, name, value: bool):
        return queryset.filter(LOW_STOCK) if value else queryset.exclude(LOW_STOCK)
