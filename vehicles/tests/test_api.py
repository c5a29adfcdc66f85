"""The /vehicles endpoints as an API client sees them (API.md: "Vehicles", "Who may call what",
"Pagination")."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from tests.asserts import assert_error
from tickets.tests.helpers import TICKET_LIST_QUERIES, TICKET_PAGE_QUERIES
from vehicles.models import Vehicle
from vehicles.permissions import VehicleAccess

VIN = "1HGCM82633A004352"
OTHER_VIN = "JH4KA7561PC008269"


@pytest.fixture
def body() -> dict:
    return {"vin": VIN.lower(), "year": 2003, "make": "Honda", "model": "Accord", "license_plate": "7ABC123"}


@pytest.fixture
def my_vehicle(make_vehicle, customer):
    return make_vehicle(customer=customer)


@pytest.fixture
def other_vehicle(make_vehicle):
    return make_vehicle()


def vehicle_json(vehicle: Vehicle) -> dict:
    vehicle = Vehicle.objects.get(pk=vehicle.pk)
    return {
        "id": vehicle.pk,
        "customer_id": vehicle.customer_id,
        "vin": vehicle.vin,
        "year": vehicle.year,
        "make": vehicle.make,
        "model": vehicle.model,
        "license_plate": vehicle.license_plate,
        "mileage": vehicle.mileage,
    }


# --- who may call -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/vehicles"),
        ("post", "/vehicles"),
        ("get", "/vehicles/{id}"),
        ("put", "/vehicles/{id}"),
        ("patch", "/vehicles/{id}"),
        ("delete", "/vehicles/{id}"),
        ("get", "/vehicles/{id}/tickets"),
    ],
)
def test_anonymous_callers_get_401(api_client, my_vehicle, body, method, path):
    response = getattr(api_client, method)(path.format(id=my_vehicle.pk), body, format="json")
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Vehicle.objects.count() == 1


def test_customers_may_not_list_vehicles(customer_client, my_vehicle):
    assert_error(customer_client.get("/vehicles"), 403)


# --- list -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/vehicles", "/vehicles/"])
def test_staff_list_every_vehicle_by_id(staff_client, my_vehicle, other_vehicle, path):
    response = staff_client.get(path)
    assert response.status_code == 200
    assert response.json() == [vehicle_json(my_vehicle), vehicle_json(other_vehicle)]


def test_list_pages(staff_client, make_vehicle):
    vehicles = [make_vehicle() for _ in range(5)]
    response = staff_client.get("/vehicles", {"page": 2, "per_page": 2})
    assert response.status_code == 200
    assert [v["id"] for v in response.json()] == [vehicles[2].pk, vehicles[3].pk]
    assert response["X-Total-Count"] == "5"
    links = {
        rel.split('"')[1]: url.strip(" <>") for url, rel in (part.split(";") for part in response["Link"].split(","))
    }
    assert {name: parse_qs(urlsplit(url).query)["page"] for name, url in links.items()} == {
        "first": ["1"],
        "prev": ["1"],
        "next": ["3"],
        "last": ["3"],
    }
    assert staff_client.get("/vehicles", {"page": 9, "per_page": 2}).json() == []


@pytest.fixture
def fleet(make_customer, make_vehicle):
    ada, bob = make_customer(), make_customer()
    return (
        ada,
        bob,
        [
            make_vehicle(customer=ada, vin=VIN, year=2003, make="Honda", model="Accord", license_plate="7ABC123"),
            make_vehicle(customer=ada, vin=OTHER_VIN, year=1993, make="Acura", model="Legend", license_plate=""),
            make_vehicle(
                customer=bob, vin="1M8GDM9AXKP042788", year=2003, make="Honda", model="Civic", license_plate="XYZ9"
            ),
        ],
    )


def listed(client, params: dict) -> list[int]:
    response = client.get("/vehicles", params)
    assert response.status_code == 200, response.content
    return [v["id"] for v in response.json()]


def test_list_filters_search_and_ordering(staff_client, fleet):
    """API.md "Finding things in lists", /vehicles: `customer_id`, `vin`, `make`, `year`; `search`
    over VIN, make, model and plate; the README's ordering fields `id`, `year`, `make`."""
    ada, bob, (accord, legend, civic) = (fleet[0], fleet[1], [v.pk for v in fleet[2]])
    assert listed(staff_client, {"customer_id": ada.pk}) == [accord, legend]
    assert listed(staff_client, {"vin": OTHER_VIN.lower()}) == [legend]
    assert listed(staff_client, {"make": "HONDA"}) == [accord, civic]
    assert listed(staff_client, {"year": 2003, "customer_id": bob.pk}) == [civic]
    assert listed(staff_client, {"search": "008269"}) == [legend]  # VIN
    assert listed(staff_client, {"search": "acura"}) == [legend]  # make
    assert listed(staff_client, {"search": "civic"}) == [civic]  # model
    assert listed(staff_client, {"search": "7abc"}) == [accord]  # plate
    assert listed(staff_client, {"ordering": "-year"}) == [civic, accord, legend]
    assert listed(staff_client, {"ordering": "year"}) == [legend, accord, civic]
    assert listed(staff_client, {"ordering": "make,-id"}) == [legend, civic, accord]
    assert listed(staff_client, {"ordering": "-id"}) == [civic, legend, accord]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"ordering": "model"}, "ordering"),
        ({"ordering": "vin"}, "ordering"),
        ({"year": "new"}, "year"),
        ({"customer_id": 0}, "customer_id"),
        ({"vin": "X" * 18}, "vin"),
    ],
)
def test_list_refuses_an_unknown_ordering_or_a_bad_filter_value(staff_client, fleet, params, field):
    response = staff_client.get("/vehicles", params)
    assert_error(response, 400)
    assert list(response.json()["fields"]) == [field]


