"""customers/services.py without HTTP: the rules every write keeps, whoever calls it."""

import pytest

from conftest import CUSTOMER_PASSWORD
from core.caching import generation
from core.errors import Conflict, InvalidInput, NotFound
from customers import services
from customers.models import Customer

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Fresh-Gearbox-77"


# --- customer_create ----------------------------------------------------------------------------


def test_create_hashes_the_password_and_normalises_the_email():
    customer = services.customer_create(name="Ann", email=" An\u200bn@X.COM ", phone="1", password=CUSTOMER_PASSWORD)

    customer.refresh_from_db()
    assert customer.email == "ann@x.com"
    assert CUSTOMER_PASSWORD not in customer.password
    assert customer.check_password(CUSTOMER_PASSWORD)


def test_create_refuses_a_weak_password_and_saves_nothing():
    with pytest.raises(InvalidInput) as raised:
        services.customer_create(name="Ann", email="ann@example.com", phone="1", password="ann@example.com")

    assert list(raised.value.fields) == ["password"]
    assert not Customer.objects.exists()


def test_create_with_a_taken_email_is_invalid_input_on_email(make_customer):
    make_customer(email="ann@example.com")

    with pytest.raises(InvalidInput) as raised:
        services.customer_create(name="Ann", email="ANN@example.com", phone="1", password=CUSTOMER_PASSWORD)

    assert raised.value.fields == {"email": [services.DUPLICATE_EMAIL]}
    assert Customer.objects.count() == 1


def test_the_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        services.customer_create("Ann", "ann@example.com", "1", CUSTOMER_PASSWORD)


# --- customer_update ----------------------------------------------------------------------------


def test_update_changes_the_given_fields_only(make_customer):
    customer = make_customer(name="Ann", email="ann@example.com", phone="555-0100")

    updated = services.customer_update(customer_id=customer.pk, changes={"name": "Anna", "email": "ANNA@example.com"})

    updated.refresh_from_db()
    assert (updated.name, updated.email, updated.phone) == ("Anna", "anna@example.com", "555-0100")
    assert updated.check_password(CUSTOMER_PASSWORD)


def test_staff_set_a_password_without_the_current_one(customer):
    services.customer_update(customer_id=customer.pk, changes={"password": NEW_PASSWORD})

    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)


def test_the_owner_sets_a_password_with_the_current_one(customer):
    services.customer_update(
        customer_id=customer.pk, changes={"password": NEW_PASSWORD}, current_password=CUSTOMER_PASSWORD, by_owner=True
    )

    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    ("current", "message"),
    [
        (None, "Give your current password to set a new one."),
        ("Wrong-Password-1", "The current password is not correct."),
    ],
)
def test_the_owner_without_the_right_current_password_changes_nothing(customer, current, message):
    with pytest.raises(InvalidInput) as raised:
        services.customer_update(
            customer_id=customer.pk,
            changes={"name": "Renamed", "password": NEW_PASSWORD},
            current_password=current,
            by_owner=True,
        )

    assert raised.value.fields == {"current_password": [message]}
    customer.refresh_from_db()
    assert customer.name != "Renamed"
    assert customer.check_password(CUSTOMER_PASSWORD)


@pytest.mark.parametrize(
    ("current", "message"),
    [
        (None, "Give your current password to change your email."),
        ("Wrong-Password-1", "The current password is not correct."),
    ],
)
@pytest.mark.parametrize("email", ["taken@example.com", "free@example.com"])
def test_the_owner_changing_their_email_gives_the_password_before_uniqueness_is_checked(
    make_customer, current, message, email
):
    make_customer(email="taken@example.com")
    customer = make_customer(email="mine@example.com")

    with pytest.raises(InvalidInput) as raised:
        services.customer_update(
            customer_id=customer.pk, changes={"email": email}, current_password=current, by_owner=True
        )

    assert raised.value.fields == {"current_password": [message]}
    customer.refresh_from_db()
    assert customer.email == "mine@example.com"


def test_the_owner_changes_their_email_with_the_current_password(customer):
    services.customer_update(
        customer_id=customer.pk,
        changes={"email": "Mine@Example.com"},
        current_password=CUSTOMER_PASSWORD,
        by_owner=True,
    )

    customer.refresh_from_db()
    assert customer.email == "mine@example.com"


@pytest.mark.parametrize(
    ("changes", "needed"),
    [
        ({"name": "Renamed", "phone": "555-0199"}, False),
        ({"email": "ann@example.com"}, False),
        ({"email": "ANN@Example.com"}, False),
        ({"email": "anna@example.com"}, True),
        ({"password": NEW_PASSWORD}, True),
        ({"password": None}, False),
    ],
)
def test_which_changes_need_the_current_password(make_customer, changes, needed):
    customer = make_customer(email="ann@example.com")

    assert services.needs_current_password(customer=customer, changes=changes) is needed


def test_update_refuses_a_weak_password_and_changes_nothing(customer):
    with pytest.raises(InvalidInput) as raised:
        services.customer_update(customer_id=customer.pk, changes={"name": "Renamed", "password": "123"})

    assert list(raised.value.fields) == ["password"]
    customer.refresh_from_db()
    assert customer.name != "Renamed"
    assert customer.check_password(CUSTOMER_PASSWORD)


def test_update_to_a_taken_email_is_invalid_input_on_email(make_customer):
    make_customer(email="taken@example.com")
    customer = make_customer(email="mine@example.com")

    with pytest.raises(InvalidInput) as raised:
        services.customer_update(customer_id=customer.pk, changes={"email": "Taken@Example.com"})

    assert raised.value.fields == {"email": [services.DUPLICATE_EMAIL]}
    customer.refresh_from_db()
    assert customer.email == "mine@example.com"


def test_update_of_an_unknown_customer_is_not_found(db):
    with pytest.raises(NotFound):
        services.customer_update(customer_id=987654, changes={"name": "Nobody"})
    assert not Customer.objects.exists()  # nothing re-inserted under that id


def test_a_write_makes_cached_reads_stale(customer):
    before = generation("customers")

    services.customer_update(customer_id=customer.pk, changes={"phone": "555-0199"})

    assert generation("customers") > before


# --- customer_delete ----------------------------------------------------------------------------


def test_delete_removes_a_customer_without_tickets(customer):
    services.customer_delete(customer_id=customer.pk)

    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_delete_refuses_a_customer_with_tickets(customer, make_ticket):
    make_ticket(customer=customer)

    with pytest.raises(Conflict) as raised:
        services.customer_delete(customer_id=customer.pk)

    assert "1 service ticket" in raised.value.message
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_delete_of_an_unknown_customer_is_not_found(db):
    with pytest.raises(NotFound):
        services.customer_delete(customer_id=987654)
