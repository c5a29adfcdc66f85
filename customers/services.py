from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.db import lock_existing
from core.errors import Conflict, InvalidInput
from core.passwords import accepted_sign_ins
from customers.models import Customer

DUPLICATE_EMAIL = "A customer with this email already exists."


def _check_password(password: str, customer: Customer) -> None:
    try:
        validate_password(password, user=customer)
    except ValidationError as exc:
        raise InvalidInput("Invalid input.", {"password": list(exc.messages)}) from exc


def _save(customer: Customer, *, existing: bool = False) -> Customer:
    try:
        with transaction.atomic():
            if existing:
                lock_existing(customer)
            customer.save()
    except IntegrityError as exc:
        # Only the unique email can fail here: the serializer checked everything else.
        raise InvalidInput("Invalid input.", {"email": [DUPLICATE_EMAIL]}) from exc
    return customer


def customer_create(*, name: str, email: str, phone: str, password: str) -> Customer:
    customer = Customer(name=name, email=email.strip().lower(), phone=phone)
    _check_password(password, customer)
    customer.set_password(password)
    return _save(customer)


def customer_update(customer: Customer, **changes) -> Customer:
    password = changes.pop("password", None)
    for field in ("name", "email", "phone"):
        if field in changes:
            setattr(customer, field, changes[field])
    customer.email = customer.email.strip().lower()
    if password is not None:
        _check_password(password, customer)
        customer.set_password(password)
    return _save(customer, existing=True)


def customer_delete(customer: Customer) -> None:
    with transaction.atomic():
        ticket_count = customer.tickets.count()
        if ticket_count:
            raise Conflict(
                f"Customer {customer.pk} has {ticket_count} service ticket(s); "
                "a customer with service history cannot be deleted."
            )
        customer.delete()


def customer_authenticate(email: str, password: str) -> Customer | None:
    """The customer with this email and password, else None. An unknown email or a wrong password
    costs a full password check either way; an accepted sign-in is remembered (core.passwords)."""
    customer = Customer.objects.filter(email=email.strip().lower()).first()
    if customer is None:
        make_password(password)  # spend the hashing time an existing account would cost
        return None
    if accepted_sign_ins.recalls(customer.password, password):
        return customer
    if not customer.check_password(password):
        return None
    accepted_sign_ins.remember(customer.password, password)  # the hash check may have upgraded it
    return customer
