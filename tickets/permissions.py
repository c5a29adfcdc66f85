from rest_framework.permissions import SAFE_METHODS, BasePermission

from customers.models import Customer


class TicketAccess(BasePermission):
    """Staff do everything but `my-tickets`; a customer lists their own tickets, opens tickets
    for themselves, reads and edits their own, reads their history and payments, and approves
    or declines their estimates (which moves, tickets.workflow decides) and approves new totals.
    Lines, part removal and payments are written by staff only; the audit trail (`changes`) is
    read by staff only."""

    customer_actions = {
        "my_tickets",
        "retrieve",
        "create",
        "update",
        "partial_update",
        "transition",
        "approve",
        "history",
    }
    customer_read_actions = {"payments"}

    def has_permission(self, request, view) -> bool:
        if view.action == "my_tickets":
            return isinstance(request.user, Customer)
        if request.user.is_staff:
            return True
        if not isinstance(request.user, Customer):
            return False
        return view.action in self.customer_actions or (
            view.action in self.customer_read_actions and request.method in SAFE_METHODS
        )

    def has_object_permission(self, request, view, ticket) -> bool:
        return request.user.is_staff or ticket.customer_id == request.user.pk
