from django.contrib import admin

from mechanics.models import Mechanic


@admin.register(Mechanic)
class MechanicAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "email", "phone", "salary", "ticket_count"]
    readonly_fields = ["ticket_count"]
    search_fields = ["name", "email", "phone"]
    ordering = ["id"]
