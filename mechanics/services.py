from decimal import Decimal

from django.db import IntegrityError, transaction

from core.errors import Conflict, InvalidInput, NotFound
from mechanics.models import Mechanic

DUPLICATE_EMAIL = "A mechanic with this email already exists."


def _save(mechanic: Mechanic) -> Mechanic:
    try:
        with transaction.atomic():
            mechanic.save()
    except IntegrityError as exc:
        raise InvalidInput("Invalid input.", {"email": [DUPLICATE_EMAIL]}) from exc
    return mechanic


def _locked(mechanic_id: int) -> Mechanic:
    mechanic = Mechanic.objects.select_for_update().filter(pk=mechanic_id).first()
    if mechanic is None:
        raise NotFound(f"Mechanic {mechanic_id} not found.")
    return mechanic


def mechanic_create(*, name: str, email: str, phone: str, salary: Decimal) -> Mechanic:
    return _save(Mechanic(name=name, email=email, phone=phone, salary=salary))


@transaction.atomic
def mechanic_update(*, mechanic_id: int, changes: dict) -> Mechanic:
    mechanic = _locked(mechanic_id)  # a concurrent delete must not be undone by this save
    for field in ("name", "email", "phone", "salary"):
        if field in changes:
            setattr(mechanic, field, changes[field])
    return _save(mechanic)


@transaction.atomic
def mechanic_delete(*, mechanic_id: int) -> None:
    mechanic = _locked(mechanic_id)
    if ticket_count := mechanic.ticket_links.count():
        raise Conflict(
            f"Mechanic {mechanic_id} is assigned to {ticket_count} ticket(s); "
            "remove them from those tickets before deleting."
        )
    # Labor lines keep whose work they bill (PROTECT); such a mechanic stays, as an assigned one.
    if line_count := mechanic.ticket_lines.count():
        raise Conflict(
            f"Mechanic {mechanic_id} is billed on {line_count} ticket line(s); "
            "their work stays on record, so they cannot be deleted."
        )
    mechanic.delete()
