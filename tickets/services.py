"""Writes to tickets: creation, updates, mechanic assignment, parts, labor and fee lines, and
payments. (Status changes are tickets.workflow's.)

Multi-row changes run in one transaction that first locks the ticket row, so concurrent changes
to the same ticket queue up instead of interleaving. A ticket that is invoiced, closed or
cancelled is frozen (API.md says "locked"): every change but payments is refused, checked under
that row lock so that no change can slip in beside a transition. Every change makes the cached
ticket reads stale (core.caching.bump), and is recorded in the ticket's audit trail
(audit.services) in its own transaction, `by` whoever made it.

Customers change their own tickets only while they are estimates, and never record mileage.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.models import Action
from audit.services import changed_fields, record_change, record_changes, snapshot
from core.caching import bump
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.services import locked_row
from customers.models import Customer
from inventory import stock
from inventory.models import Inventory
from mechanics.models import Mechanic
from tickets import events, money
from tickets.models import (
    Payment,
    Status,
    StatusChange,
    Ticket,
    TicketInventory,
    TicketLine,
    TicketMechanic,
    TicketStatusCount,
)
from tickets.versions import bump_ticket
from vehicles import services as vehicle_services
from vehicles.models import Vehicle

MILEAGE_OUT_BELOW_IN = "mileage_out may not be lower than mileage_in."
# Readings of the odometer: the shop's staff record them, customers do not.
STAFF_ONLY_FIELDS = ("mileage_in", "mileage_out")
# A ticket's fields as the API names them (and the audit trail shows them), with their attributes.
TICKET_FIELDS = {
    "VIN": "vin",
    "service_date": "service_date",
    "service_description": "service_description",
    "customer_id": "customer_id",
    "vehicle_id": "vehicle_id",
    "mileage_in": "mileage_in",
    "mileage_out": "mileage_out",
}
LINE_FIELDS = ("kind", "description", "quantity", "unit_price", "mechanic_id")


def _customer_exists(customer_id: int) -> None:
    if not Customer.objects.filter(pk=customer_id).exists():
        raise NotFound(f"Customer {customer_id} not found.")


class TicketFrozen(Conflict):
    """The ticket's status (FROZEN_STATUSES) keeps it from changing."""

    def __init__(self, ticket: Ticket):
        super().__init__(f"Ticket {ticket.pk} is {ticket.status}: it can no longer be changed.", status=ticket.status)


class NotAnEstimate(Conflict):
    """A customer's change to their ticket once it is no longer an estimate."""

    def __init__(self, ticket: Ticket):
        super().__init__(
            f"Ticket {ticket.pk} is {ticket.status}: customers may change a ticket only while it is an estimate.",
            status=ticket.status,
        )


def _refuse_customer_mileage(values: dict) -> None:
    """A customer sending a reading is refused; sending none (null) is no reading."""
    if sent := [name for name in STAFF_ONLY_FIELDS if values.get(name) is not None]:
        raise InvalidInput("Invalid input.", {name: ["Mileage is recorded by the shop's staff."] for name in sent})


def _editable_ticket(ticket_id: int) -> Ticket:
    """The ticket, locked, unless its status keeps it from changing (then a Conflict)."""
    ticket = locked_row(Ticket, ticket_id)
    if ticket.is_frozen:
        raise TicketFrozen(ticket)
    return ticket


def _mechanic(mechanic_id: int) -> Mechanic:
    # Locked first: the assignment's foreign-key check and the ticket_count trigger would
    # otherwise take the mechanic's row lock in two steps, and InnoDB deadlocks between them.
    return locked_row(Mechanic, mechanic_id)


def _vehicle_and_vin(*, customer_id: int, vehicle_id: int | None, vin: str | None) -> tuple[Vehicle | None, str]:
    """The ticket's vehicle (locked) and VIN. A named vehicle must be the customer's, and gives
    its VIN (a different VIN sent with it is refused); a ticket with only a VIN goes to the
    customer's vehicle of that VIN, when they have one."""
    if vehicle_id is not None:
        vehicle = vehicle_services.lock_vehicles(vehicle_ids={vehicle_id}).get(vehicle_id)
        if vehicle is None or vehicle.customer_id != customer_id:
            # One answer for both: a customer learns nothing about other customers' vehicles.
            raise InvalidInput(
                "Invalid input.", {"vehicle_id": [f"Customer {customer_id} has no vehicle {vehicle_id}."]}
            )
        if vin is not None and vin != vehicle.vin:
            raise InvalidInput(
                "Invalid input.",
                {"VIN": [f"Vehicle {vehicle_id} has the VIN {vehicle.vin}; leave VIN out or send that one."]},
            )
        return vehicle, vehicle.vin
    if vin is None:
        raise InvalidInput("Invalid input.", {"VIN": ["This field is required."]})
    vehicle = Vehicle.objects.select_for_update().filter(customer_id=customer_id, vin=vin).first()
    return vehicle, vin


