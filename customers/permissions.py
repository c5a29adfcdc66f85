from django.http import Http404
from rest_framework.exceptions import PermissionDenied
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


def unknown_record(view, message: str) -> Http404:
    """The error for a path id that names no ticket or vehicle: staff get the 404; a customer, who
    may reach only their own records, gets the 403 another customer's record gets (a 403 is decided
    before existence), so ids do not tell a customer which records exist."""
    if isinstance(view.request.user, Customer):
        view.permission_denied(view.request)
    return Http404(message)


def owner_for_caller(request, *, requested: int | None, current: int | None = None, what: str) -> int | None:
    """The customer id a record (a ticket, a vehicle) is to belong to. Staff choose it; a
    customer's records are always their own: naming another customer is a 403, naming none
    means themselves (or, on an update, keeps the record's `current` owner)."""
    user = request.user
    if not isinstance(user, Customer):
        return requested
    if requested is not None and requested != user.pk:
        raise PermissionDenied(f"Customers can only add and keep {what} under their own account.")
    return user.pk if current is None else current


def calling_customer_id(request) -> int | None:
    """The signed-in customer's id, for services that check ownership under their row lock; None
    for staff, who act on any customer's records."""
    return request.user.pk if isinstance(request.user, Customer) else None
