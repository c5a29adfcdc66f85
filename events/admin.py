from django.contrib import admin

from events.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The outbox, read only: events are written by the services, with the change they tell of."""

    list_display = ["id", "type", "created_at", "dispatched_at"]
    list_filter = ["type"]
    search_fields = ["=id"]
    ordering = ["-created_at"]
    readonly_fields = ["id", "type", "created_at", "dispatched_at", "payload"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