def refresh_mileage(*, vehicle_ids: set[int]) -> None:
    """Set each vehicle's mileage to the highest reading of its tickets (None without one), with
    one UPDATE and an aggregate over each vehicle's own tickets (the ticket's vehicle index).
    Call it inside the transaction that wrote the tickets, with the vehicles locked."""
    if not vehicle_ids:
        return
    # A ticket's highest reading is its mileage_out, or mileage_in when there is no mileage_out
    # (the database refuses mileage_out < mileage_in).
    highest = (
        Ticket.objects.filter(vehicle_id=OuterRef("pk"))
        .order_by()
        .values("vehicle_id")
        .annotate(highest=Max(Coalesce("mileage_out", "mileage_in")))
        .values("highest")
    )
    Vehicle.objects.filter(pk__in=vehicle_ids).update(mileage=Subquery(highest))


def _check_mileage(mileage_in: int | None, mileage_out: int | None) -> None:
    if mileage_in is not None and mileage_out is not None and mileage_out < mileage_in:
        raise InvalidInput("Invalid input.", {"mileage_out": [MILEAGE_OUT_BELOW_IN]})


def _ticket_changed(ticket_id: int, event: str = events.EventType.TICKET_UPDATED) -> None:
    """After a write to the ticket, in its transaction: every cached read showing it made stale
    (tickets.versions) and the event recorded for the outbox."""
    bump_ticket(ticket_id)
    events.ticket_changed(ticket_id, event)


@transaction.atomic
def ticket_create(
    *,
    customer_id: int,
    vin: str | None = None,
    service_date: date,
    service_description: str,
    vehicle_id: int | None = None,
    mileage_in: int | None = None,
    mileage_out: int | None = None,
    by: str = "",
    by_customer: bool = False,
) -> Ticket:
    """A new ticket, an estimate, with its creation as the first entry of its history. Its
    vehicle's mileage takes the ticket's readings, which a customer (`by_customer`) may not give."""
    if by_customer:
        _refuse_customer_mileage({"mileage_in": mileage_in, "mileage_out": mileage_out})
    _customer_exists(customer_id)
    _check_mileage(mileage_in, mileage_out)
    vehicle, vin = _vehicle_and_vin(customer_id=customer_id, vehicle_id=vehicle_id, vin=vin)
    ticket = Ticket.objects.create(
        customer_id=customer_id,
        vin=vin,
        service_date=service_date,
        service_description=service_description,
        vehicle=vehicle,
        mileage_in=mileage_in,
        mileage_out=mileage_out,
    )
    StatusChange.objects.create(ticket=ticket, from_status=None, to_status=ticket.status, at=timezone.now(), by=by)
    if vehicle is not None:
        refresh_mileage(vehicle_ids={vehicle.pk})
    _ticket_changed(ticket.pk, events.EventType.TICKET_CREATED)
    return ticket


