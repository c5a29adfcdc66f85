from decimal import Decimal

from django.db import transaction

from audit.models import Action
from audit.services import changed_fields, deleted_fields, record_change, snapshot
from core.caching import bump
from core.errors import Conflict
from core.services import locked_row, save_unique
from mechanics.models import Mechanic

DUPLICATE_EMAIL = "A mechanic with this email already exists."
AUDITED_FIELDS = {"name": "name", "email": "email", "phone": "phone", "salary": "salary"}


def mechanic_create(*, name: str, email: str, phone: str, salary: Decimal) -> Mechanic:
    mechanic = Mechanic(name=name, email=email, phone=phone, salary=salary)
    save_unique(mechanic, field="email", message=DUPLICATE_EMAIL)
    bump("mechanics")
    return mechanic


@transaction.atomic
def mechanic_update(*, mechanic_id: int, changes: dict, by: str = "") -> Mechanic:
    """Change a mechanic's fields, recorded in their audit trail `by` whoever made the change."""
    mechanic = locked_row(Mechanic, mechanic_id)  # a concurrent delete must not be undone by this save
    before = snapshot(mechanic, AUDITED_FIELDS)
    for field in ("name", "email", "phone", "salary"):
        if field in changes:
            setattr(mechanic, field, changes[field])
    save_unique(mechanic, field="email", message=DUPLICATE_EMAIL)
    record_change(
        record=mechanic, by=by, action=Action.UPDATE, changes=changed_fields(before, snapshot(mechanic, AUDITED_FIELDS))
    )
    bump("mechanics", "tickets", "ticket-details")  # tickets show their mechanics' names
    return mechanic


@transaction.atomic
def mechanic_delete(*, mechanic_id: int, by: str = "") -> None:
    mechanic = locked_row(Mechanic, mechanic_id)
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
    record_change(
        record=mechanic, by=by, action=Action.DELETE, changes=deleted_fields(snapshot(mechanic, AUDITED_FIELDS))
    )
    mechanic.delete()
    bump("mechanics")  # on no ticket (refused above), so no ticket showed them
