"""customers/selectors.py without HTTP."""

import pytest

from customers import selectors

pytestmark = pytest.mark.django_db


def test_customer_list_is_ordered_by_id(make_customer):
    customers = [make_customer(name=name) for name in ("Zed", "Amy", "Moe")]

    assert list(selectors.customer_list()) == customers


def test_customer_list_is_one_query(make_customer, django_assert_num_queries):
    for _ in range(3):
        make_customer()

    with django_assert_num_queries(1):
        assert len(list(selectors.customer_list())) == 3


@pytest.mark.parametrize(
    "email",
    ["ann@example.com", "ANN@Example.com", " ann@example.com ", "an\u200bn@example.com", "\uff41nn@example.com"],
)
def test_email_taken_sees_every_spelling_of_a_stored_email(make_customer, email):
    make_customer(email="ann@example.com")

    assert selectors.email_taken(email=email)


def test_email_taken_is_false_for_a_free_email(make_customer):
    make_customer(email="ann@example.com")

    assert not selectors.email_taken(email="anna@example.com")


def test_email_taken_leaves_out_the_customer_being_edited(make_customer):
    ann = make_customer(email="ann@example.com")
    other = make_customer()

    assert not selectors.email_taken(email="ANN@example.com", exclude_id=ann.pk)
    assert selectors.email_taken(email="ANN@example.com", exclude_id=other.pk)
