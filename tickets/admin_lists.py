"""What the ticket list and the customer's page show: a ticket's status as a coloured badge, the
list's default of open tickets, and the customer's page with their vehicles and latest tickets.
tickets/admin.py registers the ticket pages; this module registers the customer's page again
(customers/admin.py knows nothing of vehicles and tickets), as it does the vehicle's."""

from django.contrib import admin
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from customers.admin import CustomerAdmin
from customers.models import Customer
from tickets import selectors
from tickets.models import Status, Ticket
from vehicles.models import Vehicle

# The badge of each status: its words and its class (the colours are in the changelist's template).
# How many of a customer's tickets their page shows (the rest are a link to the list away).
CUSTOMER_PAGE_TICKETS = 20


def status_badge(status: str) -> str:
    return format_html('<span class="status-badge status-{}">{}</span>', status, Status(status).label)


def ticket_list_url(**filters) -> str:
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    return f"{reverse('admin:tickets_ticket_changelist')}?{query}"


# The statuses each value of the list's state filter shows ("waiting" is a rule of its own).
STATE_STATUSES = {"open": selectors.OPEN_STATUSES, "ready": selectors.READY_FOR_PICKUP_STATUSES, "all": Status.values}
# The list's query parameters that change which statuses it shows, and those that change no count
# (the order and the page).
STATUS_PARAMETERS = {"state", "status__exact"}
UNCOUNTED_PARAMETERS = {"o", "p"}


def listed_statuses(params) -> frozenset[str] | None:
    """The statuses the ticket list shows for these query parameters when only the statuses
    narrow it (the state filter, the status filter, the order, the page), else None: its count
    is then one read of the counts the database keeps instead of a COUNT over the tickets."""
    if set(params) - STATUS_PARAMETERS - UNCOUNTED_PARAMETERS:
        return None
    state = params.get("state", TicketStateFilter.DEFAULT)
    if state not in STATE_STATUSES:
        return None  # "waiting" is counted by its query; anything else is left to the filter
    chosen = frozenset(STATE_STATUSES[state])
    if "status__exact" in params:
        return chosen & {params["status__exact"]} if params["status__exact"] in Status.values else None
    return chosen


class KeptCountPaginator(Paginator):
    """Counts the tickets of `statuses` from the per-status counts (tickets.selectors)."""

    def __init__(self, *args, statuses: frozenset[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.statuses = statuses

    @cached_property
    def count(self) -> int:
        return selectors.count_in_statuses(self.statuses)


class TicketStateFilter(admin.SimpleListFilter):
    """Open tickets unless asked otherwise: a service writer's list is the work in hand. "All"
    shows closed and cancelled ones too."""

    title = "tickets"
    parameter_name = "state"
    DEFAULT = "open"

    def lookups(self, request, model_admin):
        return [
            ("open", "Open (not closed or cancelled)"),
            ("waiting", "Waiting for the customer's approval"),
            ("ready", "Ready for pickup"),
            ("all", "All"),
        ]

    def value(self):
        value = super().value()
        return value if value in dict(self.lookup_choices) else self.DEFAULT

    def choices(self, changelist):
        # No "All" of Django's own: the default is "open", and "all" is a choice like the others.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        state = self.value()
        if state == "waiting":  # a rule of its own, not a set of statuses
            return selectors.waiting_for_approval(queryset)
        return queryset if state == "all" else queryset.filter(status__in=STATE_STATUSES[state])


admin.site.unregister(Customer)


@admin.register(Customer)
class CustomerWithTicketsAdmin(CustomerAdmin):
    """The customer's page with their vehicles and latest tickets below the form, read-only and
    linked (a panel rather than inlines: a fleet's hundreds of tickets are a link to the list)."""

    change_form_template = "admin/tickets/customer_change_form.html"
    list_display = ["id", "name", "email", "phone", "tickets_link"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        customer_id = int(object_id) if str(object_id).isdigit() else None
        if customer_id is not None:
            tickets = selectors.board_rows(Ticket.objects.filter(customer_id=customer_id))
            extra_context = {
                **(extra_context or {}),
                "customer_vehicles": Vehicle.objects.filter(customer_id=customer_id).order_by("id"),
                "customer_tickets": [
                    (ticket, status_badge(ticket.status)) for ticket in tickets[:CUSTOMER_PAGE_TICKETS]
                ],
                "customer_tickets_url": ticket_list_url(customer__id__exact=customer_id, state="all"),
                "customer_tickets_shown": CUSTOMER_PAGE_TICKETS,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(ordering="ticket_count", description="tickets")
    def tickets_link(self, customer) -> str:
        url = ticket_list_url(customer__id__exact=customer.pk, state="all")
        return format_html('<a href="{}">{}</a>', url, customer.ticket_count)
