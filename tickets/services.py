"""Writes to tickets: creation, updates, mechanic assignment and parts lines.

Multi-row changes run in one transaction that first locks the ticket row, so concurrent changes
to the same ticket queue up instead of interleaving.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.caching import bump
from core.errors import InvalidInput, NotFound
from inventory import stock
from customers.models import Customer
from inventory.models import Inventory
from mechanics.models import Mechanic
from tickets.models import StatusChange, Ticket, TicketInventory, TicketMechanic
from vehicles import services as vehicle_services
from vehicles.models import Vehicle

MILEAGE_OUT_BELOW_IN = "mileage_out may not be lower than mileage_in."


def _customer_exists(customer_id: int) -> None:
    if not Customer.objects.filter(pk=customer_id).exists():
        raise NotFound(f"Customer {customer_id} not found.")


def _locked_ticket(ticket_id: int) -> Ticket:
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(f"Ticket {ticket_id} not found.")
    return ticket


def _mechanic(mechanic_id: int) -> Mechanic:
    # Locked first: the assignment's foreign-key check and the ticket_count trigger would
    # otherwise take the mechanic's row lock in two steps, and InnoDB deadlocks between them.
    mechanic = Mechanic.objects.select_for_update().filter(pk=mechanic_id).first()
    if mechanic is None:
        raise NotFound(f"Mechanic {mechanic_id} not found.")
    return mechanic


def _vehicle_and_vin(*, customer_id: int, vehicle_id: int | None, vin: str | None) -> tuple[Vehicle | None, str]:
    """The ticket's vehicle (locked) and VIN. A named vehicle must be the customer's, and gives
    its VIN (a different VIN sent with it is refused); a ticket with only a VIN goes to the
    customer's vehicle of that VIN, when they have one."""
    if vehicle_id is not None:
        vehicle = vehicle_services.lock_vehicles(vehicle_ids={vehicle_id}).get(vehicle_id)
        if vehicle is None or vehicle.customer_id != customer_id:
            # One answer for both: a customer learns nothing about other customers' vehicles.
            raise InvalidInput("Invalid input.", {"vehicle_id": [f"Customer {customer_id} has no vehicle {vehicle_id}."]})
        if vin is not None and vin != vehicle.vin:
            raise InvalidInput("Invalid input.", {"VIN": [f"Vehicle {vehicle_id} has the VIN {vehicle.vin}; leave VIN out or send that one."]})
        return vehicle, vehicle.vin
    if vin is None:
        raise InvalidInput("Invalid input.", {"VIN": ["This field is required."]})
    vehicle = Vehicle.objects.select_for_update().filter(customer_id=customer_id, vin=vin).first()
    return vehicle, vin


def _check_mileage(mileage_in: int | None, mileage_out: int | None) -> None:
    if mileage_in is not None and mileage_out is not None and mileage_out < mileage_in:
        raise InvalidInput("Invalid input.", {"mileage_out": [MILEAGE_OUT_BELOW_IN]})


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
) -> Ticket:
    """A new ticket, an estimate, with its creation as the first entry of its history. Its
    vehicle's mileage takes the ticket's readings."""
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
        vehicle_services.refresh_mileage(vehicle_ids={vehicle.pk})
    return ticket


@transaction.atomic
def ticket_update(*, ticket_id: int, changes: dict) -> Ticket:
    """Change a ticket's fields. Naming `vehicle_id` links the ticket to that vehicle of its
    customer (null unlinks it); without it, a new VIN or customer links the ticket to that
    customer's vehicle of that VIN, or to none. The vehicles it leaves and joins get their
    mileage recomputed."""
    ticket = _locked_ticket(ticket_id)
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
        ticket.vehicle, ticket.vin = _vehicle_and_vin(customer_id=customer_id, vehicle_id=changes["vehicle_id"], vin=changes.get("vin"))
    elif relink:
        ticket.vehicle, ticket.vin = _vehicle_and_vin(customer_id=customer_id, vehicle_id=None, vin=vin)
    for field in ("customer_id", "service_date", "service_description", "mileage_in", "mileage_out"):
        if field in changes:
            setattr(ticket, field, changes[field])
    _check_mileage(ticket.mileage_in, ticket.mileage_out)
    ticket.save()
    if touched:
        vehicle_services.refresh_mileage(vehicle_ids={before, ticket.vehicle_id} - {None})
    return ticket


@transaction.atomic
def assign_mechanic(*, ticket_id: int, mechanic_id: int) -> bool:
    """Put the mechanic on the ticket. False when they already were."""
    ticket = _locked_ticket(ticket_id)
    mechanic = _mechanic(mechanic_id)
    try:
        with transaction.atomic():
            _, created = TicketMechanic.objects.get_or_create(ticket=ticket, mechanic=mechanic)
    except IntegrityError:  # the mechanic was deleted while we assigned them
        raise NotFound(f"Mechanic {mechanic_id} not found.")
    return created


@transaction.atomic
def remove_mechanic(*, ticket_id: int, mechanic_id: int) -> None:
    ticket = _locked_ticket(ticket_id)
    _mechanic(mechanic_id)
    deleted, _ = TicketMechanic.objects.filter(ticket=ticket, mechanic_id=mechanic_id).delete()
    if not deleted:
        raise NotFound(f"Mechanic {mechanic_id} is not assigned to ticket {ticket_id}.")


def _missing(model, ids: set[int]) -> set[int]:
    """The ids with no row; the rows that exist stay locked, in id order, until the transaction ends."""
    found = model.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True)
    return ids - set(found)


@transaction.atomic
def update_mechanics(*, ticket_id: int, add_ids: Iterable[int], remove_ids: Iterable[int]) -> Ticket:
    """Add and remove several mechanics at once: all of it, or nothing when an id is unknown."""
    add, remove = set(add_ids), set(remove_ids)
    if both := add & remove:
        raise InvalidInput(
            "A mechanic cannot be added and removed at once.",
            {"add_mechanic_ids": [f"Also in remove_mechanic_ids: {sorted(both)}."]},
        )
    ticket = _locked_ticket(ticket_id)
    if missing := _missing(Mechanic, add | remove):
        raise NotFound(f"Mechanics not found: {', '.join(map(str, sorted(missing)))}.", missing)
    assigned = set(ticket.mechanic_links.values_list("mechanic_id", flat=True))
    TicketMechanic.objects.bulk_create(
        [TicketMechanic(ticket=ticket, mechanic_id=mid) for mid in sorted(add - assigned)]
    )
    ticket.mechanic_links.filter(mechanic_id__in=remove).delete()
    bump("tickets")
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
    ticket = _locked_ticket(ticket_id)
    if missing := _missing(Inventory, set(quantities)):
        raise NotFound(f"Inventory items not found: {', '.join(map(str, sorted(missing)))}.", missing)
    on_ticket = set(ticket.part_lines.filter(inventory_id__in=quantities).values_list("inventory_id", flat=True))
    new_ids = sorted(set(quantities) - on_ticket)
    prices = dict(Inventory.objects.filter(pk__in=new_ids).values_list("id", "price"))
    stock.consume_for_ticket(ticket_id=ticket.pk, quantities={iid: quantities[iid] for iid in new_ids}, by=by)
    TicketInventory.objects.bulk_create(
        [
            TicketInventory(ticket=ticket, inventory_id=iid, quantity=quantities[iid], unit_price=prices[iid])
            for iid in new_ids
        ]
    )
    bump("tickets")
    return PartsResult(ticket.pk, new_ids, sorted(on_ticket))
