"""The vehicle pages of the Django admin (vehicles/admin.py)."""

from datetime import date

import pytest
from django.test import Client

from vehicles.models import Vehicle

VIN = "1HGCM82633A004352"


@pytest.fixture
def admin(make_staff) -> Client:
    client = Client()
    client.force_login(make_staff(username="admin", is_superuser=True))
    return client


def form(customer, **fields) -> dict:
    return {
        "customer": customer.pk, "vin": VIN, "year": 2003, "make": "Honda", "model": "Accord", "license_plate": "",
        "tickets-TOTAL_FORMS": 0, "tickets-INITIAL_FORMS": 0, **fields,
    }


def test_add_a_vehicle_with_a_lower_case_vin(admin, customer):
    response = admin.post("/admin/vehicles/vehicle/add/", form(customer, vin=f" {VIN.lower()} "))
    assert response.status_code == 302, response.content[:3000]
    assert Vehicle.objects.get().vin == VIN


@pytest.mark.parametrize("vin", ["1HGCM82634A004352", "1HGCM82633A00435"])
def test_an_invalid_vin_is_a_form_error(admin, customer, vin):
    response = admin.post("/admin/vehicles/vehicle/add/", form(customer, vin=vin))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["vin"]
    assert not Vehicle.objects.exists()


def test_a_taken_vin_is_a_form_error_not_a_crash(admin, customer, make_vehicle):
    make_vehicle(vin=VIN)
    response = admin.post("/admin/vehicles/vehicle/add/", form(customer, vin=VIN.lower()))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["vin"] == ["Vehicle with this VIN already exists."]


def test_mileage_is_read_only(admin, make_vehicle):
    car = make_vehicle()
    Vehicle.objects.filter(pk=car.pk).update(mileage=4242)
    response = admin.post(f"/admin/vehicles/vehicle/{car.pk}/change/", form(car.customer, vin=car.vin, mileage=1))
    assert response.status_code == 302
    assert Vehicle.objects.get(pk=car.pk).mileage == 4242


def test_change_page_shows_the_service_history_with_links(admin, make_vehicle, make_ticket):
    car = make_vehicle()
    tickets = [make_ticket(customer=car.customer, vin=car.vin, vehicle=car, service_date=date(2026, 1, d)) for d in (1, 2)]
    html = admin.get(f"/admin/vehicles/vehicle/{car.pk}/change/").content.decode()
    newest, older = (html.index(f"/admin/tickets/ticket/{t.pk}/change/") for t in reversed(tickets))
    assert newest < older


def test_changelist_shows_the_customer_and_search_finds_plates(admin, make_vehicle, make_customer):
    car = make_vehicle(license_plate="SHOP 42", customer=make_customer(name="Grace Hopper"))
    make_vehicle(license_plate="OTHER 1")
    html = admin.get("/admin/vehicles/vehicle/", {"q": "shop 42"}).content.decode()
    assert "Grace Hopper" in html and car.vin in html
    assert "OTHER 1" not in html


def test_changelist_queries_do_not_grow_with_rows(admin, make_vehicle, django_assert_max_num_queries):
    make_vehicle()
    admin.get("/admin/vehicles/vehicle/")
    with django_assert_max_num_queries(20) as small:
        admin.get("/admin/vehicles/vehicle/")
    for _ in range(20):
        make_vehicle()
    with django_assert_max_num_queries(len(small.captured_queries)):
        admin.get("/admin/vehicles/vehicle/")
