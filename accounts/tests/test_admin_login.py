"""The Django admin's login (/admin/login/, accounts/admin_site.py) has the API's sign-in limits."""

from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django.test import Client

from conftest import STAFF_PASSWORD

ADDRESS = "203.0.113.9"


@pytest.fixture(autouse=True)
def frozen_limits_clock(monkeypatch):
    """django-ratelimit's windows stay put for the test."""
    monkeypatch.setattr("django_ratelimit.core.time", SimpleNamespace(time=lambda: 1_900_000_020.0))


def admin_login(client: Client, username: str, password: str, address: str = ADDRESS):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_right_password_signs_in(staff_user):
    client = Client()

    response = admin_login(client, "staff", STAFF_PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def test_after_ten_wrong_passwords_even_the_right_one_is_429(staff_user):
    client = Client()
    for _ in range(10):
        response = admin_login(client, "staff", "Wrong-Password-1")
        assert response.status_code == 200  # the form again, with its error
        assert not signed_in(client)

    response = admin_login(client, "staff", STAFF_PASSWORD)

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert not signed_in(client)


def test_the_admin_and_the_api_share_one_budget_per_address(staff_user, api_client):
    for n in range(10):
        api_client.post("/auth/login", {"username": f"guess{n}", "password": "x"}, REMOTE_ADDR=ADDRESS)

    assert admin_login(Client(), "staff", STAFF_PASSWORD).status_code == 429
    assert admin_login(Client(), "staff", STAFF_PASSWORD, address="192.0.2.44").status_code == 302


def test_showing_the_login_form_is_not_counted(staff_user):
    client = Client()
    for _ in range(12):
        assert client.get("/admin/login/", REMOTE_ADDR=ADDRESS).status_code == 200

    assert admin_login(client, "staff", STAFF_PASSWORD).status_code == 302


def test_admin_login_fails_closed_when_the_limits_cache_raises(staff_user, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("limits cache down")

    monkeypatch.setattr(caches["limits"], "add", broken)

    response = admin_login(Client(), "staff", STAFF_PASSWORD)

    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1


def test_the_admin_counts_failures_per_account_and_remembers_where_staff_signed_in(staff_user, api_client, settings):
    """A wrong password on the admin's form spends the account's budget as the API's does; a
    successful admin sign-in (the redirect) makes the address the staff user's own, where other
    people's failures cannot lock them out. (login_account at 3/hour, to keep it short.)"""
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login_account": "3/hour"}
    home = "192.0.2.44"
    assert admin_login(Client(), "staff", STAFF_PASSWORD, address=home).status_code == 302
    for n in range(3):
        assert admin_login(Client(), "staff", "Wrong-Password-1", address=f"198.51.100.{n}").status_code == 200

    refused = admin_login(Client(), "staff", STAFF_PASSWORD, address="198.51.100.200")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 60  # the hour of the per-account limit
    assert (
        api_client.post(
            "/auth/login", {"username": "staff", "password": STAFF_PASSWORD}, REMOTE_ADDR="198.51.100.201"
        ).status_code
        == 429
    )
    assert (
        api_client.post("/auth/login", {"username": "staff", "password": STAFF_PASSWORD}, REMOTE_ADDR=home).status_code
        == 200
    )
    assert admin_login(Client(), "staff", STAFF_PASSWORD, address=home).status_code == 302
