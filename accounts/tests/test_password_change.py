"""A password change, through the API or the Django admin, ends every token issued before it
(access and refresh); the owner changing their own password must give the current one."""

from types import SimpleNamespace

import pytest
from django.test import Client

from accounts.tokens import tokens_for_customer, tokens_for_staff
from conftest import CUSTOMER_PASSWORD, STAFF_PASSWORD, client_with_token
from customers.models import Customer

NEW_PASSWORD = "Fresh-Lantern-77"


class Issued:
    """An access and a refresh token of one account, issued before the change."""

    def __init__(self, refresh, probe: str):
        self.access, self.refresh, self.probe = str(refresh.access_token), str(refresh), probe

    def assert_working(self, api_client) -> None:
        assert client_with_token(self.access).get(self.probe).status_code == 200
        assert api_client.post("/auth/refresh", {"refresh_token": self.refresh}).status_code == 200

    def assert_ended(self, api_client) -> None:
        for response in (
            client_with_token(self.access).get(self.probe),
            api_client.post("/auth/refresh", {"refresh_token": self.refresh}),
        ):
            assert response.status_code == 401, response.content
            assert response["WWW-Authenticate"].startswith("Bearer")


def customer_tokens(customer) -> Issued:
    return Issued(tokens_for_customer(customer), f"/customers/{customer.pk}")


def staff_tokens(user) -> Issued:
    return Issued(tokens_for_staff(user), "/mechanics")


def customer_login(client, customer, password):
    return client.post("/customers/login", {"email": customer.email, "password": password})


def admin_client(make_staff) -> Client:
    client = Client()
    client.force_login(make_staff(username="admin", is_superuser=True))
    return client


# --- through the API ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["patch", "put"])
def test_customer_changes_their_own_password_with_the_current_one(api_client, customer, method):
    issued = customer_tokens(customer)
    body = {"password": NEW_PASSWORD, "current_password": CUSTOMER_PASSWORD}
    if method == "put":
        body.update(name=customer.name, email=customer.email, phone=customer.phone)

    response = getattr(client_with_token(issued.access), method)(f"/customers/{customer.pk}", body)

    assert response.status_code == 200, response.content
    assert "password" not in response.json() and "current_password" not in response.json()
    issued.assert_ended(api_client)
    assert customer_login(api_client, customer, CUSTOMER_PASSWORD).status_code == 401
    assert customer_login(api_client, customer, NEW_PASSWORD).status_code == 200


def test_staff_change_a_customers_password_without_the_current_one(api_client, customer, staff_client):
    issued = customer_tokens(customer)

    response = staff_client.patch(f"/customers/{customer.pk}", {"password": NEW_PASSWORD})

    assert response.status_code == 200, response.content
    issued.assert_ended(api_client)
    assert customer_login(api_client, customer, NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("current", "message"),
    [
        pytest.param(None, "Give your current password to set a new one.", id="missing"),
        pytest.param("Not-The-Password-1", "The current password is not correct.", id="wrong"),
    ],
)
def test_owner_without_the_right_current_password_is_400_and_nothing_changes(api_client, customer, current, message):
    issued = customer_tokens(customer)
    body = {"password": NEW_PASSWORD, "name": "Renamed"}
    if current is not None:
        body["current_password"] = current

    response = client_with_token(issued.access).patch(f"/customers/{customer.pk}", body)

    assert response.status_code == 400
    assert response.json()["fields"] == {"current_password": [message]}
    customer.refresh_from_db()
    assert customer.name != "Renamed"
    assert customer.check_password(CUSTOMER_PASSWORD)
    issued.assert_working(api_client)


def test_an_update_without_a_new_password_needs_no_current_password(api_client, customer):
    issued = customer_tokens(customer)

    response = client_with_token(issued.access).patch(f"/customers/{customer.pk}", {"phone": "555-0199"})

    assert response.status_code == 200
    issued.assert_working(api_client)


def test_guessing_the_current_password_is_rate_limited_like_sign_in(api_client, customer, monkeypatch):
    """A stolen access token must not become an unlimited oracle for the account's password."""
    monkeypatch.setattr("django_ratelimit.core.time", SimpleNamespace(time=lambda: 1_900_000_020.0))
    client = client_with_token(customer_tokens(customer).access)
    for n in range(10):
        body = {"password": NEW_PASSWORD, "current_password": f"Guess-{n}-Wrong"}
        assert client.patch(f"/customers/{customer.pk}", body).status_code == 400

    response = client.patch(
        f"/customers/{customer.pk}", {"password": NEW_PASSWORD, "current_password": CUSTOMER_PASSWORD}
    )

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    customer.refresh_from_db()
    assert customer.check_password(CUSTOMER_PASSWORD)


def test_other_tokens_of_the_same_customer_end_too(api_client, customer):
    other_device = customer_tokens(customer)
    this_device = customer_tokens(customer)
    body = {"password": NEW_PASSWORD, "current_password": CUSTOMER_PASSWORD}

    assert client_with_token(this_device.access).patch(f"/customers/{customer.pk}", body).status_code == 200

    other_device.assert_ended(api_client)


# --- through the Django admin -------------------------------------------------------------------


def test_customer_password_set_in_the_admin_ends_their_tokens(api_client, customer, make_staff):
    issued = customer_tokens(customer)
    issued.assert_working(api_client)
    issued = customer_tokens(customer)  # the first refresh token was spent by that check
    form = {"name": customer.name, "email": customer.email, "phone": customer.phone, "new_password": NEW_PASSWORD}

    response = admin_client(make_staff).post(f"/admin/customers/customer/{customer.pk}/change/", form)

    assert response.status_code == 302, response.content[:2000]
    issued.assert_ended(api_client)
    assert customer_login(api_client, customer, NEW_PASSWORD).status_code == 200


def test_customer_saved_in_the_admin_without_a_new_password_keeps_their_tokens(api_client, customer, make_staff):
    issued = customer_tokens(customer)
    form = {"name": "Renamed In Admin", "email": customer.email, "phone": customer.phone, "new_password": ""}

    response = admin_client(make_staff).post(f"/admin/customers/customer/{customer.pk}/change/", form)

    assert response.status_code == 302, response.content[:2000]
    assert Customer.objects.get(pk=customer.pk).name == "Renamed In Admin"
    issued.assert_working(api_client)


def test_staff_password_set_in_the_admin_ends_their_tokens(api_client, staff_user, make_staff):
    issued = staff_tokens(staff_user)
    form = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}

    response = admin_client(make_staff).post(f"/admin/auth/user/{staff_user.pk}/password/", form)

    assert response.status_code == 302, response.content[:2000]
    issued.assert_ended(api_client)
    login = api_client.post("/auth/login", {"username": "staff", "password": NEW_PASSWORD})
    assert login.status_code == 200
    assert api_client.post("/auth/login", {"username": "staff", "password": STAFF_PASSWORD}).status_code == 401