@transaction.atomic
def ticket_update(*, ticket_id: int, changes: dict, customer_id: int | None = None, by: str = "") -> Ticket:
    """Change a ticket's fields. Naming `vehicle_id` links the ticket to that vehicle of its
    customer (null unlinks it); without it, a new VIN or customer links the ticket to that
    customer's vehicle of that VIN, or to none. The vehicles it leaves and joins get their
    mileage recomputed. A frozen ticket is a Conflict. `customer_id` is the calling customer's
    (None for staff): checked under the row lock, the ticket must still be theirs and still an
    estimate (else a Conflict), and the change may not hold a mileage reading (InvalidInput)."""
    if customer_id is not None:
        _refuse_customer_mileage(changes)
        changes = {name: value for name, value in changes.items() if name not in STAFF_ONLY_FIELDS}
    ticket = locked_row(Ticket, ticket_id)
    if customer_id is not None and ticket.customer_id != customer_id:
        raise Forbidden("Customers may only change their own tickets.")
    if ticket.is_frozen:
        raise TicketFrozen(ticket)
    if customer_id is not None and ticket.status != Status.ESTIMATE:
        raise NotAnEstimate(ticket)
    was = snapshot(ticket, TICKET_FIELDS)
    if "customer_id" in changes and changes["customer_id"] != ticket.customer_id:
        _customer_exists(changes["customer_id"])
    before = ticket.vehicle_id
    customer_id, vin = changes.get("customer_id", ticket.customer_id), changes.get("vin", ticket.vin)
    relink = "vehicle_id" not in changes and (vin != ticket.vin or customer_id != ticket.customer_id)
    # Every vehicle the change may touch, locked at once in id order: two changes moving tickets
    # between the same vehicles in opposite directions never wait on each other in a cycle.
    joining = changes.get("vehicle_id")
    if relink:
        joining = Vehicle.objects.filter(customer_id=customer_id, vin=vin).values_list("pk", flat=True).first()
    touched = relink or not changes.keys().isdisjoint({"vehicle_id", "mileage_in", "mileage_out"})
    if touched:
        vehicle_services.lock_vehicles(vehicle_ids={before, joining} - {None})
    if "vehicle_id" in changes and changes["vehicle_id"] is None:
        ticket.vehicle, ticket.vin = None, vin
    elif "vehicle_id" in changes:
        ticket.vehicle, ticket.vin = _vehicle_and_vin(
            customer_id=customer_id, vehicle_id=changes["vehicle_id"], vin=changes.get("vin")
        )
    elif relink:
        ticket.vehicle, ticket.vin = _vehicle_and_vin(customer_id=customer_id, vehicle_id=None, vin=vin)
    for field in ("customer_id", "service_date", "service_description", "mileage_in", "mileage_out"):
        if field in changes:
            setattr(ticket, field, changes[field])
    _check_mileage(ticket.mileage_in, ticket.mileage_out)
    ticket.save()
    if touched:
        refresh_mileage(vehicle_ids={before, ticket.vehicle_id} - {None})
    record_change(
        record=ticket, by=by, action=Action.UPDATE, changes=changed_fields(was, snapshot(ticket, TICKET_FIELDS))
    )
    _ticket_changed(ticket.pk)
    return ticket


@transaction.atomic
def assign_mechanic(*, ticket_id: int, mechanic_id: int, by: str = "") -> bool:
    """Put the mechanic on the ticket. False when they already were."""
    ticket = _editable_ticket(ticket_id)
    mechanic = _mechanic(mechanic_id)
    try:
        with transaction.atomic():
            _, created = TicketMechanic.objects.get_or_create(ticket=ticket, mechanic=mechanic)
    except IntegrityError:  # the mechanic was deleted while we assigned them
        raise NotFound(f"Mechanic {mechanic_id} not found.") from None
    if created:
        record_change(record=ticket, by=by, action=Action.MECHANIC_ADDED, changes=_mechanic_described(mechanic))
        _ticket_changed(ticket_id)
    return created


@transaction.atomic
def remove_mechanic(*, ticket_id: int, mechanic_id: int, by: str = "") -> None:
    ticket = _editable_ticket(ticket_id)
    mechanic = _mechanic(mechanic_id)
    deleted, _ = TicketMechanic.objects.filter(ticket=ticket, mechanic_id=mechanic_id).delete()
    if not deleted:
        raise NotFound(f"Mechanic {mechanic_id} is not assigned to ticket {ticket_id}.")
    record_change(record=ticket, by=by, action=Action.MECHANIC_REMOVED, changes=_mechanic_described(mechanic))
    _ticket_changed(ticket_id)


def _mechanic_described(mechanic: Mechanic) -> dict:
    return {"mechanic_id": mechanic.pk, "name": mechanic.name}


@transaction.atomic
def update_mechanics(*, ticket_id: int, add_ids: Iterable[int], remove_ids: Iterable[int], by: str = "") -> Ticket:
    """Add and remove several mechanics at once: all of it, or nothing when an id is unknown."""
    add, remove = set(add_ids), set(remove_ids)
    if both := add & remove:
        raise InvalidInput(
            "A mechanic cannot be added and removed at once.",
            {"add_mechanic_ids": [f"Also in remove_mechanic_ids: {sorted(both)}."]},
        )
    ticket = _editable_ticket(ticket_id)
    # The mechanics' names, their rows locked in id order until the transaction ends.
    names = dict(
        Mechanic.objects.select_for_update().filter(pk__in=add | remove).order_by("pk").values_list("pk", "name")
    )
    if missing := (add | remove) - set(names):
        raise NotFound(f"Mechanics not found: {', '.join(map(str, sorted(missing)))}.", missing)
    assigned = set(ticket.mechanic_links.values_list("mechanic_id", flat=True))
    added, removed = sorted(add - assigned), sorted(remove & assigned)
    TicketMechanic.objects.bulk_create([TicketMechanic(ticket=ticket, mechanic_id=mid) for mid in added])
    ticket.mechanic_links.filter(mechanic_id__in=removed).delete()
    record_changes(
        record=ticket,
        by=by,
        changes=[(Action.MECHANIC_ADDED, {"mechanic_id": mid, "name": names[mid]}) for mid in added]
        + [(Action.MECHANIC_REMOVED, {"mechanic_id": mid, "name": names[mid]}) for mid in removed],
    )
    _ticket_changed(ticket_id)
    return ticket


