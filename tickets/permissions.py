from rest_framework.permissions import BasePermission

from customers.models import Customer


class TicketAccess(BasePermission):
    """Staff do everything but `my-tickets`; a customer lists their own tickets, opens tickets
    for themselves, and reads and edits their own."""

    customer_actions = {"my_tickets", "retrieve", "create", "update", "partial_update"}

    def has_permission(self, request, view) -> bool:
        if view.action == "my_tickets":
            return isinstance(request.user, Customer)
        if request.user.is_staff:
            return True
        return isinstance(request.user, Customer) and view.action in self.customer_actions

    def has_object_permission(self, request, view, ticket) -> bool:
        return request.user.is_staff or ticket.customer_id == request.user.pk
