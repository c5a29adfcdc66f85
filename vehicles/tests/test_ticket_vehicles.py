"""Tickets with vehicles (API.md "Vehicles"): vehicle_id, mileage_in, mileage_out on /tickets, the
ticket's VIN taken from its vehicle, VIN-only tickets linked, the vehicle's mileage kept."""

import pytest

from tests.asserts import assert_error
from tickets.models import Ticket
from vehicles.models import Vehicle

OTHER_VIN = "JH4KA7561PC008269"


@pytest.fixture
def car(make_vehicle, customer):
    return make_vehicle(customer=customer)


@pytest.fixture
def new_ticket(customer) -> dict:
    return {"service_date": "2026-11-25", "service_description": "Oil change", "customer_id": customer.pk}


def mileage(vehicle: Vehicle) -> int | None:
    return Vehicle.objects.get(pk=vehicle.pk).mileage


# --- creating ---------------------------------------------------------------------------------------


def test_a_ticket_for_a_vehicle_takes_its_vin(staff_client, car, new_ticket):
    response = staff_client.post(
        "/tickets", {**new_ticket, "vehicle_id": car.pk, "mileage_in": 1000, "mileage_out": 1010}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["VIN"], body["vehicle_id"], body["mileage_in"], body["mileage_out"]) == (car.vin, car.pk, 1000, 1010)
    ticket = Ticket.objects.get()
    assert (ticket.vin, ticket.vehicle_id) == (car.vin, car.pk)
    assert mileage(car) == 1010


def test_the_vehicles_own_vin_may_be_sent_in_any_case(customer_client, car, new_ticket):
    response = customer_client.post(
        "/tickets", {**new_ticket, "vehicle_id": car.pk, "VIN": car.vin.lower()}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["VIN"] == car.vin


def test_another_vin_with_a_vehicle_is_400(staff_client, car, new_ticket):
    body = assert_error(
        staff_client.post("/tickets", {**new_ticket, "vehicle_id": car.pk, "VIN": OTHER_VIN}, format="json"), 400, "VIN"
    )
    assert car.vin in body["fields"]["VIN"][0]
    assert not Ticket.objects.exists()


def test_a_vehicle_of_another_customer_is_400(staff_client, make_vehicle, new_ticket):
    theirs = make_vehicle()
    assert_error(
        staff_client.post("/tickets", {**new_ticket, "vehicle_id": theirs.pk}, format="json"), 400, "vehicle_id"
    )
    assert not Ticket.objects.exists()


def test_a_customer_naming_another_customers_vehicle_gets_the_unknown_vehicles_answer(
    customer_client, customer, make_vehicle, new_ticket
):
    theirs = make_vehicle()
    del new_ticket["customer_id"]
    other = assert_error(
        customer_client.post("/tickets", {**new_ticket, "vehicle_id": theirs.pk}, format="json"), 400, "vehicle_id"
    )
    unknown = assert_error(
        customer_client.post("/tickets", {**new_ticket, "vehicle_id": 999999}, format="json"), 400, "vehicle_id"
    )
    assert other["fields"]["vehicle_id"] == [f"Customer {customer.pk} has no vehicle {theirs.pk}."]
    assert unknown["fields"]["vehicle_id"] == [f"Customer {customer.pk} has no vehicle 999999."]
    assert not Ticket.objects.exists()


def test_a_customer_opens_a_ticket_for_their_vehicle_without_a_vin(customer_client, car, new_ticket):
    del new_ticket["customer_id"]
    response = customer_client.post("/tickets", {**new_ticket, "vehicle_id": car.pk}, format="json")
    assert response.status_code == 201
    assert (response.json()["VIN"], response.json()["vehicle_id"]) == (car.vin, car.pk)


def test_without_vin_or_vehicle_the_vin_is_required(staff_client, new_ticket):
    assert_error(staff_client.post("/tickets", {**new_ticket, "vehicle_id": None}, format="json"), 400, "VIN")


def test_a_vin_only_ticket_is_linked_to_the_customers_vehicle(staff_client, car, new_ticket):
    response = staff_client.post("/tickets", {**new_ticket, "VIN": car.vin.lower()}, format="json")
    assert response.status_code == 201
    assert response.json()["vehicle_id"] == car.pk
    assert Ticket.objects.get().vehicle_id == car.pk


def test_a_vin_only_ticket_is_not_linked_to_another_customers_vehicle(staff_client, make_vehicle, new_ticket):
    theirs = make_vehicle()
    response = staff_client.post("/tickets", {**new_ticket, "VIN": theirs.vin}, format="json")
    assert response.status_code == 201
    assert response.json()["vehicle_id"] is None
    assert response.json()["VIN"] == theirs.vin


def test_a_vin_of_no_vehicle_stays_unlinked_as_before(staff_client, car, new_ticket):
    response = staff_client.post("/tickets", {**new_ticket, "VIN": "ABC123"}, format="json")
    assert response.status_code == 201
    assert (response.json()["VIN"], response.json()["vehicle_id"]) == ("ABC123", None)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mileage_in", -1),
        ("mileage_in", 2**31),
        ("mileage_in", 1.5),
        ("mileage_in", "far"),
        ("mileage_out", -5),
        ("vehicle_id", 0),
        ("vehicle_id", "abc"),
        ("vehicle_id", 2**63),
    ],
)
def test_bad_vehicle_fields_are_400(staff_client, car, new_ticket, field, value):
    response = staff_client.post("/tickets", {**new_ticket, "VIN": car.vin, field: value}, format="json")
    assert_error(response, 400, field)
    assert not Ticket.objects.exists()


