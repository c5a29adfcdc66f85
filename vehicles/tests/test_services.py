"""vehicles.services, and the vehicle rules of tickets.services and selectors (mileage,
service history), called directly."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.concurrency import needs_row_locks, run_concurrently
from tickets import selectors as ticket_selectors
from tickets import services as ticket_services
from tickets.models import Ticket
from vehicles import services
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db

VIN = "1HGCM82633A004352"


def new(**fields) -> dict:
    return {"vin": VIN, "year": 2003, "make": "Honda", "model": "Accord", **fields}


# --- vehicle_create / update / delete -------------------------------------------------------------


def test_a_customer_changes_and_deletes_only_a_vehicle_still_theirs(make_vehicle, customer):
    """The owner is checked under the vehicle's row lock: staff may have given the vehicle to
    someone else since the view checked the caller's permission."""
    vehicle = make_vehicle(make="Theirs")
    with pytest.raises(Forbidden):
        services.vehicle_update(
            vehicle_id=vehicle.pk, changes={"make": "Mine", "customer_id": customer.pk}, customer_id=customer.pk
        )
    with pytest.raises(Forbidden):
        services.vehicle_delete(vehicle_id=vehicle.pk, customer_id=customer.pk)
    assert Vehicle.objects.filter(pk=vehicle.pk).values_list("customer_id", "make").get() == (
        vehicle.customer_id,
        "Theirs",
    )


def test_create_stores_the_vin_upper_case(customer):
    vehicle = services.vehicle_create(customer_id=customer.pk, **new(vin=VIN.lower()))
    assert Vehicle.objects.get(pk=vehicle.pk).vin == VIN


def test_create_for_an_unknown_customer_is_not_found(db):
    with pytest.raises(NotFound):
        services.vehicle_create(customer_id=999999, **new())
    assert not Vehicle.objects.exists()


def test_a_vin_taken_since_the_serializers_check_is_invalid_input_not_a_crash(customer, make_vehicle):
    # The service does not look first: this is the unique index refusing the row, as in a race.
    make_vehicle(vin=VIN)
    with pytest.raises(InvalidInput) as caught:
        services.vehicle_create(customer_id=customer.pk, **new())
    assert caught.value.fields == {"vin": [services.DUPLICATE_VIN]}
    assert Vehicle.objects.count() == 1


def test_update_to_a_taken_vin_is_invalid_input(make_vehicle):
    make_vehicle(vin=VIN)
    mine = make_vehicle()
    with pytest.raises(InvalidInput):
        services.vehicle_update(vehicle_id=mine.pk, changes={"vin": VIN})
    assert Vehicle.objects.get(pk=mine.pk).vin == mine.vin


def test_update_unknown_vehicle_is_not_found(db):
    with pytest.raises(NotFound):
        services.vehicle_update(vehicle_id=999999, changes={"make": "Ford"})


def test_delete_with_tickets_is_a_conflict(make_vehicle, make_ticket):
    car = make_vehicle()
    make_ticket(customer=car.customer, vin=car.vin, vehicle=car)
    with pytest.raises(Conflict):
        services.vehicle_delete(vehicle_id=car.pk)
    assert Vehicle.objects.filter(pk=car.pk).exists()


def test_delete_without_tickets(make_vehicle, make_ticket):
    car = make_vehicle()
    unlinked = make_ticket(customer=car.customer, vin=car.vin)  # same VIN, not its ticket
    services.vehicle_delete(vehicle_id=car.pk)
    assert not Vehicle.objects.exists()
    assert Ticket.objects.filter(pk=unlinked.pk).exists()
    with pytest.raises(NotFound):
        services.vehicle_delete(vehicle_id=car.pk)


# --- mileage ------------------------------------------------------------------------------------------


def test_refresh_mileage_is_one_update_for_any_number_of_vehicles(make_vehicle, make_ticket, django_assert_num_queries):
    cars = [make_vehicle() for _ in range(3)]
    make_ticket(customer=cars[0].customer, vin=cars[0].vin, vehicle=cars[0], mileage_in=10, mileage_out=20)
    make_ticket(customer=cars[0].customer, vin=cars[0].vin, vehicle=cars[0], mileage_in=15)
    make_ticket(customer=cars[1].customer, vin=cars[1].vin, vehicle=cars[1], mileage_in=7)
    make_ticket(customer=cars[2].customer, vin=cars[2].vin, vehicle=cars[2])  # no reading
    with django_assert_num_queries(1):
        ticket_services.refresh_mileage(vehicle_ids={car.pk for car in cars})
    assert [Vehicle.objects.get(pk=car.pk).mileage for car in cars] == [20, 7, None]


