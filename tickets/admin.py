from django.contrib import admin

from tickets.models import Ticket, TicketInventory, TicketMechanic


class TicketInventoryInline(admin.TabularInline):
    model = TicketInventory
    extra = 0
    autocomplete_fields = ["inventory"]


class TicketMechanicInline(admin.TabularInline):
    model = TicketMechanic
    extra = 0
    autocomplete_fields = ["mechanic"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["id", "vin", "service_date", "customer"]
    list_select_related = ["customer"]
    search_fields = ["vin", "customer__name", "customer__email"]
    list_filter = ["service_date"]
    autocomplete_fields = ["customer"]
    inlines = [TicketMechanicInline, TicketInventoryInline]


@admin.register(TicketMechanic)
class TicketMechanicAdmin(admin.ModelAdmin):
    list_display = ["id", "ticket", "mechanic"]
    list_select_related = ["ticket", "mechanic"]
    autocomplete_fields = ["ticket", "mechanic"]


@admin.register(TicketInventory)
class TicketInventoryAdmin(admin.ModelAdmin):
    list_display = ["id", "ticket", "inventory", "quantity"]
    list_select_related = ["ticket", "inventory"]
    autocomplete_fields = ["ticket", "inventory"]
