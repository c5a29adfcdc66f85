from django.contrib import admin, messages
from django.db.models import Count, Prefetch

from accounts.principals import display_name
from core.errors import ServiceError
from mechanics.models import Mechanic
from tickets import money, workflow
from tickets.models import Payment, Status, Ticket, TicketInventory, TicketLine, TicketMechanic


class LockedTicketInline:
    """An inline that, like its ticket, cannot be changed once the ticket is invoiced, closed or
    cancelled (`obj` is the ticket)."""

    def _open(self, request, obj) -> bool:
        return obj is None or not obj.is_locked

    def has_add_permission(self, request, obj=None) -> bool:
        return self._open(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._open(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._open(request, obj) and super().has_delete_permission(request, obj)


class TicketInventoryInline(LockedTicketInline, admin.TabularInline):
    model = TicketInventory
    extra = 0
    autocomplete_fields = ["inventory"]


class TicketMechanicInline(LockedTicketInline, admin.TabularInline):
    model = TicketMechanic
    extra = 0
    autocomplete_fields = ["mechanic"]
    verbose_name = "mechanic"
    verbose_name_plural = "mechanics"


class TicketLineInline(LockedTicketInline, admin.TabularInline):
    model = TicketLine
    extra = 0
    autocomplete_fields = ["mechanic"]
    verbose_name = "labor or fee line"


class PaymentInline(admin.TabularInline):
    """Payments are shown, never edited or deleted here: they are taken through the API, which
    checks the balance under the ticket's row lock."""

    model = Payment
    extra = 0
    fields = readonly_fields = ["at", "amount", "method", "reference", "by"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def _transition_action(to: str, label: str):
    """An admin action moving the selected tickets to `to` through tickets.workflow, reporting
    each refusal."""

    def action(modeladmin, request, queryset):
        moved, refused = [], []
        for ticket_id in queryset.order_by("pk").values_list("pk", flat=True):
            try:
                workflow.transition(ticket_id=ticket_id, to=to, by=display_name(request.user), note="Admin action")
            except ServiceError as exc:
                refused.append(f"ticket {ticket_id}: {exc.message}")
            else:
                moved.append(str(ticket_id))
        if moved:
            modeladmin.message_user(request, f"Moved to {to}: ticket(s) {', '.join(moved)}.", messages.SUCCESS)
        for message in refused:
            modeladmin.message_user(request, f"Not moved to {to}, {message}", messages.ERROR)

    action.__name__ = f"move_to_{to}"
    return admin.action(description=label)(action)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["id", "vin", "service_date", "customer", "status", "mechanic_names", "parts_count", "invoice_total"]
    list_select_related = ["customer", "invoice"]
    search_fields = ["vin", "customer__name", "customer__email"]
    list_filter = ["status", "service_date", "mechanics"]
    date_hierarchy = "service_date"
    autocomplete_fields = ["customer"]
    readonly_fields = ["status"]
    inlines = [TicketMechanicInline, TicketInventoryInline, TicketLineInline, PaymentInline]
    ordering = ["-id"]
    actions = [
        _transition_action(Status.APPROVED, "Approve the estimate"),
        _transition_action(Status.IN_PROGRESS, "Start work"),
        _transition_action(Status.COMPLETED, "Complete the work"),
        _transition_action(Status.INVOICED, "Invoice"),
        _transition_action(Status.CLOSED, "Close (balance paid)"),
        _transition_action(Status.CANCELLED, "Cancel"),
    ]

    def has_change_permission(self, request, obj=None) -> bool:
        """Invoiced, closed and cancelled tickets are shown read-only, as the API keeps them."""
        if obj is not None and obj.is_locked:
            return False
        return super().has_change_permission(request, obj)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(parts_count=Count("part_lines", distinct=True))
            .prefetch_related(Prefetch("mechanics", queryset=Mechanic.objects.only("id", "name")))
        )

    @admin.display(description="mechanics")
    def mechanic_names(self, ticket) -> str:
        return ", ".join(m.name for m in ticket.mechanics.all()) or "—"

    @admin.display(ordering="parts_count", description="parts lines")
    def parts_count(self, ticket) -> int:
        return ticket.parts_count

    @admin.display(ordering="invoice__total", description="invoice total")
    def invoice_total(self, ticket):
        invoice = money.invoice_of(ticket)
        return "—" if invoice is None else invoice.total


@admin.register(TicketMechanic)
class TicketMechanicAdmin(admin.ModelAdmin):
    list_display = ["id", "ticket", "mechanic"]
    list_select_related = ["ticket", "mechanic"]
    autocomplete_fields = ["ticket", "mechanic"]
    search_fields = ["ticket__vin", "mechanic__name"]


@admin.register(TicketInventory)
class TicketInventoryAdmin(admin.ModelAdmin):
    list_display = ["id", "ticket", "inventory", "quantity"]
    list_select_related = ["ticket", "inventory"]
    autocomplete_fields = ["ticket", "inventory"]
    search_fields = ["ticket__vin", "inventory__name"]
