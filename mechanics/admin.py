from django.contrib import admin

from mechanics.models import Mechanic


@admin.register(Mechanic)
class MechanicAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "email", "phone", "salary"]
    search_fields = ["name", "email"]
