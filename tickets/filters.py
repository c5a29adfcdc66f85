from django_filters import rest_framework as filters
from django_filters.constants import EMPTY_VALUES

from core.filters import IdFilter, IsoDateFilter, UpperCaseFilter
from tickets.models import Status, Ticket


class TicketFilterSet(filters.FilterSet):
    """The filters of `GET /tickets` and `GET /tickets/my-tickets`. Each one is backed by an index
    that also serves the default order (tickets/migrations/0006)."""

    status = filters.ChoiceFilter(choices=Status.choices, help_text="Tickets in this status.")
    customer_id = IdFilter(field_name="customer_id", help_text="Tickets of this customer.")
    vehicle_id = IdFilter(field_name="vehicle_id", help_text="Tickets of this vehicle.")
    mechanic_id = IdFilter(field_name="mechanic_links__mechanic_id", help_text="Tickets this mechanic is on.")
    vin = UpperCaseFilter(field_name="vin", max_length=17, help_text="Tickets with this VIN (any case).")
    service_date_after = IsoDateFilter(
        field_name="service_date", lookup_expr="gte", help_text="Serviced on or after this date (YYYY-MM-DD)."
    )
    service_date_before = IsoDateFilter(
        field_name="service_date", lookup_expr="lte", help_text="Serviced on or before this date (YYYY-MM-DD)."
    )

    class Meta:
        model = Ticket
        fields = []

    def only_status_given(self) -> bool:
        """Whether these (validated) filters narrow the tickets by `status` at most: the list's
        total is then one of the per-status counts the database keeps (selectors.ticket_count).
        A filter counts as given exactly when django-filter applies it (a value not in
        EMPTY_VALUES); query parameters that are not filters are not looked at, as everywhere."""
        return all(value in EMPTY_VALUES for name, value in self.form.cleaned_data.items() if name != "status")
