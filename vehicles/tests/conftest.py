import pytest

from vehicles.tests.factories import VehicleFactory


@pytest.fixture
def make_vehicle(db):
    return VehicleFactory