@dataclass(frozen=True)
class PartsResult:
    ticket_id: int
    added_inventory_ids: list[int]
    duplicate_inventory_ids: list[int]

    @property
    def requested_count(self) -> int:
        return len(self.added_inventory_ids) + len(self.duplicate_inventory_ids)


@transaction.atomic
def add_parts(*, ticket_id: int, quantities: dict[int, int], by: str = "") -> PartsResult:
    """Add parts lines {inventory_id: quantity}, each at its item's price of today, taking
    tracked items from stock. Items already on the ticket are reported and left as they are; an
    unknown inventory id, or too little stock of a tracked item, adds nothing at all."""
    if not quantities:
        raise InvalidInput("Invalid input.", {"add_inventory_items": ["Give at least one item."]})
    ticket = _editable_ticket(ticket_id)
    # The items' prices of today (and names), read with their rows locked in id order.
    items = {
        pk: (price, name)
        for pk, price, name in Inventory.objects.select_for_update()
        .filter(pk__in=quantities)
        .order_by("pk")
        .values_list("pk", "price", "name")
    }
    prices = {pk: price for pk, (price, _) in items.items()}
    if missing := set(quantities) - set(prices):
        raise NotFound(f"Inventory items not found: {', '.join(map(str, sorted(missing)))}.", missing)
    on_ticket = set(ticket.part_lines.filter(inventory_id__in=quantities).values_list("inventory_id", flat=True))
    new_ids = sorted(set(quantities) - on_ticket)
    stock.consume_for_ticket(ticket_id=ticket.pk, quantities={iid: quantities[iid] for iid in new_ids}, by=by)
    TicketInventory.objects.bulk_create(
        [
            TicketInventory(ticket=ticket, inventory_id=iid, quantity=quantities[iid], unit_price=prices[iid])
            for iid in new_ids
        ]
    )
    record_changes(
        record=ticket,
        by=by,
        changes=[
            (
                Action.PART_ADDED,
                {"inventory_id": iid, "name": items[iid][1], "quantity": quantities[iid], "unit_price": prices[iid]},
            )
            for iid in new_ids
        ],
    )
    bump_ticket(ticket_id)
    if new_ids:
        events.ticket_changed(ticket.pk)
    return PartsResult(ticket.pk, new_ids, sorted(on_ticket))


@transaction.atomic
def remove_part(*, ticket_id: int, inventory_id: int, by: str = "") -> None:
    """Take a parts line off the ticket, returning to stock what the ticket took of it."""
    ticket = _editable_ticket(ticket_id)
    # inventory__pk, not inventory_id: the primary key's lookup finds nothing for an id beyond
    # the column's range, where the foreign key's would be a database error on SQLite.
    line = TicketInventory.objects.filter(ticket_id=ticket_id, inventory__pk=inventory_id).first()
    if line is None:
        raise NotFound(f"Inventory item {inventory_id} is not on ticket {ticket_id}.")
    stock.return_for_ticket(
        ticket_id=ticket_id, quantities={inventory_id: line.quantity}, by=by, note="Removed from the ticket"
    )
    line.delete()
    record_change(
        record=ticket,
        by=by,
        action=Action.PART_REMOVED,
        changes={"inventory_id": inventory_id, "quantity": line.quantity, "unit_price": line.unit_price},
    )
    _ticket_changed(ticket_id)


