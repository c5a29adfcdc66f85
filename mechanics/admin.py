from django.contrib import admin
from django.db.models import Count

from mechanics.models import Mechanic


@admin.register(Mechanic)
class MechanicAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "email", "phone", "salary", "ticket_count"]
    search_fields = ["name", "email", "phone"]
    ordering = ["id"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ticket_count=Count("ticket_links"))

    @admin.display(ordering="ticket_count", description="tickets")
    def ticket_count(self, mechanic) -> int:
        return mechanic.ticket_count
