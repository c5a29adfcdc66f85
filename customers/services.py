from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.errors import Conflict, InvalidInput, NotFound
from core.text import normalize_email
from customers import events
from customers.models import Customer

DUPLICATE_EMAIL = "A customer with this email already exists."


def _set_password(customer: Customer, password: str) -> None:
    try:
        validate_password(password, user=customer)
    except ValidationError as exc:
        raise InvalidInput("Invalid input.", {"password": list(exc.messages)}) from exc
    customer.set_password(password)


def _save(customer: Customer) -> Customer:
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:
        # Only the unique email can fail here: the serializer checked everything else.
        raise InvalidInput("Invalid input.", {"email": [DUPLICATE_EMAIL]}) from exc
    return customer


@transaction.atomic
def customer_create(*, name: str, email: str, phone: str, password: str) -> Customer:
    customer = Customer(name=name, email=normalize_email(email), phone=phone)
    _set_password(customer, password)
    events.customer_created(_save(customer))
    return customer


@transaction.atomic
def customer_update(
    *, customer_id: int, changes: dict, current_password: str | None = None, by_owner: bool = False
) -> Customer:
    """Change a customer's name, email, phone or password. The owner changing their own password
    must give the current one; staff need not."""
    # Locked, so a concurrent delete cannot be undone by this save re-inserting the row.
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(f"Customer {customer_id} not found.")
    for field in ("name", "email", "phone"):
        if field in changes:
            setattr(customer, field, changes[field])
    if (password := changes.get("password")) is not None:
        if by_owner and (current_password is None or not customer.check_password(current_password)):
            message = (
                "Give your current password to set a new one."
                if current_password is None
                else "The current password is not correct."
            )
            raise InvalidInput("Invalid input.", {"current_password": [message]})
        _set_password(customer, password)
    return _save(customer)


@transaction.atomic
def customer_delete(*, customer_id: int) -> None:
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(f"Customer {customer_id} not found.")
    if ticket_count := customer.tickets.count():
        raise Conflict(
            f"Customer {customer_id} has {ticket_count} service ticket(s); "
            "a customer with service history cannot be deleted."
        )
    customer.delete()
