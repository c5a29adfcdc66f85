"""Writes to vehicles: create, update, delete, and the row locks that order them.

A vehicle's row lock orders the writes that concern it: tickets.services locks it (lock_vehicles)
before linking a ticket to it, so a delete or a change of VIN or owner here sees every ticket, and
the mileage tickets.services recomputes after a ticket write sees the readings of the writes
committed before it.
"""

from django.db import transaction

from audit.models import Action
from audit.services import changed_fields, deleted_fields, record_change, snapshot
from core.errors import Conflict, Forbidden
from core.services import locked_row, save_unique
from customers.models import Customer
from vehicles import events
from vehicles.models import Vehicle

DUPLICATE_VIN = "A vehicle with this VIN already exists."
EDITABLE_FIELDS = ("customer_id", "vin", "year", "make", "model", "license_plate")
# What the audit trail shows of a vehicle (its mileage is its tickets' readings, in their trails).
AUDITED_FIELDS = {field: field for field in EDITABLE_FIELDS}


def _lock_customer(customer_id: int) -> None:
    """The customer must exist, and stays until this transaction ends (customer_delete locks it too)."""
    locked_row(Customer, customer_id)


def _locked(vehicle_id: int, customer_id: int | None = None) -> Vehicle:
    """The vehicle, locked; `customer_id` is the calling customer's (None for staff), checked
    under the lock: staff may have given the vehicle to someone else since the view's check."""
    vehicle = locked_row(Vehicle, vehicle_id)
    if customer_id is not None and vehicle.customer_id != customer_id:
        raise Forbidden("Customers may only change their own vehicles.")
    return vehicle


@transaction.atomic
def vehicle_create(
    *, customer_id: int, vin: str, year: int | None, make: str, model: str, license_plate: str = ""
) -> Vehicle:
    _lock_customer(customer_id)
    vehicle = Vehicle(
        customer_id=customer_id, vin=vin.upper(), year=year, make=make, model=model, license_plate=license_plate
    )
    vehicle = save_unique(vehicle, field="vin", message=DUPLICATE_VIN)
    events.vehicle_created(vehicle)
    return vehicle


@transaction.atomic
def vehicle_update(*, vehicle_id: int, changes: dict, customer_id: int | None = None, by: str = "") -> Vehicle:
    """Change a vehicle's fields. A vehicle with service history keeps its VIN and its owner:
    its tickets carry that VIN and belong to that customer. `customer_id`: see _locked().
    Recorded in the vehicle's audit trail, `by` whoever made the change."""
    vehicle = _locked(vehicle_id, customer_id)
    before = snapshot(vehicle, AUDITED_FIELDS)
    if "vin" in changes:
        changes = {**changes, "vin": changes["vin"].upper()}
    moved = "customer_id" in changes and changes["customer_id"] != vehicle.customer_id
    renamed = "vin" in changes and changes["vin"] != vehicle.vin
    if moved:
        _lock_customer(changes["customer_id"])
    if (moved or renamed) and (ticket_count := vehicle.tickets.count()):
        what = "owner" if moved else "VIN"
        raise Conflict(
            f"Vehicle {vehicle_id} has {ticket_count} service ticket(s); "
            f"a vehicle with service history keeps its {what}."
        )
    for field in EDITABLE_FIELDS:
        if field in changes:
            setattr(vehicle, field, changes[field])
    save_unique(vehicle, field="vin", message=DUPLICATE_VIN)
    record_change(
        record=vehicle, by=by, action=Action.UPDATE, changes=changed_fields(before, snapshot(vehicle, AUDITED_FIELDS))
    )
    return vehicle


@transaction.atomic
def vehicle_delete(*, vehicle_id: int, customer_id: int | None = None, by: str = "") -> None:
    vehicle = _locked(vehicle_id, customer_id)
    if ticket_count := vehicle.tickets.count():
        raise Conflict(
            f"Vehicle {vehicle_id} has {ticket_count} service ticket(s); "
            "a vehicle with service history cannot be deleted."
        )
    record_change(
        record=vehicle, by=by, action=Action.DELETE, changes=deleted_fields(snapshot(vehicle, AUDITED_FIELDS))
    )
    vehicle.delete()


def lock_vehicles(*, vehicle_ids: set[int]) -> dict[int, Vehicle]:
    """The vehicles of these ids that exist, locked in id order (so concurrent writers never wait
    on each other in a cycle) until the transaction ends."""
    vehicles = Vehicle.objects.select_for_update().filter(pk__in=vehicle_ids).order_by("pk")
    return {vehicle.pk: vehicle for vehicle in vehicles}