def test_list_pages_keep_the_filters(staff_client, fleet):
    response = staff_client.get("/vehicles", {"make": "honda", "ordering": "-year", "page": 1, "per_page": 1})
    assert response["X-Total-Count"] == "2"
    for part in response["Link"].split(","):
        query = parse_qs(urlsplit(part.split(";")[0].strip(" <>")).query)
        assert (query["make"], query["ordering"]) == (["honda"], ["-year"])


@pytest.mark.parametrize(
    "params", [{"page": 0, "per_page": 2}, {"page": 1, "per_page": 101}, {"page": "x", "per_page": 1}, {"page": 1}]
)
def test_bad_page_parameters_are_400(staff_client, params):
    assert_error(staff_client.get("/vehicles", params), 400)


def test_list_is_one_query_and_a_page_two(staff_client, make_vehicle, django_assert_num_queries):
    for _ in range(10):
        make_vehicle()
    staff_client.get("/vehicles")  # warm the caller's account
    with django_assert_num_queries(1):
        assert len(staff_client.get("/vehicles").json()) == 10
    with django_assert_num_queries(2):
        assert len(staff_client.get("/vehicles", {"page": 1, "per_page": 5}).json()) == 5


# --- create -------------------------------------------------------------------------------------


def test_customer_adds_their_own_vehicle(customer_client, customer, body):
    response = customer_client.post("/vehicles", body, format="json")
    assert response.status_code == 201, response.content
    vehicle = Vehicle.objects.get()
    assert response.json() == {
        "id": vehicle.pk,
        "customer_id": customer.pk,
        "vin": VIN,
        "year": 2003,
        "make": "Honda",
        "model": "Accord",
        "license_plate": "7ABC123",
        "mileage": None,
    }
    assert (vehicle.customer_id, vehicle.vin) == (customer.pk, VIN)


def test_customer_may_name_themselves(customer_client, customer, body):
    response = customer_client.post("/vehicles", {**body, "customer_id": customer.pk}, format="json")
    assert response.status_code == 201
    assert Vehicle.objects.get().customer_id == customer.pk


def test_customer_may_not_add_a_vehicle_for_someone_else(customer_client, make_customer, body):
    other = make_customer()
    assert_error(customer_client.post("/vehicles", {**body, "customer_id": other.pk}, format="json"), 403)
    assert not Vehicle.objects.exists()


def test_staff_add_a_vehicle_for_any_customer(staff_client, customer, body):
    response = staff_client.post("/vehicles/", {**body, "customer_id": customer.pk}, format="json")
    assert response.status_code == 201
    assert Vehicle.objects.get().customer_id == customer.pk


def test_staff_must_name_the_customer(staff_client, body):
    assert_error(staff_client.post("/vehicles", body, format="json"), 400, "customer_id")


@pytest.mark.parametrize("customer_id", [999999, 2**63 - 1])
def test_staff_unknown_customer_is_404(staff_client, body, customer_id):
    assert_error(staff_client.post("/vehicles", {**body, "customer_id": customer_id}, format="json"), 404)
    assert not Vehicle.objects.exists()


