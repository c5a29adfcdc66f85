"""The production password hasher: Django's Argon2, remembering successful checks per process."""

import pytest
from django.contrib.auth import hashers as django_hashers
from django.contrib.auth.hashers import check_password, make_password
from rest_framework.test import APIClient

from conftest import STAFF_PASSWORD
from core.hashers import Argon2PasswordHasher

ARGON2 = "core.hashers.Argon2PasswordHasher"


class FullChecks:
    """Counts the checks that ran Argon2 itself."""

    def __init__(self, monkeypatch):
        self.count = 0
        real = django_hashers.Argon2PasswordHasher.verify

        def counted(hasher, password, encoded):
            self.count += 1
            return real(hasher, password, encoded)

        monkeypatch.setattr(django_hashers.Argon2PasswordHasher, "verify", counted)


@pytest.fixture
def argon2(settings, monkeypatch):
    settings.PASSWORD_HASHERS = [ARGON2]
    now = [1000.0]
    monkeypatch.setattr(Argon2PasswordHasher, "clock", staticmethod(lambda: now[0]))
    monkeypatch.setattr(Argon2PasswordHasher, "_verified", {})
    return now


@pytest.fixture
def full_checks(monkeypatch) -> FullChecks:
    return FullChecks(monkeypatch)


def test_stored_hashes_are_djangos_argon2(argon2):
    encoded = make_password("Slow-Hash-Secret-7")

    assert encoded.startswith("argon2$argon2id$")
    assert django_hashers.Argon2PasswordHasher().verify("Slow-Hash-Secret-7", encoded)


def test_a_verified_password_is_accepted_again_without_argon2(argon2, full_checks):
    encoded = make_password("Slow-Hash-Secret-7")

    assert [check_password("Slow-Hash-Secret-7", encoded) for _ in range(3)] == [True, True, True]
    assert full_checks.count == 1


def test_wrong_passwords_are_never_remembered(argon2, full_checks):
    encoded = make_password("Slow-Hash-Secret-7")
    assert check_password("Slow-Hash-Secret-7", encoded)

    assert [check_password("Wrong-Guess-1", encoded) for _ in range(3)] == [False, False, False]
    assert full_checks.count == 4


def test_the_memory_is_for_one_stored_hash(argon2, full_checks):
    # The same password under another salt (another account, or a changed password) is checked in full.
    first, second = make_password("Same-Secret-123"), make_password("Same-Secret-123")
    assert check_password("Same-Secret-123", first)

    assert check_password("Same-Secret-123", second)
    assert not check_password("Same-Secret-124", first)
    assert full_checks.count == 3


def test_a_verification_is_forgotten_after_five_minutes(argon2, full_checks):
    encoded = make_password("Slow-Hash-Secret-7")
    assert check_password("Slow-Hash-Secret-7", encoded)

    argon2[0] += 299
    assert check_password("Slow-Hash-Secret-7", encoded)
    argon2[0] += 2
    assert check_password("Slow-Hash-Secret-7", encoded)
    assert full_checks.count == 2


def test_repeated_sign_ins_run_argon2_once_and_a_changed_password_takes_effect(argon2, full_checks, make_customer, client_for):
    customer = make_customer(email="ada@example.com", password="Slow-Hash-Secret-7")
    client = APIClient()

    def sign_in(password):
        return client.post("/customers/login", {"email": "ada@example.com", "password": password}, format="json",
                           REMOTE_ADDR="203.0.113.9").status_code

    assert [sign_in("Slow-Hash-Secret-7") for _ in range(3)] == [200, 200, 200]
    assert full_checks.count == 1

    changed = client_for(customer).patch(f"/customers/{customer.pk}", {"password": "Brand-New-Secret-8"}, format="json")
    assert changed.status_code == 200
    assert (sign_in("Slow-Hash-Secret-7"), sign_in("Brand-New-Secret-8")) == (401, 200)


def test_staff_sign_ins_use_it_too(argon2, full_checks, make_staff):
    make_staff("boss")
    client = APIClient()

    answers = [client.post("/auth/login", {"username": "boss", "password": STAFF_PASSWORD}, format="json").status_code
               for _ in range(2)]

    assert answers == [200, 200]
    assert full_checks.count == 1
