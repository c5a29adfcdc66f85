"""Who may change a ticket, and when (API.md, issue #23 item 1): a customer changes their own
ticket only while it is an estimate, and never records mileage; staff change a ticket until it
is frozen."""

from datetime import date

import pytest

from core.errors import Conflict, InvalidInput
from tests.asserts import assert_error
from tickets import selectors, services, workflow
from tickets.models import StatusChange, Ticket
from vehicles.models import Vehicle
from vehicles.tests.factories import VehicleFactory

TO = {
    "approved": ("approved",),
    "in_progress": ("approved", "in_progress"),
    "completed": ("approved", "in_progress", "completed"),
}


def move(ticket, *statuses):
    for to in statuses:
        workflow.transition(ticket_id=ticket.pk, to=to, by="staff")


def fields_of(ticket) -> tuple:
    return Ticket.objects.values_list(
        "vin", "service_date", "service_description", "vehicle_id", "mileage_in", "mileage_out", "status"
    ).get(pk=ticket.pk)


@pytest.fixture
def car(customer):
    return VehicleFactory(customer=customer)


@pytest.fixture
def on_car(customer, car):
    """A ticket of the customer's on their car, written by staff with mileage 1000 in and 1010
    out: the car's mileage is 1010."""
    return services.ticket_create(
        customer_id=customer.pk,
        vehicle_id=car.pk,
        service_date=date(2026, 11, 1),
        service_description="Inspection",
        mileage_in=1000,
        mileage_out=1010,
        by="staff",
    )


# --- only while it is an estimate -------------------------------------------------------------------


@pytest.mark.parametrize("status", list(TO))
@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_customer_cannot_change_their_ticket_once_it_is_approved(
    customer_client, customer, on_car, car, status, method
):
    """The issue's report: after approved → in progress → completed, the customer rewrote the
    description and the date. Now 409, and nothing changes."""
    move(on_car, *TO[status])
    before = fields_of(on_car)
    body = {"service_description": "Rewritten later", "service_date": "2020-01-01"}
    if method == "put":
        body["VIN"] = car.vin

    response = getattr(customer_client, method)(f"/tickets/{on_car.pk}", body, format="json")

    body = assert_error(response, 409)
    assert body["status"] == status and "estimate" in body["error"]
    assert fields_of(on_car) == before
    assert Vehicle.objects.get(pk=car.pk).mileage == 1010


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_customer_changes_their_estimate(customer_client, on_car, car, method):
    body = {"service_description": "Also the brakes", "service_date": "2026-12-02", "VIN": car.vin}

    response = getattr(customer_client, method)(f"/tickets/{on_car.pk}", body, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["service_description"] == "Also the brakes"
    assert fields_of(on_car)[1:3] == (date(2026, 12, 2), "Also the brakes")


def test_a_ticket_sent_back_to_estimate_is_the_customers_to_change_again(customer_client, customer, make_ticket):
    ticket = make_ticket(customer=customer)
    move(ticket, "approved")
    assert_error(customer_client.patch(f"/tickets/{ticket.pk}", {"service_description": "x"}, format="json"), 409)

    move(ticket, "estimate")

    response = customer_client.patch(f"/tickets/{ticket.pk}", {"service_description": "Changed"}, format="json")
    assert response.status_code == 200 and response.json()["service_description"] == "Changed"


@pytest.mark.parametrize("status", list(TO))
def test_staff_change_a_ticket_until_it_is_frozen(staff_client, make_ticket, status):
    ticket = make_ticket()
    move(ticket, *TO[status])

    response = staff_client.patch(
        f"/tickets/{ticket.pk}", {"service_description": "Noted by staff", "mileage_in": 7}, format="json"
    )

    assert response.status_code == 200, response.content
    assert fields_of(ticket)[2] == "Noted by staff" and fields_of(ticket)[4] == 7


def test_the_estimate_rule_is_checked_under_the_row_lock(customer_client, customer, make_ticket, monkeypatch):
    """Staff approve the ticket between the view's read and the customer's update: the update
    is refused, checked in the service under the ticket's row lock."""
    ticket = make_ticket(customer=customer, service_description="Mine")
    read = selectors.ticket_detail
    approved = []

    def read_then_approve(*, ticket_id):
        found = read(ticket_id=ticket_id)
        if not approved:  # once: the transition's own event reads the ticket again
            approved.append(ticket_id)
            workflow.transition(ticket_id=ticket_id, to="approved", by="staff")
        return found

    monkeypatch.setattr(selectors, "ticket_detail", read_then_approve)

    response = customer_client.patch(f"/tickets/{ticket.pk}", {"service_description": "Changed"}, format="json")

    assert_error(response, 409)
    assert Ticket.objects.values_list("status", "service_description").get(pk=ticket.pk) == ("approved", "Mine")


def test_the_service_refuses_a_customers_change_after_the_estimate(make_ticket, customer):
    ticket = make_ticket(customer=customer)
    move(ticket, "approved")

    with pytest.raises(Conflict) as refused:
        services.ticket_update(ticket_id=ticket.pk, changes={"service_description": "x"}, customer_id=customer.pk)

    assert refused.value.extra == {"status": "approved"}
    services.ticket_update(ticket_id=ticket.pk, changes={"service_description": "By staff"})  # staff may
    assert fields_of(ticket)[2] == "By staff"


# --- mileage is recorded by staff -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        ({"mileage_in": 5}, {"mileage_in"}),
        ({"mileage_out": 2000}, {"mileage_out"}),
        ({"mileage_in": 5, "mileage_out": 6, "service_description": "x"}, {"mileage_in", "mileage_out"}),
        ({"mileage_in": 0}, {"mileage_in"}),
    ],
)
@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_customer_sending_mileage_gets_400_and_nothing_changes(
    customer_client, customer, on_car, car, body, refused, method
):
    before = fields_of(on_car)
    if method == "put":
        body = {**body, "VIN": car.vin, "service_date": "2026-12-01", "service_description": "x"}

    response = getattr(customer_client, method)(f"/tickets/{on_car.pk}", body, format="json")

    assert set(assert_error(response, 400, *refused)["fields"]) == refused
    assert fields_of(on_car) == before
    assert Vehicle.objects.get(pk=car.pk).mileage == 1010


