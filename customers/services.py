from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import Action
from audit.services import changed_fields, deleted_fields, record_change, snapshot
from core.caching import bump
from core.errors import Conflict, InvalidInput
from core.services import locked_row, save_unique
from core.text import normalize_email
from customers import events
from customers.models import Customer

DUPLICATE_EMAIL = "A customer with this email already exists."
# What the audit trail shows of a customer; a new password shows as changed, never as a hash.
AUDITED_FIELDS = {"name": "name", "email": "email", "phone": "phone"}
PASSWORD_CHANGED = ["(hidden)", "(changed)"]


def _set_password(customer: Customer, password: str) -> None:
    try:
        validate_password(password, user=customer)
    except ValidationError as exc:
        raise InvalidInput("Invalid input.", {"password": list(exc.messages)}) from exc
    customer.set_password(password)


@transaction.atomic
def customer_create(*, name: str, email: str, phone: str, password: str) -> Customer:
    customer = Customer(name=name, email=normalize_email(email), phone=phone)
    _set_password(customer, password)
    customer = save_unique(customer, field="email", message=DUPLICATE_EMAIL)
    events.customer_created(customer)
    return customer


def needs_current_password(*, customer: Customer, changes: dict) -> bool:
    """Whether these changes, made by the customer themselves, need their current password: a
    new password or a new email (either hands the account to whoever makes the change)."""
    new_email = "email" in changes and normalize_email(changes["email"]) != customer.email
    return new_email or changes.get("password") is not None


def _check_current_password(customer: Customer, changes: dict, current_password: str | None) -> None:
    if current_password is None:
        message = (
            "Give your current password to set a new one."
            if changes.get("password") is not None
            else "Give your current password to change your email."
        )
    elif not customer.check_password(current_password):
        message = "The current password is not correct."
    else:
        return
    raise InvalidInput("Invalid input.", {"current_password": [message]})


@transaction.atomic
def customer_update(
    *, customer_id: int, changes: dict, current_password: str | None = None, by_owner: bool = False, by: str = ""
) -> Customer:
    """Change a customer's name, email, phone or password. The owner changing their own password
    or email must give the current password, checked before anything else (the new email's
    uniqueness above all: its answer would tell a token holder who has an account); staff need not.
    Recorded in the customer's audit trail, `by` whoever made the change."""
    # Locked, so a concurrent delete cannot be undone by this save re-inserting the row.
    customer = locked_row(Customer, customer_id)
    if by_owner and needs_current_password(customer=customer, changes=changes):
        _check_current_password(customer, changes, current_password)
    before = snapshot(customer, AUDITED_FIELDS)
    for field in ("name", "email", "phone"):
        if field in changes:
            setattr(customer, field, changes[field])
    if (password := changes.get("password")) is not None:
        _set_password(customer, password)
    save_unique(customer, field="email", message=DUPLICATE_EMAIL)
    described = changed_fields(before, snapshot(customer, AUDITED_FIELDS))
    if password is not None:
        described["password"] = PASSWORD_CHANGED
    record_change(record=customer, by=by, action=Action.UPDATE, changes=described)
    bump("customers")
    return customer


@transaction.atomic
def customer_delete(*, customer_id: int, by: str = "") -> None:
    customer = locked_row(Customer, customer_id)
    if ticket_count := customer.tickets.count():
        raise Conflict(
            f"Customer {customer_id} has {ticket_count} service ticket(s); "
            "a customer with service history cannot be deleted."
        )
    record_change(
        record=customer, by=by, action=Action.DELETE, changes=deleted_fields(snapshot(customer, AUDITED_FIELDS))
    )
    customer.delete()
    bump("customers")
