"""Accepted sign-ins are remembered per process (core.passwords); nothing else is."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth import hashers as django_hashers
from django.contrib.auth.hashers import make_password
from rest_framework.test import APIClient

from conftest import STAFF_PASSWORD
from core.passwords import AcceptedSignIns, accepted_sign_ins

ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.fixture
def now(monkeypatch) -> list[float]:
    clock = [1000.0]
    monkeypatch.setattr(accepted_sign_ins, "clock", lambda: clock[0])
    accepted_sign_ins._expiry.clear()
    yield clock
    accepted_sign_ins._expiry.clear()


@pytest.fixture
def full_checks(settings, monkeypatch, now) -> list[str]:
    """Argon2 as in production; the passwords it checked in full."""
    settings.PASSWORD_HASHERS = [ARGON2]
    checked = []
    real = django_hashers.Argon2PasswordHasher.verify

    def counted(hasher, password, encoded):
        checked.append(password)
        return real(hasher, password, encoded)

    monkeypatch.setattr(django_hashers.Argon2PasswordHasher, "verify", counted)
    return checked


def customer_sign_in(email: str, password: str) -> int:
    return APIClient().post("/customers/login", {"email": email, "password": password}, format="json",
                            REMOTE_ADDR="203.0.113.9").status_code


def staff_sign_in(username: str, password: str = STAFF_PASSWORD) -> int:
    return APIClient().post("/auth/login", {"username": username, "password": password}, format="json").status_code


# --- the memory itself -------------------------------------------------------------------------


def test_a_remembered_pair_is_recalled_until_it_expires():
    clock = [0.0]
    memory = AcceptedSignIns(seconds=300, clock=lambda: clock[0])
    assert not memory.recalls("argon2$hash-a", "Secret-1")

    memory.remember("argon2$hash-a", "Secret-1")
    clock[0] = 299.9
    assert memory.recalls("argon2$hash-a", "Secret-1")
    clock[0] = 300.0
    assert not memory.recalls("argon2$hash-a", "Secret-1")


def test_it_recalls_only_the_same_password_for_the_same_stored_hash():
    memory = AcceptedSignIns()
    memory.remember("argon2$hash-a", "Secret-1")

    assert memory.recalls("argon2$hash-a", "Secret-1")
    assert not memory.recalls("argon2$hash-b", "Secret-1")  # another account, or the password changed
    assert not memory.recalls("argon2$hash-a", "Secret-2")
    assert not memory.recalls("argon2$hash-a\0Secret-1", "")  # the separator cannot be forged into the hash


def test_bytes_and_their_printed_form_are_different_passwords():
    memory = AcceptedSignIns()
    memory.remember("argon2$hash-a", b"Secret-1")

    assert memory.recalls("argon2$hash-a", b"Secret-1")
    assert not memory.recalls("argon2$hash-a", "b'Secret-1'")


def test_it_forgets_everything_when_full():
    memory = AcceptedSignIns(max_entries=2)
    memory.remember("h1", "p")
    memory.remember("h2", "p")
    memory.remember("h3", "p")

    assert [memory.recalls(h, "p") for h in ("h1", "h2", "h3")] == [False, False, True]


# --- customers ----------------------------------------------------------------------------------


def test_repeated_customer_sign_ins_check_the_password_once(full_checks, make_customer):
    make_customer(email="ada@example.com", password="Slow-Hash-Secret-7")

    assert [customer_sign_in("ada@example.com", "Slow-Hash-Secret-7") for _ in range(3)] == [200, 200, 200]
    assert full_checks == ["Slow-Hash-Secret-7"]


def test_wrong_customer_passwords_are_checked_in_full_every_time(full_checks, make_customer):
    make_customer(email="ada@example.com", password="Slow-Hash-Secret-7")
    assert customer_sign_in("ada@example.com", "Slow-Hash-Secret-7") == 200

    assert [customer_sign_in("ada@example.com", "Wrong-Guess-1") for _ in range(2)] == [401, 401]
    assert full_checks == ["Slow-Hash-Secret-7", "Wrong-Guess-1", "Wrong-Guess-1"]


def test_a_changed_customer_password_takes_effect_at_once(full_checks, make_customer, client_for):
    customer = make_customer(email="ada@example.com", password="Slow-Hash-Secret-7")
    assert customer_sign_in("ada@example.com", "Slow-Hash-Secret-7") == 200

    changed = client_for(customer).patch(f"/customers/{customer.pk}", {"password": "Brand-New-Secret-8"}, format="json")

    assert changed.status_code == 200
    assert (customer_sign_in("ada@example.com", "Slow-Hash-Secret-7"), customer_sign_in("ada@example.com", "Brand-New-Secret-8")) == (401, 200)


def test_a_customer_sign_in_is_forgotten_after_five_minutes(full_checks, now, make_customer):
    make_customer(email="ada@example.com", password="Slow-Hash-Secret-7")
    assert customer_sign_in("ada@example.com", "Slow-Hash-Secret-7") == 200

    now[0] += 301
    assert customer_sign_in("ada@example.com", "Slow-Hash-Secret-7") == 200
    assert full_checks == ["Slow-Hash-Secret-7", "Slow-Hash-Secret-7"]


def test_a_remembered_hash_is_upgraded_and_the_upgrade_remembered(full_checks, settings, make_customer):
    settings.PASSWORD_HASHERS = [ARGON2, "django.contrib.auth.hashers.MD5PasswordHasher"]
    customer = make_customer(email="ada@example.com")
    customer.password = make_password("Slow-Hash-Secret-7", hasher="md5")
    customer.save()

    assert [customer_sign_in("ada@example.com", "Slow-Hash-Secret-7") for _ in range(2)] == [200, 200]
    customer.refresh_from_db()
    assert customer.password.startswith("argon2$")
    assert full_checks == []  # MD5 checked the first one; the second was recalled under the new hash


# --- staff ----------------------------------------------------------------------------------------


def test_repeated_staff_sign_ins_check_the_password_once(full_checks, make_staff):
    make_staff("boss")

    assert [staff_sign_in("boss") for _ in range(3)] == [200, 200, 200]
    assert full_checks == [STAFF_PASSWORD]


@pytest.mark.parametrize("refused", [{"is_active": False}, {"is_staff": False}], ids=["deactivated", "not-staff"])
def test_a_refused_account_is_checked_in_full_every_time_so_its_timing_tells_nothing(full_checks, make_staff, refused):
    user = make_staff("former")
    get_user_model().objects.filter(pk=user.pk).update(**refused)

    assert [staff_sign_in("former") for _ in range(3)] == [401, 401, 401]
    assert full_checks == [STAFF_PASSWORD] * 3


@pytest.mark.parametrize("refused", [{"is_active": False}, {"is_staff": False}], ids=["deactivated", "not-staff"])
def test_a_remembered_staff_member_who_loses_access_is_refused_at_once(full_checks, make_staff, refused):
    user = make_staff("boss")
    assert staff_sign_in("boss") == 200

    get_user_model().objects.filter(pk=user.pk).update(**refused)

    assert staff_sign_in("boss") == 401


def test_an_unknown_username_still_costs_a_hash(full_checks, monkeypatch, db):
    hashed = []
    real = django_hashers.Argon2PasswordHasher.encode
    monkeypatch.setattr(django_hashers.Argon2PasswordHasher, "encode",
                        lambda hasher, password, salt: hashed.append(password) or real(hasher, password, salt))

    assert staff_sign_in("nobody", "Some-Guess-9") == 401
    assert hashed == ["Some-Guess-9"]


def test_the_admin_sign_in_shares_the_memory(full_checks, make_staff, client):
    make_staff("boss")
    assert staff_sign_in("boss") == 200

    signed_in = client.post("/admin/login/", {"username": "boss", "password": STAFF_PASSWORD})

    assert signed_in.status_code == 302
    assert full_checks == [STAFF_PASSWORD]
