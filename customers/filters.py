from django_filters import rest_framework as filters

from customers.models import Customer


class CustomerFilterSet(filters.FilterSet):
    """`GET /customers` has search and ordering only (on the ViewSet); no field filters yet."""

    class Meta:
        model = Customer
        fields = []
