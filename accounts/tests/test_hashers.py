"""Passwords at rest: OWASP's Argon2id parameters (accounts/hashers.py), older hashes upgraded at
the next sign-in, and a full password check on every sign-in."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, get_hasher, identify_hasher, make_password

import customers.models
from accounts.hashers import OWASPArgon2PasswordHasher
from conftest import CUSTOMER_PASSWORD, STAFF_PASSWORD

OWASP = "accounts.hashers.OWASPArgon2PasswordHasher"


@pytest.fixture
def argon2_only(settings):
    """The production hasher alone (the test settings put the fast MD5 hasher first)."""
    settings.PASSWORD_HASHERS = [OWASP]


def argon2_parameters(encoded: str) -> tuple[int, int, int]:
    decoded = identify_hasher(encoded).decode(encoded)
    return decoded["memory_cost"], decoded["time_cost"], decoded["parallelism"]


def test_owasp_parameters():
    hasher = OWASPArgon2PasswordHasher()

    assert (hasher.algorithm, hasher.memory_cost, hasher.time_cost, hasher.parallelism) == ("argon2", 19 * 1024, 2, 1)


def test_production_settings_prefer_the_owasp_hasher(settings):
    hashers = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]  # the test settings add MD5 first

    assert hashers[0] == OWASP


def test_its_hashes_are_argon2id_with_its_parameters(argon2_only):
    encoded = make_password(CUSTOMER_PASSWORD)

    assert encoded.startswith("argon2$argon2id$")
    assert argon2_parameters(encoded) == (19 * 1024, 2, 1)
    assert get_hasher().verify(CUSTOMER_PASSWORD, encoded)
    assert not get_hasher().must_update(encoded)


def test_signup_stores_an_argon2_hash(api_client, db, argon2_only):
    body = {"name": "Pat Doe", "email": "pat@example.com", "phone": "555-0142", "password": CUSTOMER_PASSWORD}

    response = api_client.post("/customers", body)

    assert response.status_code == 201
    stored = customers.models.Customer.objects.get(pk=response.json()["id"]).password
    assert CUSTOMER_PASSWORD not in stored
    assert argon2_parameters(stored) == (19 * 1024, 2, 1)


def test_a_customer_hash_with_djangos_parameters_is_upgraded_at_sign_in(api_client, customer, argon2_only):
    customer.password = make_password(CUSTOMER_PASSWORD, hasher=Argon2PasswordHasher())
    customer.save()
    assert argon2_parameters(customer.password) == (102400, 2, 8)  # Django's defaults

    response = api_client.post("/customers/login", {"email": customer.email, "password": CUSTOMER_PASSWORD})

    assert response.status_code == 200
    customer.refresh_from_db()
    assert argon2_parameters(customer.password) == (19 * 1024, 2, 1)
    # The new token was issued under the upgraded hash.
    assert (
        api_client.get(
            f"/customers/{customer.pk}", HTTP_AUTHORIZATION=f"Bearer {response.json()['auth_token']}"
        ).status_code
        == 200
    )


def test_a_staff_hash_with_djangos_parameters_is_upgraded_at_sign_in(api_client, staff_user, argon2_only):
    staff_user.password = make_password(STAFF_PASSWORD, hasher=Argon2PasswordHasher())
    staff_user.save()

    response = api_client.post("/auth/login", {"username": "staff", "password": STAFF_PASSWORD})

    assert response.status_code == 200
    staff_user.refresh_from_db()
    assert argon2_parameters(staff_user.password) == (19 * 1024, 2, 1)


def test_a_wrong_password_upgrades_nothing(api_client, customer, argon2_only):
    customer.password = old = make_password(CUSTOMER_PASSWORD, hasher=Argon2PasswordHasher())
    customer.save()

    assert api_client.post("/customers/login", {"email": customer.email, "password": "Wrong-1"}).status_code == 401

    customer.refresh_from_db()
    assert customer.password == old


class Spy:
    """Counts calls of a function and passes them on."""

    def __init__(self, real):
        self.real, self.calls = real, []

    def __call__(self, password, *args, **kwargs):
        self.calls.append(password)
        return self.real(password, *args, **kwargs)


def test_every_customer_sign_in_checks_the_password_in_full(api_client, customer, monkeypatch):
    spy = Spy(customers.models.check_password)
    monkeypatch.setattr(customers.models, "check_password", spy)

    for _ in range(2):
        assert (
            api_client.post("/customers/login", {"email": customer.email, "password": CUSTOMER_PASSWORD}).status_code
            == 200
        )

    assert spy.calls == [CUSTOMER_PASSWORD, CUSTOMER_PASSWORD]


def test_every_staff_sign_in_checks_the_password_in_full(api_client, staff_user, monkeypatch):
    import django.contrib.auth.base_user

    spy = Spy(django.contrib.auth.base_user.check_password)
    monkeypatch.setattr(django.contrib.auth.base_user, "check_password", spy)

    for _ in range(2):
        assert api_client.post("/auth/login", {"username": "staff", "password": STAFF_PASSWORD}).status_code == 200

    assert spy.calls == [STAFF_PASSWORD, STAFF_PASSWORD]


@pytest.mark.parametrize(
    ("path", "body", "module"),
    [
        ("/customers/login", {"email": "nobody@example.com", "password": "Some-Guess-9"}, "accounts.backends"),
        ("/auth/login", {"username": "nobody", "password": "Some-Guess-9"}, "django.contrib.auth.base_user"),
    ],
)
def test_an_unknown_account_still_costs_a_hash(api_client, db, monkeypatch, path, body, module):
    """So the answer's timing does not tell whether the account exists."""
    import importlib

    target = importlib.import_module(module)
    spy = Spy(target.make_password)
    monkeypatch.setattr(target, "make_password", spy)

    assert api_client.post(path, body).status_code == 401

    assert spy.calls == ["Some-Guess-9"]