def test_ticket_create_and_update_keep_the_highest_reading(customer, make_vehicle):
    car = make_vehicle(customer=customer)
    one = ticket_services.ticket_create(
        customer_id=customer.pk,
        vehicle_id=car.pk,
        service_date=date(2026, 1, 1),
        service_description="a",
        mileage_in=100,
        mileage_out=150,
    )
    two = ticket_services.ticket_create(
        customer_id=customer.pk, vin=car.vin, service_date=date(2026, 2, 1), service_description="b", mileage_in=300
    )
    assert (two.vehicle_id, Vehicle.objects.get(pk=car.pk).mileage) == (car.pk, 300)
    ticket_services.ticket_update(ticket_id=two.pk, changes={"mileage_in": 120})
    assert Vehicle.objects.get(pk=car.pk).mileage == 150
    ticket_services.ticket_update(ticket_id=one.pk, changes={"mileage_out": None})
    assert Vehicle.objects.get(pk=car.pk).mileage == 120


def test_ticket_update_without_vehicle_fields_leaves_the_vehicle_alone(customer, make_vehicle, make_ticket):
    car = make_vehicle(customer=customer)
    ticket = make_ticket(customer=customer, vin=car.vin, vehicle=car, mileage_in=5)
    with CaptureQueriesContext(connection) as queries:
        ticket_services.ticket_update(ticket_id=ticket.pk, changes={"service_description": "Brakes", "vin": car.vin})
    assert not [q for q in queries.captured_queries if "vehicles_vehicle" in q["sql"]]
    assert Ticket.objects.get(pk=ticket.pk).vehicle_id == car.pk


def test_ticket_mileage_out_below_in_is_invalid(customer):
    with pytest.raises(InvalidInput) as caught:
        ticket_services.ticket_create(
            customer_id=customer.pk,
            vin="ABC",
            service_date=date(2026, 1, 1),
            service_description="a",
            mileage_in=10,
            mileage_out=9,
        )
    assert set(caught.value.fields) == {"mileage_out"}
    assert not Ticket.objects.exists()


def test_ticket_with_another_customers_vehicle_is_invalid(customer, make_vehicle):
    theirs = make_vehicle()
    with pytest.raises(InvalidInput) as caught:
        ticket_services.ticket_create(
            customer_id=customer.pk, vehicle_id=theirs.pk, service_date=date(2026, 1, 1), service_description="a"
        )
    assert set(caught.value.fields) == {"vehicle_id"}


def test_ticket_needs_a_vin_or_a_vehicle(customer):
    with pytest.raises(InvalidInput) as caught:
        ticket_services.ticket_create(customer_id=customer.pk, service_date=date(2026, 1, 1), service_description="a")
    assert set(caught.value.fields) == {"VIN"}


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_concurrent_readings_of_one_vehicle_all_count(customer, make_vehicle):
    car = make_vehicle(customer=customer)
    readings = [1000, 3000, 2000, 4000]
    run_concurrently(
        *(
            lambda r=r: ticket_services.ticket_create(
                customer_id=customer.pk,
                vehicle_id=car.pk,
                service_date=date(2026, 1, 1),
                service_description="x",
                mileage_in=r,
            )
            for r in readings
        )
    )
    assert Vehicle.objects.get(pk=car.pk).mileage == 4000


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_vin_make_one_vehicle(make_customer):
    owners = [make_customer() for _ in range(3)]
    outcomes = []

    def create(owner):
        try:
            return services.vehicle_create(customer_id=owner.pk, **new())
        except InvalidInput as exc:
            outcomes.append(exc.fields)

    run_concurrently(*(lambda o=o: create(o) for o in owners))
    assert Vehicle.objects.count() == 1
    assert outcomes == [{"vin": [services.DUPLICATE_VIN]}] * 2


# --- selectors ------------------------------------------------------------------------------------------


def test_history_is_newest_first_and_only_the_vehicles(make_vehicle, make_ticket):
    car = make_vehicle()
    mine = [
        make_ticket(customer=car.customer, vin=car.vin, vehicle=car, service_date=date(2026, 1, d))
        for d in (5, 9, 9, 1)
    ]
    make_ticket(customer=car.customer, vin=car.vin)
    assert [t.pk for t in ticket_selectors.vehicle_history(vehicle_id=car.pk)] == [
        mine[2].pk,
        mine[1].pk,
        mine[0].pk,
        mine[3].pk,
    ]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the plan on small tables is the planner's choice elsewhere")
def test_history_reads_the_history_index(make_vehicle):
    car = make_vehicle()
    plan = ticket_selectors.vehicle_history(vehicle_id=car.pk).explain()
    assert "ticket_vehicle_history_idx" in plan
    assert "TEMP B-TREE" not in plan.upper()  # no sort: the index gives the order
