"""Writes to vehicles: create, update, delete, and the mileage kept from their tickets.

A vehicle's row lock orders the writes that concern it: tickets.services locks it before linking
a ticket to it, so a delete or a change of VIN or owner here sees every ticket, and the mileage
recomputed after a ticket write sees the readings of the writes committed before it.
"""

from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Coalesce

from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from customers.models import Customer
from tickets.models import Ticket
from vehicles import events
from vehicles.models import Vehicle

DUPLICATE_VIN = "A vehicle with this VIN already exists."
EDITABLE_FIELDS = ("customer_id", "vin", "year", "make", "model", "license_plate")


def _lock_customer(customer_id: int) -> None:
    """The customer must exist, and stays until this transaction ends (customer_delete locks it too)."""
    if not Customer.objects.select_for_update().filter(pk=customer_id).exists():
        raise NotFound(f"Customer {customer_id} not found.")


def _locked(vehicle_id: int, customer_id: int | None = None) -> Vehicle:
    """The vehicle, locked; `customer_id` is the calling customer's (None for staff), checked
    under the lock: staff may have given the vehicle to someone else since the view's check."""
    vehicle = Vehicle.objects.select_for_update().filter(pk=vehicle_id).first()
    if vehicle is None:
        raise NotFound(f"Vehicle {vehicle_id} not found.")
    if customer_id is not None and vehicle.customer_id != customer_id:
        raise Forbidden("Customers may only change their own vehicles.")
    return vehicle


def _save(vehicle: Vehicle) -> Vehicle:
    try:
        with transaction.atomic():
            vehicle.save()
    except IntegrityError as exc:
        # The serializer checked the VIN is free; a concurrent request took it since.
        raise InvalidInput("Invalid input.", {"vin": [DUPLICATE_VIN]}) from exc
    return vehicle


@transaction.atomic
def vehicle_create(
    *, customer_id: int, vin: str, year: int | None, make: str, model: str, license_plate: str = ""
) -> Vehicle:
    _lock_customer(customer_id)
    vehicle = Vehicle(
        customer_id=customer_id, vin=vin.upper(), year=year, make=make, model=model, license_plate=license_plate
    )
    events.vehicle_created(_save(vehicle))
    return vehicle


@transaction.atomic
def vehicle_update(*, vehicle_id: int, changes: dict, customer_id: int | None = None) -> Vehicle:
    """Change a vehicle's fields. A vehicle with service history keeps its VIN and its owner:
    its tickets carry that VIN and belong to that customer. `customer_id`: see _locked()."""
    vehicle = _locked(vehicle_id, customer_id)
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
    return _save(vehicle)


@transaction.atomic
def vehicle_delete(*, vehicle_id: int, customer_id: int | None = None) -> None:
    vehicle = _locked(vehicle_id, customer_id)
    if ticket_count := vehicle.tickets.count():
        raise Conflict(
            f"Vehicle {vehicle_id} has {ticket_count} service ticket(s); "
            "a vehicle with service history cannot be deleted."
        )
    vehicle.delete()


def lock_vehicles(*, vehicle_ids: set[int]) -> dict[int, Vehicle]:
    """The vehicles of these ids that exist, locked in id order (so concurrent writers never wait
    on each other in a cycle) until the transaction ends."""
    vehicles = Vehicle.objects.select_for_update().filter(pk__in=vehicle_ids).order_by("pk")
    return {vehicle.pk: vehicle for vehicle in vehicles}


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