def test_license_plate_is_optional_and_mileage_is_read_only(customer_client, body):
    del body["license_plate"]
    response = customer_client.post("/vehicles", {**body, "mileage": 123456, "id": 777}, format="json")
    assert response.status_code == 201
    assert (response.json()["license_plate"], response.json()["mileage"]) == ("", None)
    assert Vehicle.objects.get().mileage is None


BAD_VALUES = [
    ("vin", None),
    ("vin", ""),
    ("vin", "1HGCM82634A004352"),  # wrong check digit
    ("vin", "1HGCM82633A00435"),  # 16 characters
    ("vin", "1HGCM82633A0043521"),  # 18 characters
    ("vin", "1HGCM82633A0O4352"),  # O
    ("vin", "IHGCM82633A004352"),  # I
    ("vin", "1HGCQ82633A004352"),  # Q
    ("vin", "ß" * 9),
    ("vin", "x" * 1000),
    ("vin", 12345678901234567),
    ("vin", ["1HGCM82633A004352"]),
    ("year", None),
    ("year", 1885),
    ("year", timezone.now().year + 2),
    ("year", 10**30),
    ("year", "new"),
    ("year", 2003.5),
    ("make", ""),
    ("make", None),
    ("make", "x" * 101),
    ("model", "   "),
    ("license_plate", "x" * 17),
    ("customer_id", 0),
    ("customer_id", "abc"),
]


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_create_rejects_bad_values_with_400_on_the_field(staff_client, customer, body, field, value):
    response = staff_client.post("/vehicles", {"customer_id": customer.pk, **body, field: value}, format="json")
    assert_error(response, 400, field)
    assert not Vehicle.objects.exists()


@pytest.mark.parametrize("field", ["vin", "year", "make", "model"])
def test_missing_field_is_400_naming_it(customer_client, body, field):
    del body[field]
    assert_error(customer_client.post("/vehicles", body, format="json"), 400, field)


@pytest.mark.parametrize("year", [1886, timezone.now().year + 1])
def test_year_bounds_are_inclusive(customer_client, body, year):
    assert customer_client.post("/vehicles", {**body, "year": year}, format="json").status_code == 201


@pytest.mark.parametrize("spelling", [VIN, VIN.lower(), f"  {VIN.lower()} "])
def test_duplicate_vin_in_any_case_is_400(customer_client, make_vehicle, body, spelling):
    make_vehicle(vin=VIN)
    body = assert_error(customer_client.post("/vehicles", {**body, "vin": spelling}, format="json"), 400, "vin")
    assert body["fields"]["vin"] == ["A vehicle with this VIN already exists."]
    assert Vehicle.objects.count() == 1


# --- retrieve, update, delete ---------------------------------------------------------------------------


def test_customer_reads_own_vehicle(customer_client, my_vehicle):
    response = customer_client.get(f"/vehicles/{my_vehicle.pk}")
    assert response.status_code == 200
    assert response.json() == vehicle_json(my_vehicle)


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_customer_may_not_touch_another_customers_vehicle(customer_client, other_vehicle, body, method):
    before = vehicle_json(other_vehicle)
    assert_error(getattr(customer_client, method)(f"/vehicles/{other_vehicle.pk}", body, format="json"), 403)
    assert vehicle_json(other_vehicle) == before


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
@pytest.mark.parametrize(("client", "expected"), [("staff_client", 404), ("customer_client", 403)])
def test_unknown_vehicle_is_404_for_staff_and_403_for_a_customer(request, body, method, client, expected):
    # A customer reaches only their own vehicles, decided before the lookup: an id that names no
    # vehicle is refused like another customer's (tests/test_role_matrix.py).
    assert_error(getattr(request.getfixturevalue(client), method)("/vehicles/999999", body, format="json"), expected)


def test_a_customer_cannot_delete_a_vehicle_given_away_after_the_permission_check(
    customer_client, my_vehicle, make_customer, monkeypatch
):
    other = make_customer()
    check = VehicleAccess.has_object_permission

    def check_then_give_away(self, request, view, vehicle):
        allowed = check(self, request, view, vehicle)
        Vehicle.objects.filter(pk=vehicle.pk).update(customer_id=other.pk)  # staff, in between
        return allowed

    monkeypatch.setattr(VehicleAccess, "has_object_permission", check_then_give_away)
    assert_error(customer_client.delete(f"/vehicles/{my_vehicle.pk}"), 403)
    assert Vehicle.objects.filter(pk=my_vehicle.pk, customer_id=other.pk).exists()


