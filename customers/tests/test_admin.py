"""The customer pages of the Django admin (customers/admin.py)."""

import pytest
from django.test import Client

from conftest import CUSTOMER_PASSWORD
from customers.models import Customer

NEW_PASSWORD = "Fresh-Lantern-77"


@pytest.fixture
def admin(make_staff) -> Client:
    client = Client()
    client.force_login(make_staff(username="admin", is_superuser=True))
    return client


def form(**fields) -> dict:
    return {
        "name": "Ann Example",
        "email": "ann@example.com",
        "phone": "555-0100",
        "new_password": NEW_PASSWORD,
        **fields,
    }


def test_add_a_customer_with_a_hashed_password(admin):
    response = admin.post("/admin/customers/customer/add/", form(email="  Ann@Example.COM "))

    assert response.status_code == 302, response.content[:2000]
    customer = Customer.objects.get()
    assert customer.email == "ann@example.com"
    assert customer.password != NEW_PASSWORD and customer.check_password(NEW_PASSWORD)


def test_a_new_customer_needs_a_password(admin):
    response = admin.post("/admin/customers/customer/add/", form(new_password=""))

    assert response.status_code == 200
    assert "A new customer needs a password." in response.content.decode()
    assert not Customer.objects.exists()


def test_a_weak_password_is_refused(admin, customer):
    response = admin.post(
        f"/admin/customers/customer/{customer.pk}/change/", form(email=customer.email, new_password="123")
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.check_password(CUSTOMER_PASSWORD)


@pytest.mark.parametrize(
    "email", ["ANN@example.com", "ann@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com", "ann@exa\u200bmple.com"]
)
def test_another_customers_email_in_any_spelling_is_a_form_error_not_a_crash(admin, make_customer, email):
    make_customer(email="ann@example.com")

    response = admin.post("/admin/customers/customer/add/", form(email=email))

    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors["email"] == ["Customer with this Email already exists."]
    assert Customer.objects.count() == 1


def test_the_change_list_counts_tickets(admin, customer, make_ticket):
    make_ticket(customer=customer)

    response = admin.get("/admin/customers/customer/")

    assert response.status_code == 200
    assert customer.email in response.content.decode()
    assert response.context["cl"].result_list[0].ticket_count == 1