def test_mileage_out_below_mileage_in_is_400(staff_client, car, new_ticket):
    body = {**new_ticket, "vehicle_id": car.pk, "mileage_in": 5000, "mileage_out": 4999}
    assert_error(staff_client.post("/tickets", body, format="json"), 400, "mileage_out")
    assert not Ticket.objects.exists() and mileage(car) is None


def test_mileage_in_alone_is_a_reading(staff_client, car, new_ticket):
    assert (
        staff_client.post("/tickets", {**new_ticket, "vehicle_id": car.pk, "mileage_in": 0}, format="json").status_code
        == 201
    )
    assert mileage(car) == 0


# --- updating ---------------------------------------------------------------------------------------


@pytest.fixture
def visits(car, make_ticket):
    """Two tickets of the car: 1,000 -> 1,200, and 5,000 in."""
    first = make_ticket(customer=car.customer, vin=car.vin, vehicle=car, mileage_in=1000, mileage_out=1200)
    second = make_ticket(customer=car.customer, vin=car.vin, vehicle=car, mileage_in=5000)
    Vehicle.objects.filter(pk=car.pk).update(mileage=5000)
    return first, second


def test_the_highest_reading_is_kept_when_a_reading_is_lowered(staff_client, car, visits):
    first, second = visits
    assert staff_client.patch(f"/tickets/{second.pk}", {"mileage_in": 3000}, format="json").status_code == 200
    assert mileage(car) == 3000
    assert staff_client.patch(f"/tickets/{second.pk}", {"mileage_in": None}, format="json").status_code == 200
    assert mileage(car) == 1200
    assert staff_client.patch(f"/tickets/{first.pk}", {"mileage_out": 90000}, format="json").status_code == 200
    assert mileage(car) == 90000


def test_patching_only_mileage_out_below_the_stored_mileage_in_is_400(staff_client, car, visits):
    first, _ = visits
    assert_error(staff_client.patch(f"/tickets/{first.pk}", {"mileage_out": 999}, format="json"), 400, "mileage_out")
    first.refresh_from_db()
    assert (first.mileage_in, first.mileage_out) == (1000, 1200)
    assert mileage(car) == 5000


def test_unlinking_a_ticket_takes_its_reading_off_the_vehicle(staff_client, car, visits):
    _, second = visits
    response = staff_client.patch(f"/tickets/{second.pk}", {"vehicle_id": None}, format="json")
    assert response.status_code == 200
    assert (response.json()["vehicle_id"], response.json()["VIN"]) == (None, car.vin)
    assert mileage(car) == 1200


def test_moving_a_ticket_to_another_vehicle_recomputes_both(staff_client, car, visits, make_vehicle):
    _, second = visits
    spare = make_vehicle(customer=car.customer)
    response = staff_client.patch(f"/tickets/{second.pk}", {"vehicle_id": spare.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["VIN"] == spare.vin
    assert (mileage(car), mileage(spare)) == (1200, 5000)


def test_changing_the_vin_relinks_the_ticket(staff_client, car, visits, make_vehicle):
    _, second = visits
    spare = make_vehicle(customer=car.customer)
    response = staff_client.patch(f"/tickets/{second.pk}", {"VIN": spare.vin.lower()}, format="json")
    assert response.json()["vehicle_id"] == spare.pk
    assert (mileage(car), mileage(spare)) == (1200, 5000)
    response = staff_client.patch(f"/tickets/{second.pk}", {"VIN": "ABC123"}, format="json")
    assert (response.json()["vehicle_id"], response.json()["VIN"]) == (None, "ABC123")
    assert mileage(spare) is None


def test_a_ticket_moved_to_another_customer_leaves_the_vehicle(staff_client, car, visits, make_customer):
    _, second = visits
    other = make_customer()
    response = staff_client.patch(f"/tickets/{second.pk}", {"customer_id": other.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["vehicle_id"] is None
    assert mileage(car) == 1200


def test_an_original_clients_put_keeps_the_vehicle(customer_client, car, visits):
    first, _ = visits
    body = {"VIN": car.vin, "service_date": "2026-01-02", "service_description": "Tyres"}
    response = customer_client.put(f"/tickets/{first.pk}", body, format="json")
    assert response.status_code == 200
    assert (response.json()["vehicle_id"], response.json()["mileage_out"]) == (car.pk, 1200)


def test_put_without_vin_but_with_the_vehicle(customer_client, car, visits):
    first, _ = visits
    body = {"vehicle_id": car.pk, "service_date": "2026-01-02", "service_description": "Tyres"}
    assert customer_client.put(f"/tickets/{first.pk}", body, format="json").status_code == 200
    assert_error(customer_client.put(f"/tickets/{first.pk}", {**body, "vehicle_id": None}, format="json"), 400, "VIN")


def test_a_customer_may_not_link_their_ticket_to_another_customers_vehicle(customer_client, car, visits, make_vehicle):
    first, _ = visits
    theirs = make_vehicle()
    assert_error(
        customer_client.patch(f"/tickets/{first.pk}", {"vehicle_id": theirs.pk}, format="json"), 400, "vehicle_id"
    )
    first.refresh_from_db()
    assert first.vehicle_id == car.pk


def test_ticket_detail_shows_the_new_fields_in_its_pinned_queries(staff_client, car, visits, django_assert_num_queries):
    from tickets.tests.helpers import TICKET_DETAIL_QUERIES

    first, _ = visits
    staff_client.get("/tickets/my-tickets")  # warms the caller's account, not the ticket's cached answer
    with django_assert_num_queries(TICKET_DETAIL_QUERIES):
        body = staff_client.get(f"/tickets/{first.pk}").json()
    assert (body["vehicle_id"], body["mileage_in"], body["mileage_out"]) == (car.pk, 1000, 1200)
