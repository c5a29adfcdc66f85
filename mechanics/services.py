from decimal import Decimal

from django.db import IntegrityError, transaction

from core.db import lock_existing
from core.errors import Conflict, InvalidInput
from mechanics.models import Mechanic

DUPLICATE_EMAIL = "A mechanic with this email already exists."


def _save(mechanic: Mechanic, *, existing: bool = False) -> Mechanic:
    try:
        with transaction.atomic():
            if existing:
                lock_existing(mechanic)
            mechanic.save()
    except IntegrityError as exc:
        raise InvalidInput("Invalid input.", {"email": [DUPLICATE_EMAIL]}) from exc
    return mechanic


def mechanic_create(*, name: str, email: str, phone: str, salary: Decimal) -> Mechanic:
    return _save(Mechanic(name=name, email=email, phone=phone, salary=salary))


def mechanic_update(mechanic: Mechanic, **changes) -> Mechanic:
    for field in ("name", "email", "phone", "salary"):
        if field in changes:
            setattr(mechanic, field, changes[field])
    return _save(mechanic, existing=True)


def mechanic_delete(mechanic: Mechanic) -> None:
    with transaction.atomic():
        ticket_count = mechanic.ticket_links.count()
        if ticket_count:
            raise Conflict(
                f"Mechanic {mechanic.pk} is assigned to {ticket_count} ticket(s); "
                "remove them from those tickets before deleting."
            )
        mechanic.delete()

