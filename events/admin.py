from django.contrib import admin

from core.admin_services import NoSecretLookups, ViewOnly
from events.models import Event


@admin.register(Event)
class EventAdmin(NoSecretLookups, ViewOnly, admin.ModelAdmin):
    """The outbox, read only: events are written by the services, with the change they tell of."""

    list_display = ["id", "type", "created_at", "dispatched_at"]
    list_filter = ["type"]
    search_fields = ["=id"]
    ordering = ["-created_at"]
    readonly_fields = ["id", "type", "created_at", "dispatched_at", "payload"]
