from django.contrib import admin

from accounts.callers import actor_name
from audit.admin import AuditTrailAdmin
from core.admin_services import ServiceModelAdmin
from mechanics import services
from mechanics.models import Mechanic


@admin.register(Mechanic)
class MechanicAdmin(AuditTrailAdmin, ServiceModelAdmin):
    """Mechanics are created, changed and deleted through mechanics.services, as in the API; a
    mechanic on tickets is kept."""

    list_display = ["id", "name", "email", "phone", "salary", "ticket_count"]
    readonly_fields = ["ticket_count"]
    search_fields = ["name", "email", "phone"]
    ordering = ["id"]

    def save_through_service(self, request, obj, form, change) -> Mechanic:
        fields = {
            name: getattr(obj, name) for name in ("name", "email", "phone", "salary")
        }  # as the model cleaned them
        if change:
            return services.mechanic_update(mechanic_id=obj.pk, changes=fields, by=actor_name(request.user))
        return services.mechanic_create(**fields)

    def delete_model(self, request, obj) -> None:
        services.mechanic_delete(mechanic_id=obj.pk, by=actor_name(request.user))