def test_staff_read_any_vehicle(staff_client, other_vehicle):
    assert staff_client.get(f"/vehicles/{other_vehicle.pk}/").json() == vehicle_json(other_vehicle)


def test_customer_replaces_own_vehicle(customer_client, my_vehicle, body):
    response = customer_client.put(f"/vehicles/{my_vehicle.pk}", body, format="json")
    assert response.status_code == 200
    assert response.json() == {**vehicle_json(my_vehicle), "vin": VIN, "year": 2003, "make": "Honda", "model": "Accord"}
    assert Vehicle.objects.get(pk=my_vehicle.pk).vin == VIN


def test_patch_changes_only_given_fields(customer_client, my_vehicle):
    before = vehicle_json(my_vehicle)
    response = customer_client.patch(f"/vehicles/{my_vehicle.pk}", {"license_plate": "NEW 1"}, format="json")
    assert response.status_code == 200
    assert response.json() == {**before, "license_plate": "NEW 1"} == vehicle_json(my_vehicle)


def test_patch_keeps_own_vin(customer_client, my_vehicle):
    response = customer_client.patch(f"/vehicles/{my_vehicle.pk}", {"vin": my_vehicle.vin.lower()}, format="json")
    assert response.status_code == 200


def test_patch_to_another_vehicles_vin_is_400(customer_client, my_vehicle, make_vehicle):
    make_vehicle(vin=OTHER_VIN)
    assert_error(customer_client.patch(f"/vehicles/{my_vehicle.pk}", {"vin": OTHER_VIN}, format="json"), 400, "vin")


def test_customer_may_not_give_their_vehicle_away(customer_client, my_vehicle, make_customer):
    other = make_customer()
    assert_error(customer_client.patch(f"/vehicles/{my_vehicle.pk}", {"customer_id": other.pk}, format="json"), 403)
    assert Vehicle.objects.get(pk=my_vehicle.pk).customer_id == my_vehicle.customer_id


def test_staff_move_a_vehicle_without_history(staff_client, my_vehicle, make_customer):
    other = make_customer()
    response = staff_client.patch(f"/vehicles/{my_vehicle.pk}", {"customer_id": other.pk}, format="json")
    assert response.status_code == 200
    assert Vehicle.objects.get(pk=my_vehicle.pk).customer_id == other.pk


def test_staff_move_to_unknown_customer_is_404(staff_client, my_vehicle):
    assert_error(staff_client.patch(f"/vehicles/{my_vehicle.pk}", {"customer_id": 999999}, format="json"), 404)


@pytest.mark.parametrize("change", [{"vin": OTHER_VIN}, {"customer_id": "other"}])
def test_a_vehicle_with_history_keeps_its_vin_and_owner(staff_client, my_vehicle, make_ticket, make_customer, change):
    make_ticket(customer=my_vehicle.customer, vin=my_vehicle.vin, vehicle=my_vehicle)
    if change.get("customer_id") == "other":
        change = {"customer_id": make_customer().pk}
    before = vehicle_json(my_vehicle)
    assert_error(staff_client.patch(f"/vehicles/{my_vehicle.pk}", change, format="json"), 409)
    assert vehicle_json(my_vehicle) == before


