from django_filters import rest_framework as filters

from mechanics.models import Mechanic


class MechanicFilterSet(filters.FilterSet):
    """`GET /mechanics` has search and ordering only (on the ViewSet); no field filters yet."""

    class Meta:
        model = Mechanic
        fields = []
