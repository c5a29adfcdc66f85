from django_filters import rest_framework as filters

from core.filters import IdFilter, IntegerFilter, UpperCaseFilter
from vehicles.models import Vehicle


class VehicleFilterSet(filters.FilterSet):
    """The filters of `GET /vehicles`. `customer_id` is served by the (customer, id) index and
    `vin` by its unique index."""

    customer_id = IdFilter(field_name="customer_id", help_text="Vehicles of this customer.")
    vin = UpperCaseFilter(field_name="vin", max_length=17, help_text="The vehicle with this VIN (any case).")
    make = filters.CharFilter(field_name="make", lookup_expr="iexact", max_length=100, help_text="Make, ignoring case.")
    year = IntegerFilter(field_name="year", min_value=0, max_value=32767, help_text="Model year.")

    class Meta:
        model = Vehicle
        fields = []
