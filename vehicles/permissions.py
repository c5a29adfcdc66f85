from rest_framework.permissions import BasePermission

from customers.models import Customer


class VehicleAccess(BasePermission):
    """Staff do everything; a customer adds vehicles for themselves, and reads, edits and deletes
    only their own (and reads their service history). Only staff list every vehicle."""

    customer_actions = {"create", "retrieve", "update", "partial_update", "destroy", "tickets"}

    def has_permission(self, request, view) -> bool:
        if request.user.is_staff:
            return True
        return isinstance(request.user, Customer) and view.action in self.customer_actions

    def has_object_permission(self, request, view, vehicle) -> bool:
        return request.user.is_staff or vehicle.customer_id == request.user.pk
