"""A customer changing their own email through the API gives their current password, as for a
password change (API.md "Roles and tokens"). The password is checked before the new address's
uniqueness, so a token alone can no longer ask whether someone else's email has an account.
Staff editing a customer need no password."""

import pytest

from conftest import CUSTOMER_PASSWORD
from customers.models import Customer
from customers.services import DUPLICATE_EMAIL
from tests.asserts import error_fields

pytestmark = pytest.mark.django_db

MISSING = "Give your current password to change your email."
WRONG = "The current password is not correct."
TAKEN = "taken@example.com"
FREE = "free@example.com"


@pytest.fixture
def owner(make_customer) -> Customer:
    make_customer(email=TAKEN)
    return make_customer(email="owner@example.com")


@pytest.fixture
def owner_client(owner, client_for):
    return client_for(owner)


def change_email(client, owner, email, method="patch", **extra):
    body = {"email": email, **extra}
    if method == "put":
        body.update(name=owner.name, phone=owner.phone)
    return getattr(client, method)(f"/customers/{owner.pk}", body)


def stored_email(owner) -> str:
    return Customer.objects.get(pk=owner.pk).email


@pytest.mark.parametrize("method", ["patch", "put"])
def test_the_owner_changes_their_email_with_their_current_password(api_client, owner, owner_client, method):
    response = change_email(owner_client, owner, "New.Address@Example.com", method, current_password=CUSTOMER_PASSWORD)

    assert response.status_code == 200, response.content
    assert response.json()["email"] == "new.address@example.com"
    assert "current_password" not in response.json()
    login = api_client.post("/customers/login", {"email": "new.address@example.com", "password": CUSTOMER_PASSWORD})
    assert login.status_code == 200


@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize(("current", "message"), [(None, MISSING), ("Not-The-Password-1", WRONG)])
def test_without_the_right_current_password_the_email_stays(owner, owner_client, method, current, message):
    extra = {} if current is None else {"current_password": current}

    fields = error_fields(change_email(owner_client, owner, FREE, method, name="Renamed", **extra))

    assert fields == {"current_password": [message]}
    assert stored_email(owner) == "owner@example.com"
    assert Customer.objects.get(pk=owner.pk).name != "Renamed"


@pytest.mark.parametrize("current", [None, "Not-The-Password-1"])
def test_a_taken_email_gets_the_same_answer_as_a_free_one_without_the_password(owner, owner_client, current):
    """The oracle: without the password, nothing in the answer says whether the address has an
    account."""
    extra = {} if current is None else {"current_password": current}

    taken = change_email(owner_client, owner, TAKEN, **extra)
    free = change_email(owner_client, owner, FREE, **extra)

    assert (taken.status_code, taken.json()) == (free.status_code, free.json())
    assert taken.status_code == 400
    assert DUPLICATE_EMAIL not in taken.content.decode()


def test_with_the_right_password_a_taken_email_is_400_on_email(owner, owner_client):
    fields = error_fields(change_email(owner_client, owner, TAKEN.upper(), current_password=CUSTOMER_PASSWORD))

    assert fields == {"email": [DUPLICATE_EMAIL]}
    assert stored_email(owner) == "owner@example.com"


@pytest.mark.parametrize("spelling", ["owner@example.com", "Owner@Example.COM"])
def test_sending_ones_own_email_again_needs_no_password(owner, owner_client, spelling):
    """A PUT carries every field: the unchanged email in any spelling is no change of email."""
    response = change_email(owner_client, owner, spelling, "put")

    assert response.status_code == 200, response.content
    assert stored_email(owner) == "owner@example.com"


def test_staff_change_a_customers_email_without_a_password(owner, staff_client):
    response = staff_client.patch(f"/customers/{owner.pk}", {"email": FREE})

    assert response.status_code == 200, response.content
    assert stored_email(owner) == FREE
    assert error_fields(staff_client.patch(f"/customers/{owner.pk}", {"email": TAKEN})) == {"email": [DUPLICATE_EMAIL]}


def test_guessing_the_password_through_email_changes_is_rate_limited_like_sign_in(owner, owner_client, ratelimit_clock):
    for n in range(10):
        assert change_email(owner_client, owner, FREE, current_password=f"Guess-{n}-Wrong").status_code == 400

    response = change_email(owner_client, owner, FREE, current_password=CUSTOMER_PASSWORD)

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert stored_email(owner) == "owner@example.com"
