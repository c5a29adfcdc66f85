"""What views need to know about the caller of a request: a customer or a staff user. Used by
every app whose records belong to customers (tickets, vehicles)."""

from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from customers.models import Customer


def unknown_record_error(request, message: str) -> Exception:
    """The error to raise for a path id that names no ticket or vehicle: staff get the 404; a
    customer, who may reach only their own records, gets the 403 another customer's record gets
    (a 403 is decided before existence), so ids do not tell a customer which records exist."""
    if isinstance(request.user, Customer):
        return PermissionDenied()
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


def actor_name(user) -> str:
    """How history, ledgers and the audit trail name whoever made a change (the `by` of a status
    change, a stock movement, a payment, an audit entry): a staff user's username, a customer's
    email (Customer.get_username)."""
    return user.get_username() if user.is_authenticated else ""
