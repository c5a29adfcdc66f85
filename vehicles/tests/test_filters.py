"""VehicleFilterSet on its own (the /vehicles list wires it with core.filters.LIST_FILTERS)."""

import pytest
from django.http import QueryDict

from vehicles.filters import VehicleFilterSet
from vehicles.models import Vehicle


@pytest.fixture
def cars(make_customer):
    ada, bob = make_customer(), make_customer()
    return (
        ada,
        bob,
        [
            Vehicle.objects.create(customer=ada, vin="1HGCM82633A004352", year=2003, make="Honda", model="Accord"),
            Vehicle.objects.create(customer=ada, vin="1M8GDM9AXKP042788", year=1989, make="Motor Coach", model="D"),
            Vehicle.objects.create(customer=bob, vin="11111111111111111", year=2003, make="honda", model="Civic"),
        ],
    )


def filtered(query: str) -> tuple[bool, list[int], dict]:
    filterset = VehicleFilterSet(data=QueryDict(query), queryset=Vehicle.objects.order_by("id"))
    valid = filterset.is_valid()
    return valid, [v.pk for v in filterset.qs] if valid else [], dict(filterset.errors)


def test_each_filter(cars):
    ada, bob, (accord, coach, civic) = cars
    assert filtered(f"customer_id={ada.pk}")[1] == [accord.pk, coach.pk]
    assert filtered("vin=1hgcm82633a004352")[1] == [accord.pk]  # stored upper-case
    assert filtered("make=HONDA")[1] == [accord.pk, civic.pk]
    assert filtered("year=2003")[1] == [accord.pk, civic.pk]
    assert filtered(f"year=2003&customer_id={bob.pk}")[1] == [civic.pk]
    assert filtered("")[1] == [accord.pk, coach.pk, civic.pk]


@pytest.mark.parametrize(
    "query, field",
    [
        ("customer_id=0", "customer_id"),
        (f"customer_id={2**63}", "customer_id"),
        ("customer_id=x", "customer_id"),
        ("year=2003.5", "year"),
        ("year=1e3", "year"),
        ("year=99999", "year"),
        ("year=-1", "year"),
        ("vin=" + "A" * 18, "vin"),
        ("make=%00", "make"),
    ],
)
def test_invalid_values_are_errors_of_their_parameter(cars, query, field):
    valid, _, errors = filtered(query)
    assert not valid and list(errors) == [field]
