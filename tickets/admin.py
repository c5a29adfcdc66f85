from django.contrib import admin
from django.db.models import Count, Prefetch

from mechanics.models import Mechanic
from tickets.models import Ticket, TicketInventory, TicketMechanic


class TicketInventoryInline(admin.TabularInline):
    model = TicketInventory
    extra = 0
    autocomplete_fields = ["inventory"]


class TicketMechanicInline(admin.TabularInline):
    model = TicketMechanic
    extra = 0
    autocomplete_fields = ["mechanic"]
    verbose_name = "mechanic"
    verbose_name_plural = "mechanics"


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["id", "vin", "service_date", "customer", "mechanic_names", "parts_count"]
    list_select_related = ["customer"]
    search_fields = ["vin", "customer__name", "customer__email"]
    list_filter = ["service_date", "mechanics"]
    date_hierarchy = "service_date"
    autocomplete_fields = ["customer"]
    inlines = [TicketMechanicInline, TicketInventoryInline]
    ordering = ["-id"]

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
