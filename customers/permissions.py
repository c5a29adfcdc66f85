from rest_framework.permissions import BasePermission

from core.authentication import as_customer, is_staff
from core.permissions import path_id


class CustomerAccess(BasePermission):
    """Anyone signs up; staff do everything else; a customer reads and edits only their record."""

    own_record_actions = {"retrieve", "update", "partial_update", "destroy"}

    def has_permission(self, request, view) -> bool:
        if view.action in ("create", "login"):
            return True
        if is_staff(request.user):
            return True
        customer = as_customer(request.user)
        # Ownership is decided from the path alone, before any cached response is looked up.
        return bool(customer and view.action in self.own_record_actions and path_id(view) == customer.pk)
