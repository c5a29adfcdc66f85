from django.contrib import admin

from core.admin_services import NoSecretLookups, ServiceModelAdmin, ViewOnly
from webhooks import services
from webhooks.models import Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(ServiceModelAdmin):
    """Webhooks are made through the API (POST /webhooks shows the secret once); here staff see
    them and their health, and may delete one (through webhooks.services, as the API does)."""

    list_display = ["id", "url", "active", "failing_since", "disabled_reason", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    ordering = ["id"]
    fields = ["url", "events", "description", "active", "created_at", "failing_since", "disabled_reason"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        services.subscription_delete(subscription_id=obj.pk)


@admin.register(Delivery)
class DeliveryAdmin(NoSecretLookups, ViewOnly, admin.ModelAdmin):
    list_display = ["id", "subscription", "event", "state", "attempt", "status_code", "at", "next_attempt_at"]
    list_filter = ["state"]
    list_select_related = ["subscription", "event"]
    ordering = ["-id"]
    readonly_fields = [
        "subscription",
        "event",
        "state",
        "attempt",
        "failures",
        "status_code",
        "error",
        "at",
        "next_attempt_at",
        "created_at",
    ]
    fields = readonly_fields
