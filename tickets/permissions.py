from rest_framework.permissions import BasePermission

from core.authentication import as_customer, is_staff


class TicketAccess(BasePermission):
    """Staff do everything but `my-tickets`; a customer reads, creates and edits their own tickets."""

    customer_actions = {"retrieve", "create", "update", "partial_update"}

    def has_permission(self, request, view) -> bool:
        if view.action == "my_tickets":
            return as_customer(request.user) is not None
        if is_staff(request.user):
            return True
        return as_customer(request.user) is not None and view.action in self.customer_actions

    def has_object_permission(self, request, view, ticket) -> bool:
        customer = as_customer(request.user)
        return customer is None or ticket.customer_id == customer.pk