@transaction.atomic
def add_line(
    *,
    ticket_id: int,
    kind: str,
    description: str,
    quantity: Decimal,
    unit_price: Decimal,
    mechanic_id: int | None = None,
    by: str = "",
) -> TicketLine:
    """A labor or fee line; `mechanic_id` names whose work it is (an unknown one: NotFound)."""
    ticket = _editable_ticket(ticket_id)
    if mechanic_id is not None:
        _mechanic(mechanic_id)  # locked: mechanic_delete cannot remove them before this line exists
    line = TicketLine.objects.create(
        ticket=ticket,
        kind=kind,
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        mechanic_id=mechanic_id,
    )
    record_change(record=ticket, by=by, action=Action.LINE_ADDED, changes=_line_described(line))
    _ticket_changed(ticket_id)
    return line


@transaction.atomic
def update_line(*, ticket_id: int, line_id: int, changes: dict, by: str = "") -> TicketLine:
    """Change a labor or fee line's kind, description, quantity, unit_price or mechanic_id (an
    unknown mechanic: NotFound). The ticket's trail records it as an update of the line's fields,
    named `lines.<id>.<field>`."""
    ticket = _editable_ticket(ticket_id)
    line = TicketLine.objects.filter(ticket_id=ticket_id, pk=line_id).first()
    if line is None:
        raise NotFound(f"Line {line_id} not found on ticket {ticket_id}.")
    if changes.get("mechanic_id") is not None:
        _mechanic(changes["mechanic_id"])  # locked, as add_line locks them
    fields = {f"lines.{line_id}.{field}": field for field in LINE_FIELDS}
    before = snapshot(line, fields)
    for field in LINE_FIELDS:
        if field in changes:
            setattr(line, field, changes[field])
    line.save()
    record_change(record=ticket, by=by, action=Action.UPDATE, changes=changed_fields(before, snapshot(line, fields)))
    _ticket_changed(ticket_id)
    return line


@transaction.atomic
def delete_line(*, ticket_id: int, line_id: int, by: str = "") -> None:
    ticket = _editable_ticket(ticket_id)
    line = TicketLine.objects.filter(ticket_id=ticket_id, pk=line_id).first()
    if line is None:
        raise NotFound(f"Line {line_id} not found on ticket {ticket_id}.")
    described = _line_described(line)
    line.delete()
    record_change(record=ticket, by=by, action=Action.LINE_REMOVED, changes=described)
    _ticket_changed(ticket_id)


def _line_described(line: TicketLine) -> dict:
    return {"line_id": line.pk, **snapshot(line, {field: field for field in LINE_FIELDS})}


@transaction.atomic
def add_payment(*, ticket_id: int, amount: Decimal, method: str, reference: str = "", by: str = "") -> Payment:
    """A payment (amount > 0) up to the balance, or a refund (amount < 0) up to what was paid,
    on an invoiced ticket. The balance is read under the ticket's row lock, so payments racing
    for the last cent queue up and only the first finds a balance left."""
    ticket = locked_row(Ticket, ticket_id)
    if ticket.status != Status.INVOICED:
        raise Conflict(
            f"Payments are taken on invoiced tickets; ticket {ticket_id} is {ticket.status}.", status=ticket.status
        )
    if amount == 0:
        raise InvalidInput("Invalid input.", {"amount": ["A payment cannot be zero."]})
    paid = money.paid_of(ticket_id)
    balance = ticket.invoice.total - paid
    if amount > balance:
        raise InvalidInput("Invalid input.", {"amount": [f"More than the balance of {balance}."]})
    if -amount > paid:
        raise InvalidInput("Invalid input.", {"amount": [f"A refund cannot exceed what was paid ({paid})."]})
    payment = Payment.objects.create(ticket=ticket, amount=amount, method=method, reference=reference, by=by)
    record_change(
        record=ticket,
        by=by,
        action=Action.PAYMENT,
        changes={
            "payment_id": payment.pk,
            **snapshot(payment, {"amount": "amount", "method": "method", "reference": "reference"}),
        },
    )
    bump_ticket(ticket_id)
    events.payment_received(payment)
    return payment


def recount_ticket_statuses() -> dict[str, int]:
    """Set the per-status counts (TicketStatusCount) from the tickets themselves: for after a write
    the triggers cannot see (PostgreSQL's TRUNCATE, a bulk load with the triggers disabled). On
    PostgreSQL ticket writes wait until it is done; on MariaDB run it while none are made."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {connection.ops.quote_name(Ticket._meta.db_table)} IN SHARE MODE")
        counts = dict(Ticket.objects.order_by().values_list("status").annotate(n=Count("*")))
        TicketStatusCount.objects.all().delete()
        TicketStatusCount.objects.bulk_create(TicketStatusCount(status=s, ticket_count=n) for s, n in counts.items())
    bump("tickets")
    return counts
