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
        "customer": customer.pk,
        "vin": VIN,
        "year": 2003,
        "make": "Honda",
        "model": "Accord",
        "license_plate": "",
        "tickets-TOTAL_FORMS": 0,
        "tickets-INITIAL_FORMS": 0,
        **fields,
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
    tickets = [
        make_ticket(customer=car.customer, vin=car.vin, vehicle=car, service_date=date(2026, 1, d)) for d in (1, 2)
    ]
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


# --- writes go through vehicles.services ------------------------------------------------------


def with_history(car, make_ticket):
    make_ticket(customer=car.customer, vin=car.vin, vehicle=car)
    return car


@pytest.mark.parametrize("change", ["vin", "owner"])
def test_a_vehicle_with_service_history_keeps_its_vin_and_owner(
    admin, make_vehicle, make_ticket, make_customer, change
):
    car = with_history(make_vehicle(), make_ticket)
    owner = make_customer() if change == "owner" else car.customer
    vin = "1HGCM82633A004352" if change == "vin" else car.vin
    response = admin.post(f"/admin/vehicles/vehicle/{car.pk}/change/", form(owner, vin=vin))

    assert response.status_code == 200
    what = "VIN" if change == "vin" else "owner"
    assert response.context["adminform"].form.non_field_errors() == [
        f"Vehicle {car.pk} has 1 service ticket(s); a vehicle with service history keeps its {what}."
    ]
    assert Vehicle.objects.values_list("vin", "customer_id").get(pk=car.pk) == (car.vin, car.customer_id)


def test_a_vehicle_with_service_history_can_change_its_other_fields(admin, make_vehicle, make_ticket):
    car = with_history(make_vehicle(), make_ticket)
    response = admin.post(
        f"/admin/vehicles/vehicle/{car.pk}/change/", form(car.customer, vin=car.vin.lower(), license_plate="NEW 1")
    )
    assert response.status_code == 302
    assert Vehicle.objects.values_list("vin", "license_plate").get(pk=car.pk) == (car.vin, "NEW 1")


def test_deleting_a_vehicle_with_service_history_shows_the_protected_page(admin, make_vehicle, make_ticket):
    car = with_history(make_vehicle(), make_ticket)
    response = admin.post(f"/admin/vehicles/vehicle/{car.pk}/delete/", {"post": "yes"})
    assert response.status_code == 200
    assert response.context["protected"]
    response = admin.post(
        "/admin/vehicles/vehicle/", {"action": "delete_selected", "_selected_action": [car.pk], "post": "yes"}
    )
    assert response.status_code == 200 and response.context["protected"]
    assert Vehicle.objects.filter(pk=car.pk).exists()


def test_a_vehicle_without_history_is_deleted_through_the_service(admin, make_vehicle, monkeypatch):
    from vehicles import services

    deleted = []
    monkeypatch.setattr(services, "vehicle_delete", lambda *, vehicle_id, by: deleted.append((vehicle_id, by)))
    car = make_vehicle()
    assert admin.post(f"/admin/vehicles/vehicle/{car.pk}/delete/", {"post": "yes"}).status_code == 302
    assert deleted == [(car.pk, "admin")]


def test_a_delete_the_service_refuses_is_a_message_not_a_500(admin, make_vehicle, monkeypatch):
    """A ticket linked between the confirmation page and the delete: the service's refusal."""
    from core.errors import Conflict
    from vehicles import services

    def refuse(*, vehicle_id, by):
        raise Conflict(
            f"Vehicle {vehicle_id} has 1 service ticket(s); a vehicle with service history cannot be deleted."
        )

    monkeypatch.setattr(services, "vehicle_delete", refuse)
    car = make_vehicle()
    url = f"/admin/vehicles/vehicle/{car.pk}/delete/"
    response = admin.post(url, {"post": "yes"}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert [str(m) for m in response.context["messages"]] == [
        f"Vehicle {car.pk} has 1 service ticket(s); a vehicle with service history cannot be deleted."
    ]
    response = admin.post(
        "/admin/vehicles/vehicle/",
        {"action": "delete_selected", "_selected_action": [car.pk], "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert any("cannot be deleted" in str(m) for m in response.context["messages"])
    assert Vehicle.objects.filter(pk=car.pk).exists()
