from rest_framework.permissions import BasePermission

from customers.models import Customer


def is_own_record(request, view) -> bool:
    """Whether the signed-in caller is the customer the path names. Decided from the path alone,
    before any lookup or cached response: another customer's id is a 403 whether it exists or not."""
    user = request.user
    return isinstance(user, Customer) and view.kwargs.get("pk", "").lstrip("0") == str(user.pk)


class CustomerAccess(BasePermission):
    """Anyone signs up; staff do everything else; a customer reads, edits and deletes only
    their own record."""

    def has_permission(self, request, view) -> bool:
        if view.action == "create":
            return True
        if request.user.is_staff:
            return True
        return view.action in ("retrieve", "update", "partial_update", "destroy") and is_own_record(request, view)
