"""Fixtures of the ticket test modules: a ticket's create body and tickets with mechanics and parts."""

from decimal import Decimal

import pytest


@pytest.fixture
def new_ticket(customer) -> dict:
    return {
        "VIN": "1hgcm82633a004352",
        "service_date": "2026-11-25",
        "service_description": "Oil change",
        "customer_id": customer.pk,
    }


@pytest.fixture
def assigned(make_ticket, make_mechanic, customer):
    """The customer's ticket with one mechanic on it."""
    mechanic = make_mechanic()
    return make_ticket(customer=customer, mechanics=[mechanic]), mechanic


@pytest.fixture
def full_ticket(make_ticket, make_mechanic, make_item, customer):
    """A ticket with two mechanics and two parts, attached out of id order."""
    m1, m2 = make_mechanic(name="Ada"), make_mechanic(name="Linus")
    i1, i2 = make_item(name="Brake pad", price=Decimal("49.99")), make_item(name="Oil filter", price=Decimal("7.50"))
    return make_ticket(customer=customer, mechanics=[m2, m1], parts=[(i2, 3), (i1, 1)])
