from django.contrib import admin
from django.db.models import Count

from inventory.models import Inventory


@admin.register(Inventory)
class InventoryAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "price", "ticket_count"]
    search_fields = ["name"]
    ordering = ["id"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ticket_count=Count("ticket_lines"))

    @admin.display(ordering="ticket_count", description="on tickets")
    def ticket_count(self, item) -> int:
        return item.ticket_count