def test_a_customer_sending_mileage_on_an_approved_ticket_changes_nothing(customer_client, customer, on_car, car):
    """The issue's request in full, mileage included, on a completed ticket."""
    move(on_car, *TO["completed"])
    before = fields_of(on_car)
    body = {"service_description": "...", "mileage_in": 5, "mileage_out": 6, "service_date": "2020-01-01"}

    response = customer_client.patch(f"/tickets/{on_car.pk}", body, format="json")

    assert_error(response, 400, "mileage_in", "mileage_out")
    assert fields_of(on_car) == before
    assert Vehicle.objects.get(pk=car.pk).mileage == 1010
    assert list(StatusChange.objects.filter(ticket=on_car).values_list("to_status", flat=True)) == [
        "estimate",
        *TO["completed"],
    ]


def test_a_customer_sending_no_mileage_reading_keeps_the_recorded_one(customer_client, customer, on_car, car):
    """null is no reading: it does not erase what staff recorded."""
    body = {"service_description": "Noisy brakes", "mileage_in": None, "mileage_out": None}

    response = customer_client.patch(f"/tickets/{on_car.pk}", body, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["mileage_in"], response.json()["mileage_out"]) == (1000, 1010)
    assert fields_of(on_car)[2:6] == ("Noisy brakes", car.pk, 1000, 1010)


def test_a_customer_opening_a_ticket_with_mileage_gets_400(customer_client, customer, car):
    body = {"vehicle_id": car.pk, "service_date": "2026-12-01", "service_description": "Oil", "mileage_in": 5}

    response = customer_client.post("/tickets", body, format="json")

    assert set(assert_error(response, 400, "mileage_in")["fields"]) == {"mileage_in"}
    assert not Ticket.objects.filter(customer=customer).exists()
    assert Vehicle.objects.get(pk=car.pk).mileage is None


def test_staff_open_a_ticket_with_mileage(staff_client, customer, car):
    body = {
        "customer_id": customer.pk,
        "vehicle_id": car.pk,
        "service_date": "2026-12-01",
        "service_description": "Oil",
        "mileage_in": 1200,
    }

    response = staff_client.post("/tickets", body, format="json")

    assert response.status_code == 201 and response.json()["mileage_in"] == 1200
    assert Vehicle.objects.get(pk=car.pk).mileage == 1200


def test_the_services_refuse_a_customers_mileage(make_ticket, customer):
    ticket = make_ticket(customer=customer)
    with pytest.raises(InvalidInput) as refused:
        services.ticket_update(ticket_id=ticket.pk, changes={"mileage_out": 3}, customer_id=customer.pk)
    assert set(refused.value.fields) == {"mileage_out"}
    with pytest.raises(InvalidInput) as refused:
        services.ticket_create(
            customer_id=customer.pk,
            vin="1HGCM82633A004352",
            service_date=date(2026, 12, 1),
            service_description="x",
            mileage_in=1,
            by_customer=True,
        )
    assert set(refused.value.fields) == {"mileage_in"}