def test_customer_deletes_own_vehicle(customer_client, my_vehicle):
    response = customer_client.delete(f"/vehicles/{my_vehicle.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Vehicle.objects.exists()


def test_deleting_a_vehicle_with_tickets_is_409(staff_client, my_vehicle, make_ticket):
    ticket = make_ticket(customer=my_vehicle.customer, vin=my_vehicle.vin, vehicle=my_vehicle)
    body = assert_error(staff_client.delete(f"/vehicles/{my_vehicle.pk}"), 409)
    assert "1 service ticket" in body["error"]
    assert Vehicle.objects.filter(pk=my_vehicle.pk).exists()
    ticket.refresh_from_db()
    assert ticket.vehicle_id == my_vehicle.pk


def test_post_on_a_vehicle_is_405(staff_client, my_vehicle, body):
    assert_error(staff_client.post(f"/vehicles/{my_vehicle.pk}", body, format="json"), 405)


# --- a customer with vehicles ---------------------------------------------------------------------------


def test_a_customer_with_vehicles_and_no_tickets_can_be_deleted(staff_client, my_vehicle, customer):
    assert staff_client.delete(f"/customers/{customer.pk}").status_code == 204
    assert not Vehicle.objects.exists()


def test_a_customer_with_tickets_is_still_409_and_keeps_their_vehicles(staff_client, my_vehicle, customer, make_ticket):
    make_ticket(customer=customer, vehicle=my_vehicle, vin=my_vehicle.vin)
    assert_error(staff_client.delete(f"/customers/{customer.pk}"), 409)
    assert Vehicle.objects.filter(pk=my_vehicle.pk).exists()


# --- service history --------------------------------------------------------------------------------


@pytest.fixture
def history(my_vehicle, make_ticket):
    """The vehicle's tickets, newest first: two on one day (the later ticket first)."""

    def visit(day: date):
        return make_ticket(customer=my_vehicle.customer, vin=my_vehicle.vin, vehicle=my_vehicle, service_date=day)

    old, newest, same_day_first, same_day_second = (
        visit(date(2024, 3, 1)),
        visit(date(2026, 5, 1)),
        visit(date(2025, 7, 1)),
        visit(date(2025, 7, 1)),
    )
    return [newest, same_day_second, same_day_first, old]


def test_history_is_newest_first(customer_client, history, my_vehicle, make_ticket):
    make_ticket(customer=my_vehicle.customer, vin=my_vehicle.vin)  # same VIN, not linked: not in the history
    response = customer_client.get(f"/vehicles/{my_vehicle.pk}/tickets")
    assert response.status_code == 200
    assert [t["id"] for t in response.json()] == [t.pk for t in history]


def test_history_tickets_look_as_on_tickets(staff_client, history, my_vehicle):
    from tickets.tests.helpers import ticket_json

    response = staff_client.get(f"/vehicles/{my_vehicle.pk}/tickets/")
    assert response.json() == [ticket_json(t) for t in history]
    assert response.json()[0]["vehicle_id"] == my_vehicle.pk


def test_history_pages(staff_client, history, my_vehicle):
    response = staff_client.get(f"/vehicles/{my_vehicle.pk}/tickets", {"page": 2, "per_page": 3})
    assert [t["id"] for t in response.json()] == [history[3].pk]
    assert response["X-Total-Count"] == "4"
    assert 'rel="prev"' in response["Link"] and 'rel="next"' not in response["Link"]
    assert_error(staff_client.get(f"/vehicles/{my_vehicle.pk}/tickets", {"page": 1, "per_page": 0}), 400)


def test_history_of_a_vehicle_without_tickets_is_empty(customer_client, my_vehicle):
    assert customer_client.get(f"/vehicles/{my_vehicle.pk}/tickets").json() == []


def test_history_of_another_customers_vehicle_is_403(customer_client, other_vehicle, make_ticket):
    make_ticket(customer=other_vehicle.customer, vehicle=other_vehicle, vin=other_vehicle.vin)
    assert_error(customer_client.get(f"/vehicles/{other_vehicle.pk}/tickets"), 403)


def test_history_of_an_unknown_vehicle_is_404(staff_client):
    assert_error(staff_client.get("/vehicles/999999/tickets"), 404)


@pytest.mark.parametrize("count", [1, 20])
def test_history_costs_the_vehicle_plus_the_ticket_list_queries(
    customer_client, my_vehicle, make_ticket, make_mechanic, make_item, django_assert_num_queries, count
):
    mechanics, items = [make_mechanic() for _ in range(3)], [make_item() for _ in range(3)]
    for _ in range(count):
        make_ticket(
            customer=my_vehicle.customer,
            vin=my_vehicle.vin,
            vehicle=my_vehicle,
            mechanics=mechanics,
            parts=[(items[0], 1), (items[1], 2)],
        )
    url = f"/vehicles/{my_vehicle.pk}/tickets"
    customer_client.get(url)  # warm the caller's account

    with django_assert_num_queries(1 + TICKET_LIST_QUERIES):
        body = customer_client.get(url).json()
    assert len(body) == count and all(len(t["mechanics"]) == 3 and len(t["parts"]) == 2 for t in body)
    with django_assert_num_queries(1 + TICKET_PAGE_QUERIES):
        assert len(customer_client.get(url, {"page": 1, "per_page": 10}).json()) == min(count, 10)
